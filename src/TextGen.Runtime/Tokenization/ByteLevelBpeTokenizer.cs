using System.Text;
using Microsoft.ML.Tokenizers;

namespace TextGen.Tokenization;

/// <summary>
/// Byte-level BPE: merges learned by <see cref="BpeTrainer"/>, encoding and decoding by Microsoft.ML.Tokenizers'
/// <see cref="BpeTokenizer"/> in byte-level mode. Every string is encodable (the 256 bytes are in the vocabulary), so
/// nothing is ever unknown and decoding gives the text back exactly.
/// </summary>
public sealed class ByteLevelBpeTokenizer : ITokenizer
{
    public const string LevelName = "bpe";

    private readonly string[] _vocabulary;
    private readonly string[] _merges;
    private readonly BpeTokenizer _tokenizer;
    private readonly byte[][] _tokenBytes;

    private ByteLevelBpeTokenizer(IReadOnlyList<string> vocabulary, IReadOnlyList<string> merges)
    {
        _vocabulary = [.. vocabulary];
        _merges = [.. merges];
        _tokenBytes = _vocabulary.Select(ByteLevel.Decode).ToArray();
        _tokenizer = BpeTokenizer.Create(new BpeOptions(_vocabulary.Select((token, id) => new KeyValuePair<string, int>(token, id)))
        {
            Merges = _merges,
            PreTokenizer = new RegexPreTokenizer(BpeTrainer.PreTokenization(), null),
            ByteLevel = true,
        });
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

    public EncodedText Encode(string text) => new([.. _tokenizer.EncodeToIds(text)], 0, null);

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
