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

    /// <summary>The scan splits every text as GPT-2's pattern does: contractions, runs with their space, whitespace before a word.</summary>
    [Fact]
    public void TheBpeScanSplitsAsThePattern()
    {
        string[] alphabet = ["a", "Z", "é", "日", "ʰ", "٣", "Ⅳ", "²", "7", "_", "'", "'s", "'d", "'ll", "'ve", "'re", "'S", "'l", "'v", " ", "  ", "\t", "\n",
            "\r", "\u00A0", "\u2028", "\u3000", "\u0085", "\u0301", "\u200D", "🐋", "\uD83D", "\uDC0B", "\0", ".", "!", "--", "\"", "€"];
        var random = new Random(13);
        for (var trial = 0; trial < 3000; trial++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(0, 24)).Select(_ => alphabet[random.Next(alphabet.Length)]));
            var expected = BpeTrainer.PreTokenization().Matches(text).Select(m => (m.Index, m.Length)).ToArray();
            var actual = new List<(int, int)>();
            foreach (var piece in TextPieces.Bpe(text)) actual.Add(piece);
            Assert.True(expected.SequenceEqual(actual), $"{System.Text.Json.JsonSerializer.Serialize(text)}: expected {string.Join(" ", expected)}, got {string.Join(" ", actual)}");
        }
    }

    /// <summary>
    /// Encode merges one pre-token at a time, its own way, through a cache; the ids must be the library's for the whole
    /// text with the same pre-tokenizer, on first sight and from the cache, on one thread or many.
    /// </summary>
    [Fact]
    public void CachedEncodingGivesTheLibrarysIdsForTheWholeText()
    {
        var description = Tokenizer.Describe();
        var library = Microsoft.ML.Tokenizers.BpeTokenizer.Create(
            new Microsoft.ML.Tokenizers.BpeOptions(description.Symbols.Select((token, id) => new KeyValuePair<string, int>(token, id)))
            {
                Merges = description.Merges,
                PreTokenizer = new Microsoft.ML.Tokenizers.RegexPreTokenizer(BpeTrainer.PreTokenization(), null),
                ByteLevel = true,
            });
        var fresh = (ByteLevelBpeTokenizer)TokenizerFactory.FromDescription(description);
        var random = new Random(7);
        string[] alphabet = ["the", " whale", " ", "   ", "\n", "\t", "\r\n", "'s", "'ll", "'S", "42", " 7", "!?", " --", "é", "日本", "🐋", "\u0301",
            "\uD83D", "\uDC0B", "\u00A0", "\u2028", "\u3000", "_", "x1"];
        var texts = Enumerable.Range(0, 300).Select(_ => string.Concat(Enumerable.Range(0, random.Next(0, 30)).Select(_ => alphabet[random.Next(alphabet.Length)])))
            .Append(Corpora.Prose(3))
            // Long pieces, merged through the priority queue: one letter over and over, and random letters.
            .Append(new string('a', 3000)).Append(string.Concat(Enumerable.Range(0, 3000).Select(_ => "thew"[random.Next(4)]))).ToArray();
        foreach (var text in texts.Concat(texts)) // the second time from the cache
        {
            Assert.Equal(library.EncodeToIds(text), fresh.Encode(text).Ids);
        }
        var parallel = TokenizerFactory.FromDescription(description); // an empty cache, filled by four threads at once
        var results = new int[texts.Length][];
        Parallel.For(0, texts.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => results[i % texts.Length] = parallel.Encode(texts[i % texts.Length]).Ids);
        for (var i = 0; i < texts.Length; i++) Assert.Equal(library.EncodeToIds(texts[i]), results[i]);
    }

    /// <summary>Equal ranks merge leftmost first: "aaa" is "aa" + "a", then "aaa", as the library merges it.</summary>
    [Fact]
    public void EqualRanksMergeLeftmostFirstAsTheLibraryDoes()
    {
        var symbols = Enumerable.Range(0, BpeTrainer.ByteAlphabet).Select(b => ByteLevel.ByteToChar[b].ToString()).Append("aa").Append("aaa").ToArray();
        string[] merges = ["a a", "aa a"];
        var ours = TokenizerFactory.FromDescription(new TokenizerDescription(ByteLevelBpeTokenizer.LevelName, symbols) { Merges = merges });
        var library = Microsoft.ML.Tokenizers.BpeTokenizer.Create(
            new Microsoft.ML.Tokenizers.BpeOptions(symbols.Select((token, id) => new KeyValuePair<string, int>(token, id)))
            {
                Merges = merges,
                PreTokenizer = new Microsoft.ML.Tokenizers.RegexPreTokenizer(BpeTrainer.PreTokenization(), null),
                ByteLevel = true,
            });
        Assert.Equal([257], ours.Encode("aaa").Ids); // rightmost first would leave "a" + "aa", which has no merge
        foreach (var text in (string[])["aa", "aaa", "aaaa", "aaaaa", "aaaaaa", "aaaaaaa"])
        {
            Assert.Equal(library.EncodeToIds(text), ours.Encode(text).Ids);
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
