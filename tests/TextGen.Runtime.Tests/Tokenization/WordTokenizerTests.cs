using TextGen.Tokenization;

namespace TextGen.Tests.Tokenization;

public class WordTokenizerTests
{
    private const string Prose = "Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse,\n" +
                                 "and nothing particular to interest me on shore, I thought I would sail about a little (and see the world)!\n" +
                                 "\"Don't,\" said he; it's 3.14 o'clock.\n\nThe end.";

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
