using TextGen.Tokenization;

namespace TextGen.Tests.Tokenization;

public class WordTokenizerTests
{
    private const string Prose = "Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse,\n" +
                                 "and nothing particular to interest me on shore, I thought I would sail about a little (and see the world)!\n" +
                                 "\"Don't,\" said he; it's 3.14 o'clock.\n\nThe end.";

    /// <summary>The scan splits every text as the library's regex pre-tokenizer does, whatever the characters' classes.</summary>
    [Fact]
    public void TheWordScanSplitsAsTheLibrarysPreTokenizer()
    {
        var library = Microsoft.ML.Tokenizers.PreTokenizer.CreateWordOrNonWord();
        // Letters of several kinds, digits of other scripts, marks, joiners, connector punctuation, spaces of every
        // kind, surrogate pairs and lone surrogates, control characters.
        string[] alphabet = ["a", "Z", "é", "日", "ʰ", "٣", "Ⅳ", "_", "‿", "\u0301", "\u0903", "\u200C", "\u200D", " ", "\t", "\r", "\u00A0",
            "\u2028", "\u3000", "\u0085", "\uFEFF", "\u200B", "🐋", "\uD83D", "\uDC0B", "\0", "\u0007", ".", ",", "--", "'", "\"", "(", "€", "+"];
        var random = new Random(11);
        for (var trial = 0; trial < 2000; trial++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(0, 24)).Select(_ => alphabet[random.Next(alphabet.Length)]));
            var expected = library.PreTokenize(text).ToArray();
            var actual = new List<(int, int)>();
            foreach (var piece in TextPieces.Words(text)) actual.Add(piece);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void OrdinaryProseComesBackExactly()
    {
        var tokenizer = WordTokenizer.Build(Prose, new VocabularyOptions { MinCount = 1 });
        var encoded = tokenizer.Encode(Prose);
        Assert.Equal(0, encoded.UnknownCount);
        Assert.Equal(Prose, tokenizer.Decode(encoded.Ids));
    }

    [Fact]
    public void WhitespaceIsNormalisedAsDocumented()
    {
        var text = "one   two\tthree  \nfour";
        var tokenizer = WordTokenizer.Build(text, new VocabularyOptions { MinCount = 1 });
        Assert.Equal("one two three\nfour", tokenizer.Decode(tokenizer.Encode(text).Ids));
    }

    [Fact]
    public void PrefixesAreTokenizedIntoWordsNotCharacters()
    {
        var tokenizer = WordTokenizer.Build(Prose, new VocabularyOptions { MinCount = 1 });
        var ids = tokenizer.Encode("Call me Ishmael.").Ids;
        Assert.Equal(["Call", " me", " Ishmael", "."], ids.Select(tokenizer.TokenText));
    }

    [Fact]
    public void RareAndUnseenWordsBecomeTheUnknownToken()
    {
        var tokenizer = WordTokenizer.Build("the whale the sea the whale\nthe end", new VocabularyOptions { MinCount = 2 });
        var encoded = tokenizer.Encode("the whale and the squid");
        Assert.Equal(2, encoded.UnknownCount);
        Assert.Equal("and", encoded.FirstUnknown);
        Assert.Equal("the whale <unk> the <unk>", tokenizer.Decode(encoded.Ids));
    }

    [Fact]
    public void MaxVocabularyKeepsTheMostFrequentAndLowercaseFoldsCase()
    {
        var tokenizer = WordTokenizer.Build("The the THE whale whale sea", new VocabularyOptions { MinCount = 1, MaxVocabulary = 3, Lowercase = true });
        Assert.Equal(["<unk>", " the", " whale"], tokenizer.Describe().Symbols);
        var rebuilt = TokenizerFactory.FromDescription(tokenizer.Describe());
        Assert.Equal(tokenizer.Encode("THE Whale").Ids, rebuilt.Encode("THE Whale").Ids);
    }
}
