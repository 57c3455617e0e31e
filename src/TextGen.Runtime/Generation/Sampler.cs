namespace TextGen.Generation;

/// <summary>Picks the next token from a model's logits: repetition penalty, temperature, top-k, top-p, then a draw.</summary>
public static class Sampler
{
    /// <summary>
    /// Temperature 0 is argmax (the first of equal maxima); otherwise a draw from softmax(adjusted logits / temperature).
    /// <paramref name="recentTokens"/> are the tokens the repetition penalty looks at.
    /// </summary>
    public static int Next(ReadOnlySpan<float> logits, SamplingOptions options, Random random, ReadOnlySpan<int> recentTokens)
    {
        Span<float> adjusted = logits.Length <= 4096 ? stackalloc float[logits.Length] : new float[logits.Length];
        Penalized(logits, options, recentTokens, adjusted);
        var best = ArgMax(adjusted);
        if (options.Temperature == 0 || options.TopK == 1)
        {
            return best;
        }

        Span<double> weights = adjusted.Length <= 2048 ? stackalloc double[adjusted.Length] : new double[adjusted.Length];
        var max = adjusted[best];
        double total = 0;
        for (var i = 0; i < adjusted.Length; i++)
        {
            weights[i] = Math.Exp((adjusted[i] - max) / options.Temperature);
            total += weights[i];
        }
        if (options.TopK > 0 && options.TopK < weights.Length || options.TopP < 1)
        {
            total = Truncate(weights, total, options.TopK, options.TopP);
        }

        var draw = random.NextDouble() * total;
        for (var i = 0; i < weights.Length; i++)
        {
            draw -= weights[i];
            if (draw < 0 && weights[i] > 0)
            {
                return i;
            }
        }
        return best; // only reachable through rounding at the very top of the range
    }

    /// <summary>
    /// The log-probabilities of the distribution <see cref="Next"/> draws from, before top-k and top-p cut it: the
    /// logits after the repetition penalty, divided by the temperature (by 1 at temperature 0, which takes the
    /// likeliest token), through a log-softmax, floored at <see cref="MinLogProbability"/>. So a token outside the cut
    /// still has its finite log-probability.
    /// </summary>
    public static void LogProbabilities(ReadOnlySpan<float> logits, SamplingOptions options, ReadOnlySpan<int> recentTokens, Span<float> destination)
    {
        Penalized(logits, options, recentTokens, destination);
        var temperature = options.Temperature == 0 ? 1 : options.Temperature;
        var max = destination[ArgMax(destination)];
        double total = 0;
        foreach (var logit in destination) total += Math.Exp((logit - max) / temperature);
        var logTotal = Math.Log(total);
        for (var i = 0; i < destination.Length; i++) destination[i] = (float)Math.Max((destination[i] - max) / temperature - logTotal, MinLogProbability);
    }

    /// <summary>
    /// The floor of <see cref="LogProbabilities"/>, as OpenAI's API floors them: a tiny temperature would otherwise make
    /// -∞, which JSON cannot carry.
    /// </summary>
    public const float MinLogProbability = -9999;

    private static void Penalized(ReadOnlySpan<float> logits, SamplingOptions options, ReadOnlySpan<int> recentTokens, Span<float> destination)
    {
        logits.CopyTo(destination);
        if (options.RepetitionPenalty != 1)
        {
            Penalize(destination, recentTokens, (float)options.RepetitionPenalty);
        }
    }

    /// <summary>
    /// Zeroes every weight outside the k largest and outside the smallest set of largest weights whose share of the
    /// total reaches p (the token that crosses p is kept). Returns the total of what is left.
    /// </summary>
    internal static double Truncate(Span<double> weights, double total, int topK, double topP)
    {
        var order = new int[weights.Length];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        var keys = weights.ToArray();
        Array.Sort(keys, order, Comparer<double>.Create((a, b) => b.CompareTo(a)));
        var keep = topK > 0 ? Math.Min(topK, order.Length) : order.Length;
        if (topP < 1)
        {
            double cumulative = 0;
            for (var i = 0; i < keep; i++)
            {
                cumulative += keys[i];
                if (cumulative >= topP * total)
                {
                    keep = i + 1;
                    break;
                }
            }
        }
        double kept = 0;
        for (var i = 0; i < order.Length; i++)
        {
            if (i < keep) kept += weights[order[i]];
            else weights[order[i]] = 0;
        }
        return kept;
    }

    private static void Penalize(Span<float> logits, ReadOnlySpan<int> recentTokens, float penalty)
    {
        Span<bool> seen = logits.Length <= 4096 ? stackalloc bool[logits.Length] : new bool[logits.Length];
        foreach (var token in recentTokens)
        {
            if ((uint)token < (uint)logits.Length && !seen[token])
            {
                seen[token] = true;
                logits[token] = logits[token] > 0 ? logits[token] / penalty : logits[token] * penalty;
            }
        }
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
