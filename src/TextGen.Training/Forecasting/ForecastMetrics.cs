namespace TextGen.Forecasting;

/// <summary>Forecast errors in price units, and how often the forecast got the direction of the move right.</summary>
public sealed record ForecastMetrics(double Mae, double Rmse, double Mape, double DirectionalAccuracy)
{
    /// <param name="actual">True prices.</param>
    /// <param name="predicted">Forecast prices.</param>
    /// <param name="baseline">The last known price before each forecast, from which directions are measured.</param>
    public static ForecastMetrics Measure(IReadOnlyList<double> actual, IReadOnlyList<double> predicted, IReadOnlyList<double> baseline)
    {
        double absolute = 0, squared = 0, percent = 0;
        int percentCount = 0, sameDirection = 0;
        for (var i = 0; i < actual.Count; i++)
        {
            var error = predicted[i] - actual[i];
            absolute += Math.Abs(error);
            squared += error * error;
            if (actual[i] != 0)
            {
                percent += Math.Abs(error / actual[i]);
                percentCount++;
            }
            if (Direction(predicted[i] - baseline[i]) is { } forecast && forecast == Direction(actual[i] - baseline[i]))
            {
                sameDirection++;
            }
        }
        var n = Math.Max(1, actual.Count);
        return new ForecastMetrics(absolute / n, Math.Sqrt(squared / n), 100 * percent / Math.Max(1, percentCount), sameDirection / (double)n);
    }

    /// <summary>Up, down or flat; none for a NaN move (a network that outputs NaN), which is never the right direction.</summary>
    private static int? Direction(double move) => double.IsNaN(move) ? null : Math.Sign(move);
}
