namespace TextGen.Tokenization;

/// <summary>Rebuilds a tokenizer from its stored description.</summary>
public static class TokenizerFactory
{
    /// <summary>The tokenizer levels a model can be trained at.</summary>
    public static readonly string[] Levels = [CharTokenizer.LevelName, WordTokenizer.LevelName, ByteLevelBpeTokenizer.LevelName];

    public static ITokenizer FromDescription(TokenizerDescription description) =>
        description.Documents ? new DocumentTokenizer(Level(description with { Documents = false })) : Level(description);

    private static ITokenizer Level(TokenizerDescription description) => description.Level switch
    {
        CharTokenizer.LevelName => CharTokenizer.FromDescription(description),
        WordTokenizer.LevelName => WordTokenizer.FromDescription(description),
        ByteLevelBpeTokenizer.LevelName => ByteLevelBpeTokenizer.FromDescription(description),
        _ => throw new TextGenException($"the model file uses tokenizer level '{description.Level}', which this TextGen does not know; upgrade TextGen."),
    };
}
