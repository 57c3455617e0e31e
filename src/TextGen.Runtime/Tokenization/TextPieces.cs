namespace TextGen.Tokenization;

/// <summary>
/// The pieces the word and BPE levels split text into, by scans instead of the regexes that define them, which were
/// most of those levels' time (docs/benchmarks.md). Tests check each scan against its regex on random text of every
/// character class (<see cref="CharacterClasses"/> takes the classes from the regex engine).
/// </summary>
public static class TextPieces
{
    /// <summary>
    /// Runs of word characters and runs of other non-space characters, as the pattern <c>\w+|[^\w\s]+</c> of
    /// Microsoft.ML.Tokenizers' word-or-non-word pre-tokenizer splits them; whitespace is in no piece.
    /// </summary>
    public static Enumerator Words(ReadOnlySpan<char> text) => new(text, bpe: false);

    /// <summary>
    /// GPT-2's pre-tokens (<see cref="BpeTrainer.PreTokenization"/>), which together cover the text. The pattern,
    /// alternative by alternative, the first that matches winning: <c>'(?:[sdmt]|ll|ve|re)</c> a contraction;
    /// <c> ?\p{L}+</c>, <c> ?\p{N}+</c>, <c> ?[^\s\p{L}\p{N}]+</c> a run of letters, of numbers or of other characters,
    /// with the one space before it; <c>\s+(?!\S)</c> whitespace up to, not including, the last before a non-space
    /// (which goes with what follows); <c>\s+</c> the rest.
    /// </summary>
    public static Enumerator Bpe(ReadOnlySpan<char> text) => new(text, bpe: true);

    /// <summary>The pieces as (offset, length), in order.</summary>
    public ref struct Enumerator(ReadOnlySpan<char> text, bool bpe)
    {
        private readonly ReadOnlySpan<char> _text = text;
        private readonly bool _bpe = bpe;
        private int _next;

        public (int Offset, int Length) Current { get; private set; }

        public readonly Enumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            var start = _next;
            if (!_bpe)
            {
                while (start < _text.Length && IsSpace(_text[start])) start++;
            }
            if (start >= _text.Length)
            {
                _next = start;
                return false;
            }
            var end = _bpe ? BpeEnd(_text, start) : WordEnd(_text, start);
            Current = (start, end - start);
            _next = end;
            return true;
        }
    }

    private static int WordEnd(ReadOnlySpan<char> text, int start)
    {
        var classes = CharacterClasses.Of;
        var word = classes[text[start]] & CharacterClasses.Word;
        var end = start + 1;
        while (end < text.Length && (classes[text[end]] & (CharacterClasses.Word | CharacterClasses.Space)) == word) end++;
        return end;
    }

    private static int BpeEnd(ReadOnlySpan<char> text, int i)
    {
        var c = text[i];
        if (c == '\'' && i + 1 < text.Length)
        {
            var next = text[i + 1];
            if (next is 's' or 'd' or 'm' or 't') return i + 2;
            if (i + 2 < text.Length && (next, text[i + 2]) is ('l', 'l') or ('v', 'e') or ('r', 'e')) return i + 3;
        }
        var run = i;
        if (c == ' ' && i + 1 < text.Length && !IsSpace(text[i + 1])) run = i + 1; // the space goes with the run after it
        var kind = Kind(text[run]);
        if (kind != CharacterClasses.Space)
        {
            var end = run + 1;
            while (end < text.Length && Kind(text[end]) == kind) end++;
            return end;
        }
        var spaces = i + 1;
        while (spaces < text.Length && IsSpace(text[spaces])) spaces++;
        // Before a non-space, the last whitespace character is left to start the next piece.
        return spaces == text.Length || spaces - i == 1 ? spaces : spaces - 1;
    }

    private static bool IsSpace(char c) => (CharacterClasses.Of[c] & CharacterClasses.Space) != 0;

    /// <summary>Letter, Number, Space, or 0 for any other character.</summary>
    private static int Kind(char c) => CharacterClasses.Of[c] switch
    {
        var k when (k & CharacterClasses.Letter) != 0 => CharacterClasses.Letter,
        var k when (k & CharacterClasses.Number) != 0 => CharacterClasses.Number,
        var k when (k & CharacterClasses.Space) != 0 => CharacterClasses.Space,
        _ => 0,
    };
}
