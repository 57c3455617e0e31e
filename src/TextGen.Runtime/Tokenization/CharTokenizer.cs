using System.Text;

namespace TextGen.Tokenization;

/// <summary>
/// Character-level tokenizer. A character is a Unicode scalar value (a surrogate pair is one character).
/// The vocabulary is every character of the training text in code-point order, so the same text always gives
/// the same ids. Characters outside the vocabulary are skipped when encoding and counted in
/// <see cref="EncodedText.UnknownCount"/>; callers decide whether to warn. Lone surrogates count as unknown.
/// </summary>
public sealed partial class CharTokenizer : ITokenizer
{
    public const string LevelName = "char";

    private readonly string[] _symbols;
    private readonly int[] _bmpIds;                       // char -> id + 1 (0 = unknown) for the Basic Multilingual Plane
    private readonly Dictionary<int, int> _supplementaryIds; // code point -> id beyond the BMP

    private CharTokenizer(IReadOnlyList<int> codePoints)
    {
        _symbols = new string[codePoints.Count];
        _bmpIds = new int[char.MaxValue + 1];
        _supplementaryIds = new Dictionary<int, int>();
        for (var id = 0; id < codePoints.Count; id++)
        {
            var cp = codePoints[id];
            _symbols[id] = char.ConvertFromUtf32(cp);
            if (cp <= char.MaxValue)
            {
                _bmpIds[cp] = id + 1;
            }
            else
            {
                _supplementaryIds[cp] = id;
            }
        }
    }

    public string Level => LevelName;

    public int VocabularySize => _symbols.Length;

    /// <summary>Builds the vocabulary from the characters of <paramref name="text"/>.</summary>
    public static CharTokenizer Build(string text) => FromCharacters(CountCharacters(text).Keys);

    /// <summary>How often each character occurs (a table for the Basic Multilingual Plane keeps this at memory speed).</summary>
    public static Dictionary<string, long> CountCharacters(string text)
    {
        var bmp = new long[char.MaxValue + 1];
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var rune in text.EnumerateRunes())
        {
            // Text read from disk is strict UTF-8 and has no lone surrogates; in memory strings, EnumerateRunes reports them as U+FFFD.
            if (rune.Value <= char.MaxValue) bmp[rune.Value]++;
            else counts[rune.ToString()] = counts.GetValueOrDefault(rune.ToString()) + 1;
        }
        for (var c = 0; c <= char.MaxValue; c++)
        {
            if (bmp[c] > 0) counts[((char)c).ToString()] = bmp[c];
        }
        return counts;
    }

    /// <summary>The vocabulary of these characters (one scalar value each), in code-point order.</summary>
    public static CharTokenizer FromCharacters(IEnumerable<string> characters)
    {
        var codePoints = characters.Select(c => char.ConvertToUtf32(c, 0)).Order().ToList();
        if (codePoints.Count == 0)
        {
            throw new TextGenException("cannot build a vocabulary from empty text; pass a non-empty corpus.");
        }
        return new CharTokenizer(codePoints);
    }

    /// <summary>
    /// This vocabulary followed by the characters of <paramref name="other"/> it lacks, in code-point order: every id
    /// keeps its meaning, so a model's weights carry over to the larger vocabulary (fine-tuning on a new corpus).
    /// </summary>
    public CharTokenizer Extend(CharTokenizer other)
    {
        var known = _symbols.Select(s => char.ConvertToUtf32(s, 0)).ToList();
        var added = other._symbols.Select(s => char.ConvertToUtf32(s, 0)).Except(known).Order();
        return new CharTokenizer([.. known, .. added]);
    }

    public static CharTokenizer FromDescription(TokenizerDescription description)
    {
        var codePoints = new List<int>(description.Symbols.Count);
        foreach (var symbol in description.Symbols)
        {
            if (!Rune.TryGetRuneAt(symbol, 0, out var rune) || rune.Utf16SequenceLength != symbol.Length)
            {
                throw new TextGenException($"the model file's character vocabulary has an invalid entry ({symbol.Length} UTF-16 units); the file is corrupt.");
            }
            codePoints.Add(rune.Value);
        }
        return new CharTokenizer(codePoints);
    }

    public EncodedText Encode(string text)
    {
        var ids = new int[text.Length];
        var count = 0;
        var unknown = 0;
        string? firstUnknown = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var width = 1;
            int id;
            if (!char.IsSurrogate(c))
            {
                id = _bmpIds[c] - 1;
            }
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                id = _supplementaryIds.GetValueOrDefault(char.ConvertToUtf32(c, text[i + 1]), -1);
                width = 2;
            }
            else
            {
                id = -1;
            }
            if (id >= 0)
            {
                ids[count++] = id;
            }
            else
            {
                unknown++;
                firstUnknown ??= text.Substring(i, width);
            }
            i += width - 1;
        }
        Array.Resize(ref ids, count);
        return new EncodedText(ids, unknown, firstUnknown);
    }

    public string Decode(IEnumerable<int> ids)
    {
        var builder = new StringBuilder();
        foreach (var id in ids)
        {
            builder.Append(TokenText(id));
        }
        return builder.ToString();
    }

    public string TokenText(int id) =>
        (uint)id < (uint)_symbols.Length ? _symbols[id] : throw new ArgumentOutOfRangeException(nameof(id), id, "token id outside the vocabulary");

    public TokenizerDescription Describe() => new(LevelName, _symbols);
}
