using TextGen.Modeling;
using TextGen.Tokenization;
using static TorchSharp.torch;

namespace TextGen.Embeddings;

/// <summary>Initialises a model's embedding from a word2vec or GloVe text file.</summary>
public static class PretrainedEmbeddings
{
    /// <summary>
    /// Copies the file's vector into every token's row that the file has (a token is looked up as it is, without its
    /// leading space, then lower-cased); the others keep their random initialisation. Returns how many were found.
    /// </summary>
    public static (int Found, int Missing) Apply(LanguageNetwork model, ITokenizer tokenizer, string path, bool freeze)
    {
        var weight = model.EmbeddingWeight
                     ?? throw new SettingException("embeddings-from", "needs a learned embedding, not one-hot input.");
        var vectors = EmbeddingExport.ReadText(path);
        var dimension = vectors.First().Value.Length;
        if (dimension != weight.shape[1])
        {
            throw new SettingException("embedding", $"{weight.shape[1]} does not fit {path}, whose vectors have {dimension} dimensions; use {dimension}.");
        }
        var found = 0;
        using (no_grad())
        {
            for (var id = 0; id < tokenizer.VocabularySize; id++)
            {
                var text = tokenizer.TokenText(id);
                var key = new[] { text, text.TrimStart(), text.TrimStart().ToLowerInvariant() }.FirstOrDefault(k => k.Length > 0 && vectors.ContainsKey(k));
                if (key is null) continue;
                using var row = tensor(vectors[key]);
                weight[id].copy_(row);
                found++;
            }
        }
        if (freeze)
        {
            weight.requires_grad = false;
        }
        return (found, tokenizer.VocabularySize - found);
    }
}
