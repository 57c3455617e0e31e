namespace TextGen.Generation;

/// <summary>Picks the next token from a model's logits.</summary>
public static class Sampler
{
    /// <summary>Temperature 0 is argmax (the first of equal maxima); otherwise a draw from softmax(logits / temperature).</summary>
    public static int Next(ReadOnlySpan<float> logits, double temperature, Random random)
    {
        var best = ArgMax(logits);
        if (temperature == 0)
        {
            return best;
        }
        var max = logits[best];
        Span<double> weights = logits.Length <= 1024 ? stackalloc double[logits.Length] : new double[logits.Length];
        double total = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            weights[i] = Math.Exp((logits[i] - max) / temperature);
            total += weights[i];
        }
        var draw = random.NextDouble() * total;
        for (var i = 0; i < weights.Length; i++)
        {
            draw -= weights[i];
            if (draw < 0)
            {
                return i;
            }
        }
        return best; // only reachable through rounding at the very top of the range
    }

    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }
        return best;
    }
}
