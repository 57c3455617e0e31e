using ScottPlot;
using TextGen.Persistence;

namespace TextGen.Embeddings;

/// <summary>A 2-D principal-component projection of the most frequent tokens' embeddings, labelled, as a PNG.</summary>
public static class EmbeddingPlot
{
    public static void Write(string path, EmbeddingTable table, IReadOnlyList<long>? counts, int tokens = 150, int width = 1200, int height = 900)
    {
        if (!path.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            throw new SettingException("plot", $"{path}: plots are PNG files; use a name ending in .png.");
        }
        var chosen = Enumerable.Range(0, table.Tokens.Count)
            .OrderByDescending(i => counts is not null && i < counts.Count ? counts[i] : 0)
            .ThenBy(i => i)
            .Take(tokens)
            .ToArray();
        var points = Project(chosen.Select(i => table.Vectors[i]).ToArray());

        var plot = new Plot();
        var scatter = plot.Add.ScatterPoints(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray());
        scatter.MarkerSize = 4;
        for (var k = 0; k < chosen.Length; k++)
        {
            var label = plot.Add.Text(table.Tokens[chosen[k]], points[k].X, points[k].Y);
            label.LabelFontSize = 11;
        }
        plot.Title($"Embedding of the {chosen.Length} most frequent tokens (PCA)");
        plot.XLabel("first principal component");
        plot.YLabel("second principal component");
        var png = plot.GetImageBytes(width, height, ImageFormat.Png);
        AtomicFile.Write(path, stream => stream.Write(png));
    }

    /// <summary>Coordinates on the two leading principal components (power iteration with deflation).</summary>
    public static (double X, double Y)[] Project(float[][] vectors)
    {
        var n = vectors.Length;
        var d = vectors[0].Length;
        var mean = new double[d];
        foreach (var v in vectors) for (var j = 0; j < d; j++) mean[j] += v[j] / n;
        var centered = vectors.Select(v => v.Select((x, j) => x - mean[j]).ToArray()).ToArray();
        var covariance = new double[d, d];
        foreach (var v in centered)
            for (var a = 0; a < d; a++)
                for (var b = 0; b < d; b++)
                    covariance[a, b] += v[a] * v[b];
        var first = LeadingEigenvector(covariance, d);
        Deflate(covariance, first, d);
        var second = LeadingEigenvector(covariance, d);
        return centered.Select(v => (Dot(v, first), Dot(v, second))).ToArray();
    }

    private static double[] LeadingEigenvector(double[,] matrix, int d)
    {
        var vector = Enumerable.Range(0, d).Select(i => 1.0 + i * 1e-3).ToArray();
        for (var iteration = 0; iteration < 500; iteration++)
        {
            var next = new double[d];
            for (var a = 0; a < d; a++)
                for (var b = 0; b < d; b++)
                    next[a] += matrix[a, b] * vector[b];
            var norm = Math.Sqrt(next.Sum(x => x * x));
            if (norm == 0) return vector;
            for (var a = 0; a < d; a++) next[a] /= norm;
            vector = next;
        }
        return vector;
    }

    private static void Deflate(double[,] matrix, double[] vector, int d)
    {
        double eigenvalue = 0;
        for (var a = 0; a < d; a++)
            for (var b = 0; b < d; b++)
                eigenvalue += vector[a] * matrix[a, b] * vector[b];
        for (var a = 0; a < d; a++)
            for (var b = 0; b < d; b++)
                matrix[a, b] -= eigenvalue * vector[a] * vector[b];
    }

    private static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();
}
