using TextGen.Tokenization;

namespace TextGen.Tests.Tokenization;

public class CharTokenizerTests
{
    [Theory]
    [InlineData("hello, world\n")]
    [InlineData("日本語のテキスト、中文文本。")]
    [InlineData("emoji 🐋🎉 and a family 👨‍👩‍👧 and flags 🇳🇴")]
    [InlineData("mixed: abc 日本 🐋 \t\n end")]
    public void EncodeThenDecodeGivesTheTextBack(string text)
    {
        var tokenizer = CharTokenizer.Build(text);
        var encoded = tokenizer.Encode(text);
        Assert.Equal(0, encoded.UnknownCount);
        Assert.Equal(text, tokenizer.Decode(encoded.Ids));
    }

    [Fact]
    public void SurrogatePairsAreOneCharacterAndNeverSplit()
    {
        var tokenizer = CharTokenizer.Build("🐋a🐋");
        Assert.Equal(2, tokenizer.VocabularySize);
        var ids = tokenizer.Encode("🐋a🐋").Ids;
        Assert.Equal(3, ids.Length);
        Assert.Equal("🐋", tokenizer.TokenText(ids[0]));
        Assert.Equal(ids[0], ids[2]);
    }

    [Fact]
    public void VocabularyIsInCodePointOrderWhateverTheTextOrder()
    {
        var a = CharTokenizer.Build("cab🐋");
        var b = CharTokenizer.Build("🐋bca");
        Assert.Equal(a.Describe().Symbols, b.Describe().Symbols);
        Assert.Equal(["a", "b", "c", "🐋"], a.Describe().Symbols);
    }

    [Fact]
    public void CrlfAndByteOrderMarkDoNotReachTheVocabulary()
    {
        var text = TextNormalizer.Normalize("\uFEFFline one\r\nline two\rline three\n");
        Assert.Equal("line one\nline two\nline three\n", text);
        var symbols = CharTokenizer.Build(text).Describe().Symbols;
        Assert.DoesNotContain("\r", symbols);
        Assert.DoesNotContain("\uFEFF", symbols);
    }

    [Fact]
    public void UnknownCharactersAreSkippedAndCounted()
    {
        var tokenizer = CharTokenizer.Build("abc");
        var encoded = tokenizer.Encode("axb🐋c");
        Assert.Equal("abc", tokenizer.Decode(encoded.Ids));
        Assert.Equal(2, encoded.UnknownCount);
        Assert.Equal("x", encoded.FirstUnknown);
    }

    [Fact]
    public void LoneSurrogatesAreUnknownNotACrash()
    {
        var tokenizer = CharTokenizer.Build("ab");
        var encoded = tokenizer.Encode("a\uD83Db");
        Assert.Equal("ab", tokenizer.Decode(encoded.Ids));
        Assert.Equal(1, encoded.UnknownCount);
    }

    [Fact]
    public void DescriptionRebuildsTheSameTokenizer()
    {
        var text = "The whale 🐋 — 鯨.";
        var original = CharTokenizer.Build(text);
        var rebuilt = TokenizerFactory.FromDescription(original.Describe());
        Assert.Equal(original.Encode(text).Ids, rebuilt.Encode(text).Ids);
    }
}
