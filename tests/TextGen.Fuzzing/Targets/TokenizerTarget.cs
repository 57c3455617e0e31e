using System.Text;
using System.Text.Json;
using TextGen.Persistence;
using TextGen.Tokenization;

namespace TextGen.Fuzzing;

/// <summary>
/// A tokenizer description as a model header and the token cache store it (JSON), then encoding, decoding and
/// streaming with the tokenizer it gives: ids stay in the vocabulary, and text the vocabulary covers comes back whole.
/// </summary>
internal sealed class TokenizerTarget : FuzzTarget
{
    public override string Name => "tokenizer";

    public override string Description => "tokenizer JSON (char, word, BPE; documents), then encode, decode and stream";

    private static readonly string[] Texts = ["the cat sat on the mat.", "Ünïcödé 🙂 \r\n\t<unk> a  b", "", "\u0000\uFFFD x"];

    public override bool Run(byte[] input)
    {
        TokenizerDescription? description;
        try
        {
            description = JsonSerializer.Deserialize(input, HeaderJson.Default.TokenizerDescription);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return false; // what the model file and the cache make of it: a corrupt header, a cache miss
        }
        if (description is null) return false;
        return Refusable(() => Exercise(TokenizerFactory.FromDescription(description)));
    }

    private static void Exercise(ITokenizer tokenizer)
    {
        var again = TokenizerFactory.FromDescription(tokenizer.Describe());
        if (again.VocabularySize != tokenizer.VocabularySize) throw new FuzzFinding("a tokenizer rebuilt from its own description differs");
        foreach (var raw in Texts)
        {
            var text = TextNormalizer.Normalize(raw);
            var encoded = tokenizer.Encode(text);
            if (encoded.Ids.Any(id => id < 0 || id >= tokenizer.VocabularySize)) throw new FuzzFinding($"an id outside the vocabulary for '{text}'");
            var decoded = tokenizer.Decode(encoded.Ids);
            var streamed = new StringBuilder();
            var stream = tokenizer.NewStreamDecoder();
            foreach (var id in encoded.Ids) streamed.Append(stream.Push(id));
            streamed.Append(stream.Flush());
            if (tokenizer.Level != WordTokenizer.LevelName && encoded.UnknownCount == 0 && (decoded != text || streamed.ToString() != text))
            {
                throw new FuzzFinding($"'{text}' came back as '{decoded}' (streamed '{streamed}')");
            }
            if (tokenizer is DocumentTokenizer documents && documents.EncodeDocuments(text, out _).SelectMany(d => d).Any(id => id >= tokenizer.VocabularySize))
            {
                throw new FuzzFinding("a document id outside the vocabulary");
            }
        }
        for (var id = 0; id < Math.Min(tokenizer.VocabularySize, 4096); id++) tokenizer.TokenText(id);
    }

    public override IEnumerable<(string, byte[])> Seeds()
    {
        var text = "the cat sat on the mat.\nThe dog sat on the log, the cat ran.\n";
        ITokenizer[] tokenizers = [CharTokenizer.Build(text), SeedFiles.Words(text), SeedFiles.Bpe(text), new DocumentTokenizer(CharTokenizer.Build(text))];
        var names = new[] { "char", "word", "bpe", "char-documents" };
        for (var i = 0; i < tokenizers.Length; i++)
        {
            yield return (names[i], JsonSerializer.SerializeToUtf8Bytes(tokenizers[i].Describe(), HeaderJson.Default.TokenizerDescription));
        }
    }
}
