using TextGen.Persistence;
using TextGen.Settings;

namespace TextGen.Embeddings;

/// <summary>A model's input embedding as plain vectors, one per token, with the tokens' display names.</summary>
public sealed class EmbeddingTable
{
    public EmbeddingTable(IReadOnlyList<string> tokens, float[][] vectors)
    {
        Tokens = tokens;
        Vectors = vectors;
    }

    public IReadOnlyList<string> Tokens { get; }
    public float[][] Vectors { get; }
    public int Dimension => Vectors.Length == 0 ? 0 : Vectors[0].Length;

    public static EmbeddingTable From(TextModel model)
    {
        var flat = model.Weights.Embedding
                   ?? throw new TextGenException("this model feeds one-hot vectors and has no learned embedding; train one with a learned embedding (the default).");
        var dimension = model.Metadata.Network.Embedding;
        var count = model.Metadata.Network.VocabularySize;
        var vectors = Enumerable.Range(0, count).Select(i => flat.AsSpan(i * dimension, dimension).ToArray()).ToArray();
        var tokens = Enumerable.Range(0, count).Select(i => DisplayName(model.Tokenizer.TokenText(i), i, model.Tokenizer.VocabularySize)).ToArray();
        return new EmbeddingTable(tokens, vectors);
    }

    /// <summary>The tokens nearest to <paramref name="token"/> by cosine similarity, the token itself first.</summary>
    public IReadOnlyList<(string Token, double Cosine)> Nearest(string token, int count)
    {
        Declared<NeighbourQuery>.Named("k").Check(count);
        var index = IndexOf(token);
        var target = Vectors[index];
        return Enumerable.Range(0, Vectors.Length)
            .Select(i => (Token: Tokens[i], Cosine: i == index ? 1.0 : Cosine(target, Vectors[i])))
            .OrderByDescending(p => p.Cosine)
            .ThenBy(p => p.Token == token ? 0 : 1)
            .Take(count)
            .ToArray();
    }

    public int IndexOf(string token)
    {
        for (var i = 0; i < Tokens.Count; i++)
        {
            if (Tokens[i] == token) return i;
        }
        for (var i = 0; i < Tokens.Count; i++)
        {
            if (Tokens[i].TrimStart('▁') == token) return i;
        }
        throw new SettingException("nearest", $"'{token}' is not in the model's vocabulary; pick a token the model knows (see `textgen embed --export`).");
    }

    public static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    /// <summary>
    /// A one-line, space-free name for a token: a leading space shows as ▁ (as in SentencePiece), line ends and tabs
    /// as \n and \t; the document markers as &lt;s&gt; and &lt;/s&gt;.
    /// </summary>
    public static string DisplayName(string text, int id, int vocabulary)
    {
        if (text.Length == 0) return id == vocabulary - 2 ? "<s>" : id == vocabulary - 1 ? "</s>" : $"<{id}>";
        return text.Replace(" ", "▁").Replace("\n", "\\n").Replace("\t", "\\t").Replace("\r", "\\r");
    }
}

/// <summary>How many neighbours a look-up lists.</summary>
public sealed record NeighbourQuery
{
    [Option("k", "How many neighbours --nearest prints.", Min = 1, Max = 100_000)]
    public int Count { get; init; } = 10;
}
