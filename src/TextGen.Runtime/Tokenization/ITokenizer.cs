using System.Text;

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

    /// <summary>Turns generated ids into text piece by piece; by default each token's own text.</summary>
    ITokenStreamDecoder NewStreamDecoder() => new TokenTextDecoder(this);
}

/// <summary>Text for a stream of generated token ids, released as soon as it is complete.</summary>
public interface ITokenStreamDecoder
{
    string Push(int id);

    /// <summary>Whatever is still held back when the stream ends.</summary>
    string Flush();
}

/// <summary>The decoder for tokenizers whose tokens are whole pieces of text.</summary>
internal sealed class TokenTextDecoder(ITokenizer tokenizer) : ITokenStreamDecoder
{
    public string Push(int id) => tokenizer.TokenText(id);

    public string Flush() => "";
}

/// <summary>Token ids for a text, with the count of pieces the vocabulary did not know.</summary>
public sealed record EncodedText(int[] Ids, int UnknownCount, string? FirstUnknown);

/// <summary>The serialisable form of a tokenizer: its level, its vocabulary in id order, and level-specific settings.</summary>
public sealed record TokenizerDescription(string Level, IReadOnlyList<string> Symbols)
{
    /// <summary>Word level: text was lower-cased before lookup.</summary>
    public bool Lowercase { get; init; }
    /// <summary>Line-delimited documents: start and end markers follow the vocabulary (<see cref="DocumentTokenizer"/>).</summary>
    public bool Documents { get; init; }
    /// <summary>BPE level: the learned merges, in the order they were learned ("left right").</summary>
    public IReadOnlyList<string>? Merges { get; init; }
}

/// <summary>The one wording of the warning for text outside a model's vocabulary, at every level and stage.</summary>
public static class UnknownText
{
    /// <summary>E.g. "3 characters of the prefix are not in the model's vocabulary (first: 'é') and were skipped."</summary>
    public static string Warning(ITokenizer tokenizer, long count, string? first, string where)
    {
        var example = first is null ? "" : $" (first: '{Printable(first)}')";
        return tokenizer.Level == CharTokenizer.LevelName
            ? $"{count} characters of {where} are not in the model's vocabulary{example} and were skipped."
            : $"{count} words of {where} are not in the model's vocabulary{example} and became {WordTokenizer.Unknown}.";
    }

    /// <summary>Control and white-space characters as U+XXXX, so the warning stays on one readable line.</summary>
    public static string Printable(string piece) =>
        string.Concat(piece.EnumerateRunes().Select(rune => Rune.IsControl(rune) || Rune.IsWhiteSpace(rune) ? $"U+{rune.Value:X4}" : rune.ToString()));
}
