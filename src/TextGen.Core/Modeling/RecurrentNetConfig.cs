namespace TextGen.Modeling;

public enum CellType
{
    Rnn,
    Lstm,
    Gru,
}

/// <summary>The architecture of a recurrent language model; stored in the model file.</summary>
public sealed record RecurrentNetConfig
{
    public CellType Cell { get; init; } = CellType.Lstm;
    public int Layers { get; init; } = 2;
    public int Hidden { get; init; } = 256;
    /// <summary>Embedding width; ignored when <see cref="OneHot"/> is set.</summary>
    public int Embedding { get; init; } = 64;
    /// <summary>Feed one-hot vectors instead of a learned embedding.</summary>
    public bool OneHot { get; init; }
    /// <summary>Dropout between recurrent layers and before the head.</summary>
    public double Dropout { get; init; } = 0.1;
    public int VocabularySize { get; init; }

    public void Validate()
    {
        if (Layers is < 1 or > 16) throw new TextGenException($"--layers {Layers} is out of range; use 1 to 16.");
        if (Hidden is < 1 or > 8192) throw new TextGenException($"--hidden {Hidden} is out of range; use 1 to 8192.");
        if (!OneHot && Embedding is < 1 or > 8192) throw new TextGenException($"--embedding {Embedding} is out of range; use 1 to 8192.");
        if (Dropout is < 0 or >= 1) throw new TextGenException($"--dropout {Dropout} is out of range; use 0 up to (not including) 1.");
        if (VocabularySize < 1) throw new TextGenException("the vocabulary is empty; pass a corpus with some text in it.");
    }

    public static CellType ParseCell(string name) => name.Trim().ToLowerInvariant() switch
    {
        "rnn" => CellType.Rnn,
        "lstm" => CellType.Lstm,
        "gru" => CellType.Gru,
        _ => throw new TextGenException($"--cell {name}: unknown cell; use rnn, lstm or gru."),
    };
}
