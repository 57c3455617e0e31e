namespace TextGen.Forecasting;

/// <summary>Network outputs (scaled, differenced values, <c>count</c> x horizon) for row-major windows (count, window).</summary>
internal delegate float[] ForecastPredictor(float[] windows, int count);

/// <summary>Continues a series past its end: recursive one-step forecasts, or direct blocks of the model's horizon.</summary>
public static class Forecaster
{
    public static IReadOnlyList<(DateTime Date, double Price)> Continue(ForecastModel model, int steps) =>
        Continue(model.Metadata, model.Predict, steps);

    /// <summary>The same from a model's metadata and any predictor: the arithmetic on prices and dates that a hostile header or network output reaches.</summary>
    internal static IReadOnlyList<(DateTime Date, double Price)> Continue(ForecastMetadata meta, ForecastPredictor predict, int steps)
    {
        Settings.Declared<PredictionOptions>.Named("steps").Check(steps);
        var settings = meta.Settings;
        var window = settings.Window;
        var scaled = Differencing.Apply(meta.TailPrices, settings.Diff).Select(meta.Scaler.Transform).ToList();
        if (scaled.Count < window)
        {
            throw new TextGenException("the model file holds too few recent prices to forecast from; train it again.");
        }
        var dates = meta.TailDates.ToList();
        var level = meta.TailPrices[^1];
        var forecast = new List<(DateTime, double)>();
        while (forecast.Count < steps)
        {
            var input = scaled.Skip(scaled.Count - window).Select(v => (float)v).ToArray();
            foreach (var output in predict(input, 1))
            {
                if (forecast.Count == steps) break;
                scaled.Add(output);
                level = Differencing.Invert(level, meta.Scaler.Inverse(output), settings.Diff);
                dates.Add(DateStep.Next(dates));
                forecast.Add((dates[^1], level));
            }
        }
        return forecast;
    }
}
