namespace TextGen.Forecasting;

/// <summary>
/// Sliding windows over a series: sample i takes values [i, i + window) as input and [i + window, i + window + horizon)
/// as targets. The Keras guide's example: window 3 over 1..7 gives [1,2,3]→4, [2,3,4]→5, [3,4,5]→6, [4,5,6]→7.
/// </summary>
public static class SeriesWindows
{
    /// <summary>Row-major inputs (samples, window) and targets (samples, horizon) for the given sample indices.</summary>
    public static (float[] Inputs, float[] Targets) Make(ReadOnlySpan<double> values, int window, int horizon, IReadOnlyList<int> samples)
    {
        var inputs = new float[samples.Count * window];
        var targets = new float[samples.Count * horizon];
        for (var s = 0; s < samples.Count; s++)
        {
            var start = samples[s];
            for (var t = 0; t < window; t++) inputs[s * window + t] = (float)values[start + t];
            for (var h = 0; h < horizon; h++) targets[s * horizon + h] = (float)values[start + window + h];
        }
        return (inputs, targets);
    }

    public static int Count(int length, int window, int horizon) => Math.Max(0, length - window - horizon + 1);
}
