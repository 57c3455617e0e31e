namespace TextGen.Forecasting;

/// <summary>Continues a series past its end: recursive one-step forecasts, or direct blocks of the model's horizon.</summary>
public static class Forecaster
{
    public static IReadOnlyList<(DateTime Date, double Price)> Continue(ForecastModel model, int steps)
    {
        ForecastSettings.Steps.Check(steps);
        var meta = model.Metadata;
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
            foreach (var output in model.Predict(input, 1))
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
