namespace TextGen.Tokenization;

/// <summary>Turns text into token ids and back. Implementations are immutable and safe to share between threads.</summary>
public interface ITokenizer
{
    /// <summary>The level this tokenizer works at: "char", "word", "bpe".</summary>
    string Level { get; }

    int VocabularySize { get; }

    /// <summary>Encodes normalised text; pieces outside the vocabulary are handled as the level documents and counted.</summary>
    EncodedText Encode(string text);

    string Decode(IEnumerable<int> ids);

    /// <summary>The text one token stands for, for streaming output and inspection.</summary>
    string TokenText(int id);

    /// <summary>Everything needed to rebuild this tokenizer, stored in the model file.</summary>
    TokenizerDescription Describe();
}

/// <summary>Token ids for a text, with the count of pieces the vocabulary did not know.</summary>
public sealed record EncodedText(int[] Ids, int UnknownCount, string? FirstUnknown);

/// <summary>The serialisable form of a tokenizer.</summary>
public sealed record TokenizerDescription(string Level, IReadOnlyList<string> Symbols);
