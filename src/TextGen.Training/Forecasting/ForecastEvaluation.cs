namespace TextGen.Forecasting;

/// <summary>A model's forecasts on the test part next to the baselines', all in price units.</summary>
public sealed record ForecastReport(
    ForecastMetrics Model,
    ForecastMetrics Naive,
    ForecastMetrics Drift,
    ForecastMetrics MovingAverage,
    int TestPoints,
    ForecastTrace Trace);

/// <summary>The one-step-ahead forecasts over the test part, for plotting.</summary>
public sealed record ForecastTrace(DateTime[] Dates, double[] Actual, double[] Model, double[] Naive);

/// <summary>Scores a forecaster on the test part of a series (the last test fraction, never seen in training).</summary>
public static class ForecastEvaluation
{
    public static ForecastReport Run(ForecastModel model, PriceSeries series, string source) =>
        Run(model.Metadata, model.Predict, series, source);

    /// <summary>The same from a model's metadata and any predictor.</summary>
    internal static ForecastReport Run(ForecastMetadata meta, ForecastPredictor predict, PriceSeries series, string source)
    {
        var settings = meta.Settings;
        var data = PreparedSeries.Prepare(series, settings, source, meta.Scaler);
        var prices = series.Values;
        var (inputs, _) = SeriesWindows.Make(data.Scaled, settings.Window, settings.Horizon, data.TestSamples);
        var outputs = predict(inputs, data.TestSamples.Length);

        var actual = new List<double>();
        var baseline = new List<double>();
        var predicted = new List<double>();
        var naive = new List<double>();
        var drift = new List<double>();
        var average = new List<double>();
        var trace = (Dates: new List<DateTime>(), Actual: new List<double>(), Model: new List<double>(), Naive: new List<double>());
        for (var j = 0; j < data.TestSamples.Length; j++)
        {
            var last = data.FirstTarget(data.TestSamples[j]) - 1;
            var level = prices[last];
            for (var h = 0; h < settings.Horizon; h++)
            {
                var change = meta.Scaler.Inverse(outputs[j * settings.Horizon + h]);
                level = Differencing.Invert(level, change, settings.Diff);
                var target = last + h + 1;
                actual.Add(prices[target]);
                baseline.Add(prices[last]);
                predicted.Add(level);
                naive.Add(Baselines.Naive(prices, last));
                drift.Add(Baselines.Drift(prices, last, h + 1));
                average.Add(Baselines.MovingAverage(prices, last, settings.Window));
                if (h == 0)
                {
                    trace.Dates.Add(series.Dates[target]);
                    trace.Actual.Add(prices[target]);
                    trace.Model.Add(level);
                    trace.Naive.Add(prices[last]);
                }
            }
        }
        return new ForecastReport(
            ForecastMetrics.Measure(actual, predicted, baseline),
            ForecastMetrics.Measure(actual, naive, baseline),
            ForecastMetrics.Measure(actual, drift, baseline),
            ForecastMetrics.Measure(actual, average, baseline),
            actual.Count,
            new ForecastTrace([.. trace.Dates], [.. trace.Actual], [.. trace.Model], [.. trace.Naive]));
    }
}
