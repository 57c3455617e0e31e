namespace TextGen.Tokenization;

/// <summary>
/// Learns a tokenizer's vocabulary from a corpus read in pieces, so no corpus is ever one string: <see cref="Count"/>
/// each piece (thread-safe, any order, pieces cut where the level's tokens cannot cross: see CorpusChunks), add the
/// counts up with <see cref="Add"/>, then <see cref="Build"/>. Memory is bounded by the distinct units the level
/// counts (characters, words, pre-tokens), not by the corpus.
/// </summary>
public abstract class VocabularyLearner
{
    private readonly Dictionary<string, long> _total = new(StringComparer.Ordinal);

    /// <summary>How often each unit of the level (a character, a word, a BPE pre-token) occurs in <paramref name="text"/>.</summary>
    public abstract Dictionary<string, long> Count(string text);

    /// <summary>
    /// <see cref="Count"/> for a piece given as the UTF-8 bytes of normalised text, where the level can count them
    /// without decoding; null where it cannot (then count the decoded text).
    /// </summary>
    public virtual Dictionary<string, long>? CountUtf8(ReadOnlySpan<byte> utf8) => null;

    /// <summary>Adds one piece's counts to the total (not thread-safe: call in one thread).</summary>
    public void Add(Dictionary<string, long> counts)
    {
        foreach (var (unit, count) in counts)
        {
            _total[unit] = _total.GetValueOrDefault(unit) + count;
        }
    }

    /// <summary>Distinct units counted so far: what learning holds in memory.</summary>
    public int DistinctUnits => _total.Count;

    public ITokenizer Build() => FromCounts(_total);

    protected abstract ITokenizer FromCounts(IReadOnlyDictionary<string, long> counts);

    /// <summary>The learner of a level: char, word (with its options) or bpe (with its vocabulary size).</summary>
    public static VocabularyLearner For(TokenLevel level, VocabularyOptions? vocabulary = null) => level switch
    {
        TokenLevel.Char => new Characters(),
        TokenLevel.Word => new Words(vocabulary ?? new VocabularyOptions()),
        TokenLevel.Bpe => new BpePieces((vocabulary ?? new VocabularyOptions()).BpeSize),
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "unknown tokenizer level"),
    };

    /// <summary>Learns from one text in one piece (small texts, tests).</summary>
    public ITokenizer Learn(string text)
    {
        Add(Count(text));
        return Build();
    }

    private sealed class Characters : VocabularyLearner
    {
        public override Dictionary<string, long> Count(string text) => CharTokenizer.CountCharacters(text);

        public override Dictionary<string, long>? CountUtf8(ReadOnlySpan<byte> utf8) => CharTokenizer.CountUtf8(utf8);

        protected override ITokenizer FromCounts(IReadOnlyDictionary<string, long> counts) => CharTokenizer.FromCharacters(counts.Keys);
    }

    private sealed class Words(VocabularyOptions options) : VocabularyLearner
    {
        public override Dictionary<string, long> Count(string text) => WordTokenizer.CountWords(text, options.Lowercase);

        protected override ITokenizer FromCounts(IReadOnlyDictionary<string, long> counts) => WordTokenizer.FromCounts(counts, options);
    }

    private sealed class BpePieces(int vocabularySize) : VocabularyLearner
    {
        public override Dictionary<string, long> Count(string text) => BpeTrainer.CountPieces(text);

        protected override ITokenizer FromCounts(IReadOnlyDictionary<string, long> counts) => ByteLevelBpeTokenizer.FromPieceCounts(counts, vocabularySize);
    }
}
