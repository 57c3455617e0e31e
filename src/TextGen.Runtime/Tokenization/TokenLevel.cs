namespace TextGen.Tokenization;

/// <summary>What a token is: a character, a word (with punctuation and line ends), or a byte-level BPE piece.</summary>
public enum TokenLevel
{
    Char,
    Word,
    Bpe,
}

/// <summary>How a corpus divides into documents, which no training window or recurrent state crosses.</summary>
public enum DocumentSplit
{
    /// <summary>One continuous text.</summary>
    None,
    /// <summary>Each non-empty line is a document of its own, with start and end markers.</summary>
    Lines,
}

public static class TokenLevels
{
    /// <summary>The level's name as model files and <see cref="ITokenizer.Level"/> give it: char, word or bpe.</summary>
    public static string Name(this TokenLevel level) => level switch
    {
        TokenLevel.Char => CharTokenizer.LevelName,
        TokenLevel.Word => WordTokenizer.LevelName,
        TokenLevel.Bpe => ByteLevelBpeTokenizer.LevelName,
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "unknown tokenizer level"),
    };
}
