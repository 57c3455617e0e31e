using System.Text;
using TextGen.Tokenization;

namespace TextGen.Tests.Tokenization;

public class BpeTokenizerTests
{
    private static readonly ByteLevelBpeTokenizer Tokenizer = ByteLevelBpeTokenizer.Train(Corpora.Prose(20) + "日本語のテキスト 🐋🐋 café", 400);

    [Fact]
    public void RoundTripIsExactOnArbitraryUnicode()
    {
        // Property-based: random strings mixing ASCII, Latin-1, CJK, emoji (surrogate pairs), combining marks and control characters.
        var random = new Random(12345);
        string[] alphabet = ["a", "b", " ", "  ", "\n", "\t", "\r", "\0", "\u0007", "é", "ß", "日", "本", "語", "🐋", "👨‍👩‍👧", "🇳🇴",
            "\u0301", "'s", "The", " whale", "\uFEFF", "\u200B", "𝔘"];
        for (var trial = 0; trial < 500; trial++)
        {
            var text = new StringBuilder();
            var length = random.Next(0, 40);
            for (var i = 0; i < length; i++)
            {
                text.Append(random.Next(8) == 0 ? char.ConvertFromUtf32(random.Next(0x20, 0x2FFFF) is var cp && cp is >= 0xD800 and <= 0xDFFF ? 0x41 : cp) : alphabet[random.Next(alphabet.Length)]);
            }
            var s = text.ToString();
            var ids = Tokenizer.Encode(s).Ids;
            Assert.Equal(s, Tokenizer.Decode(ids));
            Assert.All(ids, id => Assert.InRange(id, 0, Tokenizer.VocabularySize - 1));
        }
    }

    [Fact]
    public void LearnedMergesShortenCommonText()
    {
        var text = Corpora.Prose(1);
        Assert.True(Tokenizer.Encode(text).Ids.Length < Encoding.UTF8.GetByteCount(text) / 2);
        Assert.Equal(400, Tokenizer.VocabularySize);
        var rebuilt = TokenizerFactory.FromDescription(Tokenizer.Describe());
        Assert.Equal(Tokenizer.Encode(text).Ids, rebuilt.Encode(text).Ids);
    }

    [Fact]
    public void StreamDecoderNeverSplitsACharacterAcrossTokens()
    {
        const string text = "🐋 日本語 café 👨‍👩‍👧";
        var ids = ByteLevelBpeTokenizer.Train("x", 256).Encode(text).Ids; // bytes only: every multi-byte character spans tokens
        var decoder = ByteLevelBpeTokenizer.Train("x", 256).NewStreamDecoder();
        var pieces = ids.Select(decoder.Push).Append(decoder.Flush()).ToArray();
        Assert.Equal(text, string.Concat(pieces));
        Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD'));
    }

    [Fact]
    public void PrefixesAreTokenizedIntoLearnedSubwordsNeverUnknown()
    {
        var encoded = Tokenizer.Encode("Call me Ishmael, Queequeg");
        Assert.Equal(0, encoded.UnknownCount);
        Assert.Contains(" Ishmael", encoded.Ids.Select(Tokenizer.TokenText)); // a frequent word is one learned token
        Assert.Equal("Call me Ishmael, Queequeg", Tokenizer.Decode(encoded.Ids));
    }

    [Fact]
    public void VocabularySmallerThanTheByteAlphabetIsRefused()
    {
        var error = Assert.Throws<SettingException>(() => ByteLevelBpeTokenizer.Train("text", 100));
        Assert.Contains("use 256 to", error.Message);
    }

    [Fact]
    public void MergesAreLearnedMostFrequentPairFirst()
    {
        var (vocabulary, merges) = BpeTrainer.Train("aaab aaab aaab xy", 259);
        Assert.Equal(3, merges.Length);
        Assert.Equal("a a", merges[0]);          // (a,a) occurs 6 times
        Assert.Equal("a b", merges[1]);          // (a,b) and (aa,a) both 3 now: ties go to the lower ids
        Assert.Equal(259, vocabulary.Length);
    }
}
