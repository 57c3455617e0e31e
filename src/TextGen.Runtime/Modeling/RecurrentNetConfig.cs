using TextGen.Persistence;
using TextGen.Settings;

namespace TextGen.Modeling;

public enum CellType
{
    Rnn,
    Lstm,
    Gru,
}

/// <summary>The limits of the recurrent core, shared by the text and forecasting models.</summary>
public static class NetworkSettings
{
    public const int MaxLayers = 16;
    public const int MaxWidth = 8192;
    public const double MaxDropout = 0.95;

    /// <summary>Dense layers within the limits, and batch normalisation only with dense layers to normalise.</summary>
    public static void CheckDense(int[] dense, bool batchNorm, int exampleWidth)
    {
        if (batchNorm && dense.Length == 0) throw new SettingException("batch-norm", $"normalises the dense layers, and there are none; add --dense WIDTHS, e.g. --dense {exampleWidth}.");
        if (dense.Length > MaxLayers) throw new SettingException("dense", $"{dense.Length} layers are too many; use at most {MaxLayers}.");
    }
}

/// <summary>The architecture of a recurrent language model; stored in the model file.</summary>
public sealed record RecurrentNetConfig
{
    [Option("cell", "Recurrent cell: rnn, lstm or gru.")]
    public CellType Cell { get; init; } = CellType.Lstm;

    [Option("layers", "Stacked recurrent layers.", Min = 1, Max = NetworkSettings.MaxLayers)]
    public int Layers { get; init; } = 2;

    /// <summary>The training CLI fits the width to the budget unless it is given (<c>TrainRequest.ChooseWidth</c>).</summary>
    [Option("hidden", "Units per recurrent layer.", Min = 1, Max = NetworkSettings.MaxWidth, Chosen = "fitted to the budget, the corpus and this machine at character level; else 256")]
    public int Hidden { get; init; } = 256;

    /// <summary>Embedding width; ignored when <see cref="OneHot"/> is set.</summary>
    [Option("embedding", "Width of the learned token embedding.", Min = 1, Max = NetworkSettings.MaxWidth)]
    public int Embedding { get; init; } = 64;

    [Option("one-hot", "Feed one-hot vectors instead of a learned embedding.")]
    public bool OneHot { get; init; }

    [Option("dropout", "Dropout between recurrent layers and before the head.", Min = 0, Max = NetworkSettings.MaxDropout)]
    public double Dropout { get; init; } = 0.1;

    /// <summary>Widths of dense ReLU layers between the recurrent layers and the head (the guide's "standard ANN" stack).</summary>
    [Option("dense", "Dense ReLU layers between the recurrent layers and the head, e.g. 256,128; dropout applies between them.", Min = 1, Max = NetworkSettings.MaxWidth)]
    public int[] Dense { get; init; } = [];

    /// <summary>Batch normalisation in each dense layer, before its ReLU; its running statistics are saved and used at inference.</summary>
    [Option("batch-norm", "Batch normalisation in each --dense layer (running statistics saved in the model and used when generating).")]
    public bool BatchNorm { get; init; }

    public int VocabularySize { get; init; }

    /// <summary>What the head reads: the last dense layer's width, or the recurrent width.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int HeadInput => Dense.Length > 0 ? Dense[^1] : Hidden;

    /// <summary>Every setting in range, and the network small enough for its training checkpoint.</summary>
    public void Validate()
    {
        ValidateRanges();
        RequireFitsModelFile();
    }

    /// <summary>Every setting in range: what a model file's header must pass before anything is sized from it.</summary>
    public void ValidateRanges()
    {
        Declared<RecurrentNetConfig>.Validate(this, except: OneHot ? "embedding" : null);
        NetworkSettings.CheckDense(Dense, BatchNorm, exampleWidth: 256);
        if (VocabularySize < 1) throw new TextGenException("the vocabulary is empty; pass a corpus with some text in it.");
    }

    /// <summary>Bytes a training checkpoint holds per weight: the weights, Adam's two moments and the weight average.</summary>
    public const int CheckpointBytesPerWeight = 4 * sizeof(float);

    private bool FitsModelFile => CheckpointBytesPerWeight * ParameterCount() <= ModelFile.MaxBytes;

    /// <summary>
    /// A network too wide for its checkpoint is refused before libtorch allocates it, with the widest that fits,
    /// rather than failing at the first save after minutes of training.
    /// </summary>
    private void RequireFitsModelFile()
    {
        if (FitsModelFile) return;
        int low = 0, high = Hidden; // the widest that fits lies in [low, high)
        while (high - low > 1)
        {
            var middle = low + (high - low) / 2;
            if ((this with { Hidden = middle }).FitsModelFile) low = middle; else high = middle;
        }
        var fix = low >= 1 ? $"use --hidden {low} or less, or fewer layers" : "use a smaller --embedding or vocabulary";
        throw new SettingException("hidden", $"{Hidden} with {Layers} layers makes {ParameterCount() / 1e6:N0} million weights, " +
                                             $"whose training checkpoint ({CheckpointBytesPerWeight * ParameterCount() / 1e9:F1} GB) " +
                                             $"would not fit the {ModelFile.MaxBytes / 1e9:F1} GB a model file holds; {fix}.");
    }

    /// <summary>Gate blocks per cell: 4 for an LSTM, 3 for a GRU, 1 for a plain RNN.</summary>
    public static int Gates(CellType cell) => cell switch
    {
        CellType.Lstm => 4,
        CellType.Gru => 3,
        _ => 1,
    };

    /// <summary>Weights and biases of the recurrent layers (the embedding and head scale with the vocabulary, not the width).</summary>
    public long RecurrentParameterCount()
    {
        long total = 0, hidden = Hidden;
        long input = OneHot ? VocabularySize : Embedding;
        for (var layer = 0; layer < Layers; layer++)
        {
            total += Gates(Cell) * hidden * (input + hidden + 2);
            input = hidden;
        }
        return total;
    }

    /// <summary>Every parameter of a language model of this architecture: embedding, recurrent layers, dense layers, head.</summary>
    public long ParameterCount() =>
        (OneHot ? 0 : (long)VocabularySize * Embedding) + RecurrentParameterCount() + DenseParameterCount() + (long)HeadInput * VocabularySize + VocabularySize;

    /// <summary>Weights and biases of the dense layers, with batch normalisation's scale and shift.</summary>
    public long DenseParameterCount()
    {
        long total = 0, input = Hidden;
        foreach (var width in Dense)
        {
            total += (input + 1 + (BatchNorm ? 2 : 0)) * width;
            input = width;
        }
        return total;
    }
}
