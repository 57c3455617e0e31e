using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using TextGen.Persistence;
using TextGen.Tokenization;

namespace TextGen.Data;

/// <summary>What the token cache records beside a file of token ids (the ids file is valid only when this is written).</summary>
public sealed record TokenCacheEntry
{
    public const int CurrentFormat = 3; // 2: IdsHash; 3: DocumentsHash, RecordHash
    public int Format { get; init; } = CurrentFormat;
    /// <summary>The corpus file the ids were read from (for people looking in the cache; the key is its content).</summary>
    public string Corpus { get; init; } = "";
    public long CorpusBytes { get; init; }
    public string ContentHash { get; init; } = "";
    public int ElementSize { get; init; }
    public long Count { get; init; }
    /// <summary>How often each id occurs (the model header's token counts).</summary>
    public long[]? Counts { get; init; } = [];
    public long Unknown { get; init; }
    public string? FirstUnknown { get; init; }
    /// <summary>Line documents: how many documents the .docs file (their start positions, int64 each) holds.</summary>
    public long Documents { get; init; }
    /// <summary>XxHash3 of the ids file (hex), checked before the ids are used: damage that keeps ids in range is still found.</summary>
    public string IdsHash { get; init; } = "";
    /// <summary>XxHash3 of the .docs file (hex) for line documents, checked as the ids file is; empty otherwise.</summary>
    public string DocumentsHash { get; init; } = "";
    /// <summary>
    /// XxHash3 of this record's own JSON (without this field): counts swapped or a document total edited still pass every
    /// check of consistency, and would be served.
    /// </summary>
    public string RecordHash { get; init; } = "";

    /// <summary>This record with its <see cref="RecordHash"/> set, as it is stored.</summary>
    public TokenCacheEntry Sealed() => this with { RecordHash = HashOfRecord() };

    /// <summary>Whether the record is as it was stored.</summary>
    public bool IsIntact() => RecordHash == HashOfRecord();

    private string HashOfRecord() =>
        Convert.ToHexStringLower(XxHash3.Hash(JsonSerializer.SerializeToUtf8Bytes(this with { RecordHash = "" }, TokenCacheJson.Default.TokenCacheEntry)));

    /// <summary>XxHash3 of a file's bytes (hex), read in large blocks: at the disk's or memory's speed.</summary>
    public static string Checksum(string path)
    {
        var hash = new XxHash3();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = new byte[4 << 20];
        int read;
        while ((read = stream.Read(buffer)) > 0) hash.Append(buffer.AsSpan(0, read));
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }
}

/// <summary>
/// A corpus file's identity when its content hash was computed (<paramref name="RecordedNs"/>): the hash is reused while
/// the file's stamp is unchanged and its times are clearly older than the record (<see cref="FileStamp.OlderThan"/>).
/// </summary>
public sealed record CorpusIdentity(string Path, FileStamp Stamp, long RecordedNs, string ContentHash);

/// <summary>
/// A folder of tokenized corpora, so that a corpus is tokenized once: later runs, --resume and eval read its ids
/// from here. Everything is keyed by the corpus content (XxHash128): the tokenizer a set of vocabulary settings
/// learns from it (NAME.tokenizer.json, checked against its checksum), and the ids a tokenizer gives it (NAME.ids, NAME.json, and NAME.docs for
/// line documents). A corpus whose stamp (size, modification and change times, inode) is unchanged and clearly older
/// than the record is not hashed again, as git's index does. An entry's record, ids and document starts are checked
/// against the XxHash3s the record holds before they are used. Every file is written atomically and the record last, so a killed run leaves no
/// entry that looks whole.
/// Deleting the folder is always safe. Default: $TEXTGEN_CACHE, else $XDG_CACHE_HOME/textgen, else ~/.cache/textgen.
/// </summary>
public sealed class TokenCache(string directory)
{
    public string Directory { get; } = directory;

    public static string DefaultDirectory => UserCache.Root;

    private string Tokens => Path.Combine(Directory, "tokens");

    /// <summary>
    /// The corpus's content hash: remembered for its path and stamp (size, modification and change times, inode), else
    /// computed. A file whose times are too close to the record's to vouch for it is hashed again.
    /// </summary>
    public string ContentHash(CorpusFile corpus, IProgress<long>? bytesRead = null)
    {
        var full = Path.GetFullPath(corpus.Path);
        var stamp = corpus.Stamp();
        var record = Path.Combine(Tokens, "corpora", Key(full) + ".json");
        if (TryRead(record, TokenCacheJson.Default.CorpusIdentity) is { } known
            && known.Path == full && known.Stamp == stamp && stamp.OlderThan(known.RecordedNs))
        {
            return known.ContentHash;
        }
        var recorded = FileStamp.NowNs; // before the read: a write during it leaves the file's times after this
        var hash = corpus.ContentHash(bytesRead);
        if (corpus.Stamp() == stamp) Store(record, new CorpusIdentity(full, stamp, recorded, hash), TokenCacheJson.Default.CorpusIdentity);
        return hash;
    }

    /// <summary>The vocabulary learned under <paramref name="key"/>, or null when there is none or its checksum does not match it.</summary>
    public TokenizerDescription? FindTokenizer(string key) =>
        TryRead(Path.Combine(Tokens, key + ".tokenizer.json"), TokenCacheJson.Default.LearnedVocabulary) is { Tokenizer: { } tokenizer } record
            && record.Checksum == LearnedVocabulary.ChecksumOf(tokenizer)
            ? tokenizer
            : null;

    public void StoreTokenizer(string key, TokenizerDescription tokenizer) =>
        Store(Path.Combine(Tokens, key + ".tokenizer.json"), new LearnedVocabulary(tokenizer, LearnedVocabulary.ChecksumOf(tokenizer)), TokenCacheJson.Default.LearnedVocabulary);

    /// <summary>The entry and its files' paths, or null when there is none (or it is incomplete).</summary>
    public (TokenCacheEntry Entry, string Ids, string Documents)? FindIds(string key)
    {
        var ids = IdsPath(key);
        return TryRead(Path.ChangeExtension(ids, ".json"), TokenCacheJson.Default.TokenCacheEntry) is { Format: TokenCacheEntry.CurrentFormat } entry && File.Exists(ids)
            ? (entry, ids, Path.ChangeExtension(ids, ".docs"))
            : null;
    }

    public string IdsPath(string key) => Path.Combine(Tokens, key + ".ids");

    public void StoreEntry(string key, TokenCacheEntry entry) =>
        Store(Path.ChangeExtension(IdsPath(key), ".json"), entry.Sealed(), TokenCacheJson.Default.TokenCacheEntry);

    /// <summary>Checks, before any work, that the folder can be written, and removes what killed runs left half-written.</summary>
    public void EnsureWritable()
    {
        try
        {
            AtomicFile.EnsureWritable(Path.Combine(Tokens, "write-check"));
        }
        catch (TextGenException e)
        {
            throw new TextGenException($"the token cache {Tokens} cannot be written ({e.Message.TrimEnd('.')}); set TEXTGEN_CACHE to a writable folder.", e);
        }
        AtomicFile.RemoveStaleTemps(Tokens);
    }

    /// <summary>A file-name key: XxHash128 of the parts, in hex.</summary>
    public static string Key(params string[] parts) =>
        Convert.ToHexStringLower(XxHash128.Hash(Encoding.UTF8.GetBytes(string.Join('\u001f', parts))));

    /// <summary>An unreadable or malformed record is a cache miss: the work is redone and the record rewritten.</summary>
    private static T? TryRead<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllBytes(path), type) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            return null;
        }
    }

    private static void Store<T>(string path, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, value, type));
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(TokenCacheEntry))]
[System.Text.Json.Serialization.JsonSerializable(typeof(CorpusIdentity))]
[System.Text.Json.Serialization.JsonSerializable(typeof(LearnedVocabulary))]
internal sealed partial class TokenCacheJson : System.Text.Json.Serialization.JsonSerializerContext;
