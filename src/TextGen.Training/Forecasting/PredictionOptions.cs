using TextGen.Settings;

namespace TextGen.Forecasting;

/// <summary>What `forecast predict` asks of a trained forecaster.</summary>
public sealed record PredictionOptions
{
    [Option("steps", "Values to forecast past the end of the series.", Min = 1, Max = 100_000)]
    public int Steps { get; init; } = 1;
}
