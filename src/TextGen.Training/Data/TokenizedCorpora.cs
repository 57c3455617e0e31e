using System.Text.Json;
using TextGen.Persistence;
using TextGen.Tokenization;

namespace TextGen.Data;

/// <summary>One file of a run: its ids in the run's vocabulary, and its line documents' starts (with --documents lines).</summary>
public sealed record CorpusPart(string Path, TokenIds Ids, long[]? DocumentStarts);

/// <summary>
/// The files of a run as token ids in one vocabulary, each file tokenized and cached on its own
/// (<see cref="CorpusEncoder"/>). At character level each file is cached with the vocabulary of its own characters and
/// read through a table into the run's, the union of them all, so adding a file tokenizes only that file. At word and
/// BPE level one vocabulary is learned over all the files (a word rare in each may be common in all), so a file that
/// changes it has every file encoded again. A given tokenizer (a model's, a checkpoint's) is used as it is.
/// Dispose to close the ids files.
/// </summary>
public sealed class TokenizedCorpora : IDisposable
{
    private readonly IReadOnlyList<TokenizedCorpus> _encoded;

    private TokenizedCorpora(IReadOnlyList<TokenizedCorpus> encoded, ITokenizer tokenizer, IReadOnlyList<CorpusPart> files, long[] counts)
    {
        _encoded = encoded;
        Tokenizer = tokenizer;
        Files = files;
        Counts = counts;
    }

    public ITokenizer Tokenizer { get; }
    public IReadOnlyList<CorpusPart> Files { get; }
    /// <summary>How often each id occurs, over all files.</summary>
    public long[] Counts { get; }
    public long Unknown => _encoded.Sum(e => e.Unknown);
    public string? FirstUnknown => _encoded.Select(e => e.FirstUnknown).FirstOrDefault(u => u is not null);
    /// <summary>Whether every file's ids came from the cache.</summary>
    public bool FromCache => _encoded.All(e => e.FromCache);
    public IEnumerable<string> CacheWarnings => _encoded.Select(e => e.CacheWarning).OfType<string>();

    public static TokenizedCorpora Encode(IReadOnlyList<string> paths, TokenizerChoice choice, TokenCache cache,
        IProgress<ByteProgress>? progress = null, CancellationToken cancel = default)
    {
        var corpora = paths.Select(p => CorpusFile.Open(p)).ToList(); // every file checked before any is read
        var total = corpora.Sum(c => c.Length);
        if (choice.Given is null && choice.Level != TokenLevel.Char && corpora.Count > 1)
        {
            choice = choice with { Given = CorpusEncoder.LearnJointly(corpora, choice, cache, progress, cancel) };
        }
        var encoded = new List<TokenizedCorpus>();
        try
        {
            long before = 0;
            foreach (var corpus in corpora)
            {
                encoded.Add(CorpusEncoder.Encode(corpus, choice, cache, Offset(progress, before, total), cancel));
                before += corpus.Length;
            }
            var tokenizer = Union(encoded.Select(e => e.Tokenizer).ToList(), choice);
            var counts = new long[tokenizer.VocabularySize];
            var files = new List<CorpusPart>();
            for (var i = 0; i < encoded.Count; i++)
            {
                var map = Map(encoded[i].Tokenizer, tokenizer);
                for (var id = 0; id < map.Length; id++) counts[map[id]] += encoded[i].Counts[id];
                var ids = map.Select((to, from) => to == from).All(same => same) ? encoded[i].Ids : new RemappedTokenIds(encoded[i].Ids, map);
                files.Add(new CorpusPart(corpora[i].Path, ids, encoded[i].DocumentStarts));
            }
            return new TokenizedCorpora(encoded, tokenizer, files, counts);
        }
        catch
        {
            foreach (var e in encoded) e.Dispose();
            throw;
        }
    }

    /// <summary>The run's vocabulary: the files' own when they agree, else (character level) the union of their characters.</summary>
    private static ITokenizer Union(IReadOnlyList<ITokenizer> tokenizers, TokenizerChoice choice)
    {
        var first = tokenizers[0];
        if (tokenizers.All(t => Same(t, first))) return first;
        var characters = tokenizers.SelectMany(t => Characters(t).Describe().Symbols).Distinct();
        var union = CharTokenizer.FromCharacters(characters);
        ITokenizer inner = choice.Extends is { } model ? model.Extend(union) : union;
        return first is DocumentTokenizer ? new DocumentTokenizer(inner) : inner;
    }

    /// <summary>Whether two tokenizers are one vocabulary: the same instance (a given or jointly learned one) needs no serialising.</summary>
    private static bool Same(ITokenizer a, ITokenizer b) => (a is DocumentTokenizer) == (b is DocumentTokenizer) && ReferenceEquals(Unwrapped(a), Unwrapped(b)) ||
        JsonSerializer.Serialize(a.Describe(), HeaderJson.Default.TokenizerDescription) == JsonSerializer.Serialize(b.Describe(), HeaderJson.Default.TokenizerDescription);

    private static ITokenizer Unwrapped(ITokenizer tokenizer) => tokenizer is DocumentTokenizer d ? d.Inner : tokenizer;

    private static CharTokenizer Characters(ITokenizer tokenizer) => (CharTokenizer)Unwrapped(tokenizer);

    /// <summary>Each id of <paramref name="from"/> as the id of the same token in <paramref name="to"/> (document markers to markers).</summary>
    private static int[] Map(ITokenizer from, ITokenizer to)
    {
        if (Same(from, to)) return [.. Enumerable.Range(0, from.VocabularySize)];
        var symbols = Characters(to).Describe().Symbols.Select((s, id) => (s, id)).ToDictionary(p => p.s, p => p.id, StringComparer.Ordinal);
        var fromSymbols = Characters(from).Describe().Symbols;
        var map = new int[from.VocabularySize];
        for (var id = 0; id < map.Length; id++)
        {
            map[id] = id < fromSymbols.Count ? symbols[fromSymbols[id]] : ((DocumentTokenizer)to).Start + id - fromSymbols.Count;
        }
        return map;
    }

    private static IProgress<ByteProgress>? Offset(IProgress<ByteProgress>? progress, long before, long total) =>
        progress is null ? null : new OffsetProgress(progress, before, total);

    /// <summary>A file's passes reported as parts of one pass over all the files.</summary>
    private sealed class OffsetProgress(IProgress<ByteProgress> progress, long before, long total) : IProgress<ByteProgress>
    {
        public void Report(ByteProgress value) => progress.Report(value with { Bytes = before + value.Bytes, TotalBytes = total });
    }

    public void Dispose()
    {
        foreach (var e in _encoded) e.Dispose();
    }
}
