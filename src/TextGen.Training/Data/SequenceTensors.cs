using static TorchSharp.torch;

namespace TextGen.Tokenization;

/// <summary>Turns equal-length token sequences into model input tensors.</summary>
public static class SequenceTensors
{
    /// <summary>Token ids shaped (sequences, timesteps), dtype int64.</summary>
    public static Tensor Indices(IReadOnlyList<int[]> sequences)
    {
        var timesteps = CommonLength(sequences);
        var flat = new long[sequences.Count * timesteps];
        for (var s = 0; s < sequences.Count; s++)
        {
            for (var t = 0; t < timesteps; t++)
            {
                flat[s * timesteps + t] = sequences[s][t];
            }
        }
        return tensor(flat, new long[] { sequences.Count, timesteps });
    }

    /// <summary>One-hot vectors shaped (sequences, timesteps, features), dtype float32, features = vocabulary size.</summary>
    public static Tensor OneHot(IReadOnlyList<int[]> sequences, int vocabularySize)
    {
        using var indices = Indices(sequences);
        using var hot = nn.functional.one_hot(indices, vocabularySize);
        return hot.to(ScalarType.Float32);
    }

    private static int CommonLength(IReadOnlyList<int[]> sequences)
    {
        if (sequences.Count == 0)
        {
            throw new ArgumentException("at least one sequence is needed", nameof(sequences));
        }
        var length = sequences[0].Length;
        if (sequences.Any(s => s.Length != length))
        {
            throw new ArgumentException("all sequences must have the same length", nameof(sequences));
        }
        return length;
    }
}
