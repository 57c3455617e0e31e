using TextGen.Modeling;

namespace TextGen.Forecasting;

/// <summary>Forecasting settings outside the options records (which declare theirs on their properties).</summary>
public static class ForecastSettings
{
    public static readonly Setting<int> Steps = new("steps", "Values to forecast past the end of the series.", 1, 1, 100_000);
}
