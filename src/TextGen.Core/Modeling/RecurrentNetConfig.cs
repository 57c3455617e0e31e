namespace TextGen.Modeling;

public enum CellType
{
    Rnn,
    Lstm,
    Gru,
}

/// <summary>The architecture settings of the recurrent core, shared by the text and forecasting models.</summary>
public static class NetworkSettings
{
    public static readonly Setting<int> Layers = new("layers", "Stacked recurrent layers.", 2, 1, 16);
    public static readonly Setting<int> Hidden = new("hidden", "Units per recurrent layer.", 256, 1, 8192);
    public static readonly Setting<int> Embedding = new("embedding", "Width of the learned token embedding.", 64, 1, 8192);
    public static readonly Setting<double> Dropout = new("dropout", "Dropout between recurrent layers and before the head.", 0.1, 0, 0.95);
}

/// <summary>The architecture of a recurrent language model; stored in the model file.</summary>
public sealed record RecurrentNetConfig
{
    public CellType Cell { get; init; } = CellType.Lstm;
    public int Layers { get; init; } = NetworkSettings.Layers.Default;
    public int Hidden { get; init; } = NetworkSettings.Hidden.Default;
    /// <summary>Embedding width; ignored when <see cref="OneHot"/> is set.</summary>
    public int Embedding { get; init; } = NetworkSettings.Embedding.Default;
    /// <summary>Feed one-hot vectors instead of a learned embedding.</summary>
    public bool OneHot { get; init; }
    /// <summary>Dropout between recurrent layers and before the head.</summary>
    public double Dropout { get; init; } = NetworkSettings.Dropout.Default;
    public int VocabularySize { get; init; }

    public void Validate()
    {
        if (!Enum.IsDefined(Cell)) throw new SettingException("cell", $"{(int)Cell} is not a cell; use {string.Join(", ", CellNames)}.");
        NetworkSettings.Layers.Check(Layers);
        NetworkSettings.Hidden.Check(Hidden);
        if (!OneHot) NetworkSettings.Embedding.Check(Embedding);
        NetworkSettings.Dropout.Check(Dropout);
        if (VocabularySize < 1) throw new TextGenException("the vocabulary is empty; pass a corpus with some text in it.");
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

    /// <summary>Every parameter of a <see cref="LanguageModel"/> of this architecture: embedding, recurrent layers, head.</summary>
    public long ParameterCount() =>
        (OneHot ? 0 : (long)VocabularySize * Embedding) + RecurrentParameterCount() + (long)Hidden * VocabularySize + VocabularySize;

    /// <summary>The cell names the settings accept: rnn, lstm, gru.</summary>
    public static readonly string[] CellNames = Enum.GetNames<CellType>().Select(n => n.ToLowerInvariant()).ToArray();

    public static CellType ParseCell(string name) =>
        CellNames.Contains(name.Trim().ToLowerInvariant()) && Enum.TryParse<CellType>(name.Trim(), ignoreCase: true, out var cell)
            ? cell
            : throw new SettingException("cell", $"{name} is not a cell; use {string.Join(", ", CellNames)}.");
}
