using System.Collections.Concurrent;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace TextGen.Tokenization;

/// <summary>
/// Byte-level BPE: merges learned by <see cref="BpeTrainer"/>, and the ids Microsoft.ML.Tokenizers'
/// <see cref="BpeTokenizer"/> gives in byte-level mode (it decodes). Every string is encodable (the 256 bytes are in
/// the vocabulary), so nothing is ever unknown and decoding gives the text back exactly. Encoding reaches the
/// library's ids by a faster road (docs/benchmarks.md): the text splits into pre-tokens by a scan
/// (<see cref="TextPieces.Bpe"/>), each is looked up in a cache of ids, as text repeats its words, and a new one is
/// merged by <see cref="BpeMerges"/>.
/// </summary>
public sealed class ByteLevelBpeTokenizer : ITokenizer
{
    public const string LevelName = "bpe";

    private readonly string[] _vocabulary;
    private readonly string[] _merges;
    private readonly BpeTokenizer _tokenizer;
    private readonly BpeMerges _merging;
    private readonly byte[][] _tokenBytes;
    private readonly ConcurrentDictionary<string, int[]> _pieceIds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _pieceLookup;

    /// <summary>
    /// Pre-tokens cached at most, and their longest: words, not the megabyte-long pieces a hostile prompt can hold, so
    /// the cache stays under some 30 MB.
    /// </summary>
    private const int CachedPieces = 1 << 17, CachedPieceLength = 64;
    private int _cachedCount;

    private ByteLevelBpeTokenizer(IReadOnlyList<string> vocabulary, IReadOnlyList<string> merges)
    {
        _vocabulary = [.. vocabulary];
        _merges = [.. merges];
        _tokenBytes = _vocabulary.Select(ByteLevel.Decode).ToArray();
        // The library decodes; its own encoder (with its default pre-tokenizer) is not used.
        _tokenizer = BpeTokenizer.Create(new BpeOptions(_vocabulary.Select((token, id) => new KeyValuePair<string, int>(token, id)))
        {
            Merges = _merges,
            ByteLevel = true,
        });
        _merging = new BpeMerges(_vocabulary, _merges);
        _pieceLookup = _pieceIds.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string Level => LevelName;
    public int VocabularySize => _vocabulary.Length;

    public static ByteLevelBpeTokenizer Train(string text, int vocabularySize) => FromPieceCounts(BpeTrainer.CountPieces(text), vocabularySize);

    /// <summary>Learns the merges from pre-token piece counts added up over a corpus (<see cref="VocabularyLearner"/>).</summary>
    public static ByteLevelBpeTokenizer FromPieceCounts(IReadOnlyDictionary<string, long> pieceCounts, int vocabularySize)
    {
        var (vocabulary, merges) = BpeTrainer.Train(pieceCounts, vocabularySize);
        return new ByteLevelBpeTokenizer(vocabulary, merges);
    }

    public static ByteLevelBpeTokenizer FromDescription(TokenizerDescription description)
    {
        // Every byte must have its token, in byte order, or text with that byte would be lost without a word.
        if (description.Symbols.Count < BpeTrainer.ByteAlphabet || description.Merges is null
            || !description.Symbols.Take(BpeTrainer.ByteAlphabet).Select((symbol, b) => symbol.Length == 1 && symbol[0] == ByteLevel.ByteToChar[b]).All(same => same))
        {
            throw new TextGenException("the model file's BPE vocabulary lacks its bytes or merges; the file is corrupt.");
        }
        try
        {
            return new ByteLevelBpeTokenizer(description.Symbols, description.Merges);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw new TextGenException($"the model file's BPE merges do not fit its vocabulary ({e.Message.Split((char)10, 2)[0].Trim()}); the file is corrupt or was edited.", e);
        }
    }

    /// <summary>The ids of the library's encoding with <see cref="BpeTrainer.PreTokenization"/> as its pre-tokenizer (tests compare the two).</summary>
    public EncodedText Encode(string text)
    {
        var ids = new List<int>(text.Length / 3 + 1);
        foreach (var (offset, length) in TextPieces.Bpe(text))
        {
            var piece = text.AsSpan(offset, length);
            if (!_pieceLookup.TryGetValue(piece, out var pieceIds))
            {
                pieceIds = _merging.Encode(piece);
                if (piece.Length <= CachedPieceLength && Volatile.Read(ref _cachedCount) < CachedPieces && _pieceIds.TryAdd(piece.ToString(), pieceIds))
                {
                    Interlocked.Increment(ref _cachedCount);
                }
            }
            ids.AddRange(pieceIds);
        }
        return new EncodedText([.. ids], 0, null);
    }

    public string Decode(IEnumerable<int> ids) => _tokenizer.Decode(ids);

    /// <summary>A token's text on its own; a token may hold part of a multi-byte character (then it shows U+FFFD).</summary>
    public string TokenText(int id) => Encoding.UTF8.GetString(Bytes(id));

    public ITokenStreamDecoder NewStreamDecoder() => new Utf8StreamDecoder(this);

    public TokenizerDescription Describe() => new(LevelName, _vocabulary) { Merges = _merges };

    private byte[] Bytes(int id) =>
        (uint)id < (uint)_tokenBytes.Length ? _tokenBytes[id] : throw new ArgumentOutOfRangeException(nameof(id), id, "token id outside the vocabulary");

    /// <summary>Releases text only once its UTF-8 bytes are complete, so a character split across tokens comes out whole.</summary>
    private sealed class Utf8StreamDecoder(ByteLevelBpeTokenizer tokenizer) : ITokenStreamDecoder
    {
        private readonly Decoder _decoder = new UTF8Encoding(false, false).GetDecoder();
        private readonly char[] _chars = new char[64];

        public string Push(int id)
        {
            var bytes = tokenizer.Bytes(id);
            var buffer = bytes.Length * 2 + 4 <= _chars.Length ? _chars : new char[bytes.Length * 2 + 4];
            var count = _decoder.GetChars(bytes, 0, bytes.Length, buffer, 0, flush: false);
            return new string(buffer, 0, count);
        }

        public string Flush()
        {
            var count = _decoder.GetChars([], 0, 0, _chars, 0, flush: true);
            return new string(_chars, 0, count);
        }
    }
}
