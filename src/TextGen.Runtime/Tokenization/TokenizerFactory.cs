namespace TextGen.Tokenization;

/// <summary>Rebuilds a tokenizer from its stored description.</summary>
public static class TokenizerFactory
{
    public static ITokenizer FromDescription(TokenizerDescription description)
    {
        // A header edited with a recomputed checksum can hold anything JSON can: nulls, repeats, a missing level.
        if (description.Level is null || description.Symbols is null || description.Symbols.Any(string.IsNullOrEmpty)
            || description.Merges?.Any(m => m is null) == true || description.Symbols.Distinct(StringComparer.Ordinal).Count() != description.Symbols.Count)
        {
            throw new TextGenException("the model file's tokenizer has a missing, empty or repeated entry; the file is corrupt or was edited.");
        }
        return description.Documents ? new DocumentTokenizer(Level(description with { Documents = false })) : Level(description);
    }

    private static ITokenizer Level(TokenizerDescription description) => description.Level switch
    {
        CharTokenizer.LevelName => CharTokenizer.FromDescription(description),
        WordTokenizer.LevelName => WordTokenizer.FromDescription(description),
        ByteLevelBpeTokenizer.LevelName => ByteLevelBpeTokenizer.FromDescription(description),
        _ => throw new TextGenException($"the model file uses tokenizer level '{description.Level}', which this TextGen does not know; upgrade TextGen."),
    };
}
