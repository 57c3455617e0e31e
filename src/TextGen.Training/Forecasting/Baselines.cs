namespace TextGen.Forecasting;

/// <summary>The forecasts a model has to beat, each made from the prices up to and including index <c>last</c>.</summary>
public static class Baselines
{
    /// <summary>Persistence: every future price equals the last one.</summary>
    public static double Naive(IReadOnlyList<double> prices, int last) => prices[last];

    /// <summary>The last price plus the average change per step over all history so far.</summary>
    public static double Drift(IReadOnlyList<double> prices, int last, int stepsAhead) =>
        last == 0 ? prices[0] : prices[last] + stepsAhead * (prices[last] - prices[0]) / last;

    /// <summary>The mean of the last <paramref name="window"/> prices.</summary>
    public static double MovingAverage(IReadOnlyList<double> prices, int last, int window)
    {
        var from = Math.Max(0, last - window + 1);
        double sum = 0;
        for (var i = from; i <= last; i++) sum += prices[i];
        return sum / (last - from + 1);
    }
}
