using System.IO.Hashing;
using System.Text.Json;
using TextGen.Persistence;
using TextGen.Tokenization;

namespace TextGen.Data;

/// <summary>
/// A vocabulary learned from a corpus, with the XxHash3 of its JSON: an edited or damaged record (a symbol changed, one
/// dropped) parses as a valid vocabulary, and would tokenize the corpus into other ids without a word.
/// </summary>
internal sealed record LearnedVocabulary(TokenizerDescription? Tokenizer, string? Checksum)
{
    public static string ChecksumOf(TokenizerDescription tokenizer) =>
        Convert.ToHexStringLower(XxHash3.Hash(JsonSerializer.SerializeToUtf8Bytes(tokenizer, HeaderJson.Default.TokenizerDescription)));
}
