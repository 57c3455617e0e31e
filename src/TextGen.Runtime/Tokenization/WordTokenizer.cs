using System.Text;
using TextGen.Settings;

namespace TextGen.Tokenization;

/// <summary>How a vocabulary is learned: the word level's thresholds and the BPE level's size.</summary>
public sealed record VocabularyOptions
{
    /// <summary>Words seen fewer times than this become the unknown token.</summary>
    [Option("min-count", "Word level: words seen fewer times become <unk>.", Min = 1)]
    public int MinCount { get; init; } = 2;

    /// <summary>At most this many entries (the most frequent), the unknown token included.</summary>
    [Option("max-vocab", "Word level: vocabulary size at most (the most frequent words, <unk> included).", Min = 2, Max = 10_000_000)]
    public int MaxVocabulary { get; init; } = 20_000;

    [Option("lowercase", "Word level: lower-case the text first.")]
    public bool Lowercase { get; init; }

    [Option("vocab-size", "BPE level: vocabulary size, the 256 bytes plus learned merges.", Min = BpeTrainer.ByteAlphabet, Max = 1_000_000, Example = "e.g. 2000")]
    public int BpeSize { get; init; } = 2000;

    public void Validate() => Declared<VocabularyOptions>.Validate(this);
}

/// <summary>
/// Word-level tokenizer. Each line splits into words (letters, digits, underscore) and runs of punctuation as
/// Microsoft.ML.Tokenizers' word-or-non-word pre-tokenizer splits it (<see cref="TextPieces.Words"/>); whitespace is
/// handled deliberately: a token that followed whitespace carries one leading space (" whale" and "whale" are
/// different tokens), and every line end is a "\n" token. Decoding is concatenation, so text comes back exactly up to
/// the normalisation that runs of spaces and tabs become one space and trailing spaces are dropped. Words outside the
/// vocabulary become <see cref="Unknown"/>.
/// </summary>
public sealed class WordTokenizer : ITokenizer
{
    public const string LevelName = "word";
    public const string Unknown = "<unk>";
    private const int UnknownId = 0;

    private readonly string[] _symbols;
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    private WordTokenizer(IReadOnlyList<string> symbols, bool lowercase)
    {
        _symbols = [.. symbols];
        _ids = new Dictionary<string, int>(_symbols.Length, StringComparer.Ordinal);
        for (var i = 0; i < _symbols.Length; i++) _ids[_symbols[i]] = i;
        _lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
        Lowercase = lowercase;
    }

    public string Level => LevelName;
    public int VocabularySize => _symbols.Length;
    public bool Lowercase { get; }

    public static WordTokenizer Build(string text, VocabularyOptions options) => FromCounts(CountWords(text, options.Lowercase), options);

    /// <summary>How often each token text (word or punctuation with its leading space, or "\n") occurs.</summary>
    public static Dictionary<string, long> CountWords(string text, bool lowercase)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        ForEachPiece(text, lowercase, piece =>
        {
            ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(lookup, piece, out _);
            count++;
        });
        return counts;
    }

    /// <summary>The vocabulary of the most frequent words seen at least MinCount times, ties in ordinal order.</summary>
    public static WordTokenizer FromCounts(IReadOnlyDictionary<string, long> counts, VocabularyOptions options)
    {
        options.Validate();
        var symbols = counts.Where(c => c.Value >= options.MinCount && c.Key != Unknown)
            .OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Take(options.MaxVocabulary - 1)
            .Select(c => c.Key)
            .Prepend(Unknown)
            .ToArray();
        return new WordTokenizer(symbols, options.Lowercase);
    }

    public static WordTokenizer FromDescription(TokenizerDescription description)
    {
        if (description.Symbols.Count == 0 || description.Symbols[UnknownId] != Unknown)
        {
            throw new TextGenException($"the model file's word vocabulary does not start with {Unknown}; the file is corrupt.");
        }
        return new WordTokenizer(description.Symbols, description.Lowercase);
    }

    public EncodedText Encode(string text)
    {
        var ids = new List<int>(text.Length / 4);
        var unknown = 0;
        string? firstUnknown = null;
        ForEachPiece(text, Lowercase, piece =>
        {
            if (_lookup.TryGetValue(piece, out var id))
            {
                ids.Add(id);
                return;
            }
            ids.Add(UnknownId);
            unknown++;
            firstUnknown ??= piece.Trim().ToString();
        });
        return new EncodedText([.. ids], unknown, firstUnknown);
    }

    public string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        foreach (var id in ids) text.Append(TokenText(id));
        return text.ToString();
    }

    public string TokenText(int id) => id == UnknownId ? " " + Unknown
        : (uint)id < (uint)_symbols.Length ? _symbols[id]
        : throw new ArgumentOutOfRangeException(nameof(id), id, "token id outside the vocabulary");

    public TokenizerDescription Describe() => new(LevelName, _symbols) { Lowercase = Lowercase };

    private delegate void PieceAction(ReadOnlySpan<char> piece);

    /// <summary>Calls <paramref name="action"/> with each token's text: pieces with their one leading space, and "\n" per line end.</summary>
    private static void ForEachPiece(string text, bool lowercase, PieceAction action)
    {
        Span<char> buffer = stackalloc char[256];
        var lineStart = 0;
        while (lineStart <= text.Length)
        {
            var lineEnd = text.IndexOf('\n', lineStart);
            var line = text.AsSpan(lineStart, (lineEnd < 0 ? text.Length : lineEnd) - lineStart);
            foreach (var (offset, length) in TextPieces.Words(line))
            {
                var spaced = offset > 0 && char.IsWhiteSpace(line[offset - 1]) ? 1 : 0;
                var size = spaced + length;
                var piece = size <= buffer.Length ? buffer[..size] : new char[size];
                if (spaced == 1) piece[0] = ' ';
                var source = line.Slice(offset, length);
                if (lowercase) source.ToLowerInvariant(piece[spaced..]);
                else source.CopyTo(piece[spaced..]);
                action(piece);
            }
            if (lineEnd < 0)
            {
                break;
            }
            action("\n");
            lineStart = lineEnd + 1;
        }
    }
}
