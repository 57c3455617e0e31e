using System.Text;
using CsCheck;
using TextGen.Tokenization;

namespace TextGen.Tests.Properties;

/// <summary>Round trips every tokenizer level must keep, over generated text (CsCheck prints a failing seed to replay).</summary>
public class TokenizerProperties
{
    /// <summary>Mostly a small alphabet (so vocabularies, repeats and merges occur), sometimes any UTF-16 unit at all.</summary>
    internal static readonly Gen<string> Text = Characters.Array[0, 80].Select(chars => new string(chars));

    /// <summary>Text to learn a vocabulary from: not empty, which no tokenizer learns from.</summary>
    private static readonly Gen<string> Training = Characters.Array[1, 80].Select(chars => new string(chars));

    private static Gen<char> Characters => Gen.Frequency((6, Gen.Char["ab c\n.é\t"]), (1, Gen.Char));

    [Fact]
    public void BpeGivesAnyTextBackExactly() =>
        Gen.Select(Training, Text, Gen.Int[256, 300]).Sample((training, text, size) =>
        {
            var tokenizer = ByteLevelBpeTokenizer.Train(training, size);
            var normalized = TextNormalizer.Normalize(text);
            var (ids, unknown, _) = tokenizer.Encode(normalized);
            Assert.Equal(0, unknown);
            Assert.Equal(normalized, tokenizer.Decode(ids));
            Assert.Equal(normalized, Streamed(tokenizer, ids));
        }, iter: 300);

    [Fact]
    public void StreamingAnyIdsGivesWhatDecodingThemGives() =>
        Gen.Select(Training, Gen.Int[0, 400].Array[0, 40]).Sample((training, raw) =>
        {
            var tokenizer = ByteLevelBpeTokenizer.Train(training, 280);
            var ids = raw.Where(id => id < tokenizer.VocabularySize).ToArray();
            Assert.Equal(tokenizer.Decode(ids), Streamed(tokenizer, ids));
        }, iter: 300);

    [Fact]
    public void CharactersComeBackWithOnlyTheUnknownOnesMissing() =>
        Gen.Select(Training, Text).Sample((training, text) =>
        {
            var tokenizer = CharTokenizer.Build(TextNormalizer.Normalize(training));
            var normalized = TextNormalizer.Normalize(text);
            var encoded = tokenizer.Encode(normalized);
            var known = string.Concat(normalized.EnumerateRunes().Select(r => r.ToString()).Where(c => tokenizer.Encode(c).UnknownCount == 0));
            Assert.Equal(known, tokenizer.Decode(encoded.Ids));
            Assert.Equal(normalized.EnumerateRunes().Count() - known.EnumerateRunes().Count(), encoded.UnknownCount);
        }, iter: 300);

    [Fact]
    public void KnownWordsEncodeTheSameAfterOneRoundTrip() =>
        Gen.Select(Training, Text, Gen.Bool).Sample((training, text, lowercase) =>
        {
            // Every word of the text is in the vocabulary: an unknown one decodes to <unk>, which is text of its own.
            var normalized = TextNormalizer.Normalize(text);
            var tokenizer = WordTokenizer.Build(TextNormalizer.Normalize(training) + "\n" + normalized, new VocabularyOptions { MinCount = 1, Lowercase = lowercase });
            var (ids, unknown, _) = tokenizer.Encode(normalized);
            Assert.Equal(0, unknown);
            Assert.All(ids, id => Assert.InRange(id, 0, tokenizer.VocabularySize - 1));
            Assert.Equal(ids, tokenizer.Encode(tokenizer.Decode(ids)).Ids);
        }, iter: 300);

    [Fact]
    public void EveryTokenizerIsRebuiltExactlyFromItsDescription() =>
        Gen.Select(Training, Gen.Int[0, 3]).Sample((training, level) =>
        {
            var normalized = TextNormalizer.Normalize(training);
            ITokenizer tokenizer = level switch
            {
                0 => CharTokenizer.Build(normalized),
                1 => WordTokenizer.Build(normalized, new VocabularyOptions { MinCount = 1 }),
                2 => ByteLevelBpeTokenizer.Train(normalized, 270),
                _ => new DocumentTokenizer(CharTokenizer.Build(normalized)),
            };
            var rebuilt = TokenizerFactory.FromDescription(tokenizer.Describe());
            Assert.Equal(tokenizer.Describe().Symbols, rebuilt.Describe().Symbols);
            Assert.Equal(tokenizer.Encode(normalized).Ids, rebuilt.Encode(normalized).Ids);
        }, iter: 200);

    private static string Streamed(ITokenizer tokenizer, IEnumerable<int> ids)
    {
        var decoder = tokenizer.NewStreamDecoder();
        var text = new StringBuilder();
        foreach (var id in ids) text.Append(decoder.Push(id));
        return text.Append(decoder.Flush()).ToString();
    }
}
