using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text.Json;
using TextGen.Persistence;
using TextGen.Tokenization;

namespace TextGen.Data;

/// <summary>How to get a corpus's tokenizer: learn one with these settings (then cached), or use a model's.</summary>
public sealed record TokenizerChoice
{
    public TokenLevel Level { get; init; }
    public VocabularyOptions Vocabulary { get; init; } = new();
    /// <summary>Each non-empty line is a document with start and end markers.</summary>
    public bool Documents { get; init; }
    /// <summary>A given tokenizer (a model's or a checkpoint's): nothing is learned.</summary>
    public ITokenizer? Given { get; init; }
    /// <summary>
    /// A model's character vocabulary to grow (fine-tuning): the corpus's characters are learned as usual, and those the
    /// model lacks are appended to its vocabulary (<see cref="CharTokenizer.Extend"/>).
    /// </summary>
    public CharTokenizer? Extends { get; init; }

    /// <summary>Changes whenever learning would give another vocabulary from the same corpus and settings.</summary>
    private const string LearnerVersion = "2"; // 2: BPE merges from the 200,000 most frequent pieces

    internal string LearningKey(string contentHash) => TokenCache.Key("vocabulary", LearnerVersion, Level.Name(), Vocabulary.MinCount.ToString(), Vocabulary.MaxVocabulary.ToString(),
        Vocabulary.Lowercase.ToString(), Vocabulary.BpeSize.ToString(), contentHash);
}

/// <summary>A corpus as token ids on disk, with what tokenizing it found. Dispose to close the ids file.</summary>
public sealed class TokenizedCorpus(ITokenizer tokenizer, TokenIds ids, TokenCacheEntry entry, long[]? documentStarts, bool fromCache) : IDisposable
{
    /// <summary>Set when the cache held a damaged entry for this corpus, which was rebuilt: one line to show as a warning.</summary>
    public string? CacheWarning { get; init; }

    public ITokenizer Tokenizer { get; } = tokenizer;
    public TokenIds Ids { get; } = ids;
    /// <summary>How often each id occurs.</summary>
    public long[] Counts => entry.Counts!;
    public long Unknown => entry.Unknown;
    public string? FirstUnknown => entry.FirstUnknown;
    /// <summary>Line documents: where each starts in <see cref="Ids"/> (its start marker); it ends where the next starts.</summary>
    public long[]? DocumentStarts { get; } = documentStarts;
    /// <summary>Whether the ids came from the cache rather than a pass over the corpus.</summary>
    public bool FromCache { get; } = fromCache;

    public void Dispose() => Ids.Dispose();
}

/// <summary>
/// Turns a corpus file into token ids in the <see cref="TokenCache"/>, once: the vocabulary is learned in one pass
/// (every core counting pieces of the file), the ids written in a second (every core encoding pieces, written in file
/// order in the narrowest integer type the vocabulary allows). Later calls with the same corpus content and settings
/// find both in the cache and read nothing but the cache's records.
/// </summary>
public static class CorpusEncoder
{
    public static TokenizedCorpus Encode(string corpusPath, TokenizerChoice choice, TokenCache cache,
        IProgress<ByteProgress>? progress = null, CancellationToken cancel = default) =>
        Encode(CorpusFile.Open(corpusPath), choice, cache, progress, cancel);

    internal static TokenizedCorpus Encode(CorpusFile corpus, TokenizerChoice choice, TokenCache cache,
        IProgress<ByteProgress>? progress = null, CancellationToken cancel = default)
    {
        cache.EnsureWritable();
        var before = SettledStamp(corpus, cancel);
        var hash = cache.ContentHash(corpus, Bytes(progress, "hashing", corpus.Length));
        var tokenizer = choice.Given ?? LearnedTokenizer(corpus, choice, cache, hash, progress, cancel);
        if (choice.Extends is { } model)
        {
            tokenizer = model.Extend((CharTokenizer)tokenizer);
        }
        if (choice.Documents && tokenizer is not DocumentTokenizer)
        {
            tokenizer = new DocumentTokenizer(tokenizer);
        }
        var key = TokenCache.Key("ids", TokenCacheEntry.CurrentFormat.ToString(),
            JsonSerializer.Serialize(tokenizer.Describe(), HeaderJson.Default.TokenizerDescription), hash);
        string? warning = null;
        if (cache.FindIds(key) is { } hit)
        {
            try
            {
                return Open(tokenizer, hit, corpus, hash, fromCache: true);
            }
            catch (Exception e) when (e is TextGenException or IOException or UnauthorizedAccessException or OverflowException)
            {
                // A damaged or half-deleted entry is a miss: tokenize again, rewrite it, and say so.
                warning = $"the token cache's entry for {corpus.Path} was damaged ({e.Message.Split(';')[0].TrimEnd('.')}); it was tokenized again.";
            }
        }
        Encode(corpus, tokenizer, cache, key, hash, () => corpus.Stamp() == before, progress, cancel);
        var written = cache.FindIds(key) ?? throw new TextGenException($"the token cache in {cache.Directory} lost an entry while it was written; run again.");
        return Open(tokenizer, written, corpus, hash, fromCache: false, warning);
    }

    /// <summary>
    /// The corpus's stamp once its last change is clearly in the past (<see cref="FileStamp.ChangedJustBefore"/>): a file written within the
    /// file system's timestamp granularity of now could be written again without its stamp moving, and its new content
    /// would then be stored under the old content's hash. Waits at most 100 ms (2 s on coarse file systems) for a file
    /// just written; one still being written after 5 s is refused.
    /// </summary>
    private static FileStamp SettledStamp(CorpusFile corpus, CancellationToken cancel)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var stamp = corpus.Stamp();
            if (!stamp.ChangedJustBefore(FileStamp.NowNs)) return stamp;
            if (waited.Elapsed > TimeSpan.FromSeconds(5)) throw new TextGenException($"{corpus.Path} is still being written; run again once it is complete.");
            cancel.WaitHandle.WaitOne(50);
            cancel.ThrowIfCancellationRequested();
        }
    }

    private static ITokenizer LearnedTokenizer(CorpusFile corpus, TokenizerChoice choice, TokenCache cache, string hash,
        IProgress<ByteProgress>? progress, CancellationToken cancel) => Learn([corpus], choice, cache, hash, progress, cancel);

    /// <summary>
    /// One vocabulary learned over all of <paramref name="corpora"/> (word and BPE levels of a many-file run: a word
    /// rare in each file may be common in all), cached under the files' hashes in order.
    /// </summary>
    internal static ITokenizer LearnJointly(IReadOnlyList<CorpusFile> corpora, TokenizerChoice choice, TokenCache cache,
        IProgress<ByteProgress>? progress, CancellationToken cancel)
    {
        cache.EnsureWritable();
        var hashes = corpora.Select(c => cache.ContentHash(c, Bytes(progress, "hashing", c.Length))).ToArray();
        return Learn(corpora, choice, cache, TokenCache.Key(hashes), progress, cancel);
    }

    private static ITokenizer Learn(IReadOnlyList<CorpusFile> corpora, TokenizerChoice choice, TokenCache cache, string hash,
        IProgress<ByteProgress>? progress, CancellationToken cancel)
    {
        var key = choice.LearningKey(hash);
        if (cache.FindTokenizer(key) is { } known && known.Level == choice.Level.Name() && !known.Documents)
        {
            try
            {
                return TokenizerFactory.FromDescription(known);
            }
            catch (TextGenException)
            {
                // A damaged record is a miss: learn again and rewrite it.
            }
        }
        var learner = VocabularyLearner.For(choice.Level, choice.Vocabulary);
        foreach (var corpus in corpora)
        {
            corpus.ForEachChunk(chunk => chunk.PlainUtf8 is { } plain && learner.CountUtf8(plain.Span) is { } counted ? counted : learner.Count(chunk.Text),
                (_, counts) => learner.Add(counts),
                Bytes(progress, "learning the vocabulary", corpus.Length), cancel: cancel);
        }
        var tokenizer = learner.Build();
        cache.StoreTokenizer(key, tokenizer.Describe());
        return tokenizer;
    }

    /// <param name="unchanged">Whether the corpus is still the file that was hashed: ids of a file being written are not kept.</param>
    private static void Encode(CorpusFile corpus, ITokenizer tokenizer, TokenCache cache, string key, string hash, Func<bool> unchanged,
        IProgress<ByteProgress>? progress, CancellationToken cancel)
    {
        var elementSize = TokenIds.ElementSize(tokenizer.VocabularySize);
        var counts = new long[tokenizer.VocabularySize];
        long count = 0, unknown = 0;
        string? firstUnknown = null;
        var documentStarts = new List<long>();
        var documents = tokenizer as DocumentTokenizer;
        var idsHash = new XxHash3(); // of the bytes as written: the file is not read again to check it
        AtomicFile.Write(cache.IdsPath(key), stream =>
        {
            corpus.ForEachChunk(
                chunk => EncodePiece(chunk, tokenizer, elementSize),
                (_, piece) =>
                {
                    if (piece.Counts is { } pieceCounts)
                    {
                        for (var id = 0; id < pieceCounts.Length; id++) counts[id] += pieceCounts[id];
                    }
                    else
                    {
                        foreach (var id in piece.Ids!) counts[id]++;
                    }
                    unknown += piece.Unknown;
                    firstUnknown ??= piece.FirstUnknown;
                    if (documents is not null)
                    {
                        for (var i = 0; i < piece.Ids!.Length; i++)
                        {
                            if (piece.Ids[i] == documents.Start) documentStarts.Add(count + i);
                        }
                    }
                    var written = piece.Bytes.AsSpan(0, piece.Tokens * elementSize);
                    stream.Write(written);
                    idsHash.Append(written);
                    System.Buffers.ArrayPool<byte>.Shared.Return(piece.Bytes);
                    count += piece.Tokens;
                },
                Bytes(progress, "tokenizing", corpus.Length), wholeLines: documents is not null, cancel);
        });
        if (documents is not null)
        {
            AtomicFile.Write(Path.ChangeExtension(cache.IdsPath(key), ".docs"), stream =>
            {
                var bytes = new byte[8];
                foreach (var start in documentStarts)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(bytes, start);
                    stream.Write(bytes);
                }
            });
        }
        if (!unchanged())
        {
            File.Delete(cache.IdsPath(key)); // no record was written: the entry never existed, so its files go
            File.Delete(Path.ChangeExtension(cache.IdsPath(key), ".docs"));
            throw new TextGenException($"{corpus.Path} changed while it was read; run again once it is complete.");
        }
        cache.StoreEntry(key, new TokenCacheEntry
        {
            Corpus = Path.GetFullPath(corpus.Path),
            CorpusBytes = corpus.Length,
            ContentHash = hash,
            ElementSize = elementSize,
            Count = count,
            Counts = counts,
            Unknown = unknown,
            FirstUnknown = firstUnknown,
            Documents = documentStarts.Count,
            IdsHash = Convert.ToHexStringLower(idsHash.GetCurrentHash()),
            DocumentsHash = documents is null ? "" : TokenCacheEntry.Checksum(Path.ChangeExtension(cache.IdsPath(key), ".docs")),
        });
    }

    private static EncodedText Flatten(IReadOnlyList<int[]> documents, int unknown) => new([.. documents.SelectMany(d => d)], unknown, null);

    /// <summary>
    /// One piece encoded on the core that maps it: the bytes its ids are written as (in a pooled array, longer than them), how often each id occurs (for
    /// vocabularies up to 65,536; else the ids, counted by the consumer), the ids themselves where documents need them.
    /// </summary>
    private sealed record EncodedPiece(int Tokens, byte[] Bytes, int[]? Counts, int[]? Ids, long Unknown, string? FirstUnknown);

    private static EncodedPiece EncodePiece(CorpusChunk chunk, ITokenizer tokenizer, int elementSize)
    {
        var counted = tokenizer.VocabularySize <= 1 << 16;
        if (tokenizer is CharTokenizer { VocabularySize: <= 256 } small && chunk.PlainUtf8 is { } text)
        {
            // Character level with one-byte ids, the common case: ids and their counts straight from the bytes, in one
            // pass. A character outside the vocabulary takes the decoded path below, which counts and names it.
            var bytes = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(1, text.Length));
            var pieceCounts = new int[small.VocabularySize];
            var tokens = small.EncodeUtf8(text.Span, bytes, pieceCounts);
            if (tokens >= 0) return new EncodedPiece(tokens, bytes, pieceCounts, null, 0, null);
            System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
        }
        var encoded = tokenizer is DocumentTokenizer documents ? Flatten(documents.EncodeDocuments(chunk.Text, out var missing), missing) : tokenizer.Encode(chunk.Text);
        int[]? counts = null;
        if (counted)
        {
            counts = new int[tokenizer.VocabularySize];
            foreach (var id in encoded.Ids) counts[id]++;
        }
        var keep = !counted || tokenizer is DocumentTokenizer;
        return new EncodedPiece(encoded.Ids.Length, TokenIds.ToPooledBytes(encoded.Ids, elementSize), counts, keep ? encoded.Ids : null, encoded.UnknownCount, encoded.FirstUnknown);
    }

    /// <summary>Opens an entry, checking what it says against the corpus, the tokenizer and the files (the cache is a folder anyone can edit).</summary>
    private static TokenizedCorpus Open(ITokenizer tokenizer, (TokenCacheEntry Entry, string Ids, string Documents) found, CorpusFile corpus, string hash, bool fromCache,
        string? warning = null)
    {
        var (entry, idsPath, documentsPath) = found;
        if (!entry.IsIntact() || entry.Counts is not { } counts || counts.Length != tokenizer.VocabularySize || counts.Any(c => c < 0) || counts.Sum() != entry.Count
            || entry.ElementSize != TokenIds.ElementSize(tokenizer.VocabularySize) || entry.Unknown < 0
            || entry.CorpusBytes != corpus.Length || entry.ContentHash != hash
            || (fromCache && TokenCacheEntry.Checksum(idsPath) != entry.IdsHash))
        {
            throw Damaged(idsPath);
        }
        var ids = TokenIds.OpenFile(idsPath, entry.Count, entry.ElementSize, tokenizer.VocabularySize);
        try
        {
            var starts = tokenizer is DocumentTokenizer documents ? DocumentStarts(documentsPath, entry, ids, documents, fromCache) : null;
            return new TokenizedCorpus(tokenizer, ids, entry, starts, fromCache) { CacheWarning = warning };
        }
        catch
        {
            ids.Dispose();
            throw;
        }
    }

    /// <summary>The .docs file: increasing starts from 0, each (of a sample of them) on a start marker.</summary>
    private static long[] DocumentStarts(string path, TokenCacheEntry entry, TokenIds ids, DocumentTokenizer documents, bool fromCache)
    {
        var bytesOnDisk = File.Exists(path) ? new FileInfo(path).Length : -1;
        if (entry.Documents < 1 || entry.Documents > entry.Count || bytesOnDisk != entry.Documents * 8
            || (fromCache && TokenCacheEntry.Checksum(path) != entry.DocumentsHash))
        {
            throw Damaged(path);
        }
        var starts = new long[entry.Documents];
        using (var stream = new BufferedStream(File.OpenRead(path), 1 << 20))
        {
            var bytes = new byte[8];
            for (var i = 0; i < starts.Length; i++)
            {
                stream.ReadExactly(bytes);
                starts[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes);
                if (starts[i] < 0 || starts[i] >= entry.Count || (i == 0 ? starts[i] != 0 : starts[i] <= starts[i - 1])) throw Damaged(path);
            }
        }
        var every = Math.Max(1, starts.Length / 1000);
        for (var i = 0; i < starts.Length; i += every)
        {
            if (ids[starts[i]] != documents.Start) throw Damaged(path);
        }
        return starts;
    }

    private static TextGenException Damaged(string path) =>
        new($"the token cache entry {Path.GetFileNameWithoutExtension(path)} does not match its files; delete {Path.GetDirectoryName(path)} and run again.");

    private static IProgress<long>? Bytes(IProgress<ByteProgress>? progress, string stage, long total) =>
        progress is null ? null : new Progress(progress, stage, total);

    private sealed class Progress(IProgress<ByteProgress> progress, string stage, long total) : IProgress<long>
    {
        public void Report(long value) => progress.Report(new ByteProgress(stage, value, total));
    }
}
