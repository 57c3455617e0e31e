using TextGen.Forecasting;

namespace TextGen.Tests.Forecasting;

public class SeriesTransformTests
{
    [Fact]
    public void WindowsMatchTheGuidesWorkedExample()
    {
        double[] series = [1, 2, 3, 4, 5, 6, 7];
        var samples = Enumerable.Range(0, SeriesWindows.Count(series.Length, window: 3, horizon: 1)).ToArray();
        var (inputs, targets) = SeriesWindows.Make(series, 3, 1, samples);

        Assert.Equal(4, samples.Length);
        Assert.Equal([1f, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 6], inputs);
        Assert.Equal([4f, 5, 6, 7], targets);
    }

    [Fact]
    public void MultiStepWindowsTakeTheNextHorizonValues()
    {
        double[] series = [1, 2, 3, 4, 5, 6, 7];
        var (inputs, targets) = SeriesWindows.Make(series, 3, 2, [0, 1, 2]);
        Assert.Equal([4f, 5, 5, 6, 6, 7], targets);
        Assert.Equal(3, SeriesWindows.Count(series.Length, 3, 2));
        Assert.Equal([3f, 4, 5], inputs[6..]);
    }

    [Theory]
    [InlineData(DiffMode.None)]
    [InlineData(DiffMode.Abs)]
    [InlineData(DiffMode.Pct)]
    [InlineData(DiffMode.Log)]
    public void EachDifferencingModeInvertsExactly(DiffMode mode)
    {
        var random = new Random(3);
        var prices = new double[500];
        prices[0] = 100;
        for (var i = 1; i < prices.Length; i++) prices[i] = prices[i - 1] * Math.Exp(random.NextDouble() * 0.1 - 0.05);

        var changes = Differencing.Apply(prices, mode);
        var lag = Differencing.Lag(mode);
        Assert.Equal(prices.Length - lag, changes.Length);
        var rebuilt = prices[0];
        for (var k = 0; k < changes.Length; k++)
        {
            rebuilt = Differencing.Invert(rebuilt, changes[k], mode);
            Assert.Equal(prices[k + lag], rebuilt, 1e-9);
        }
    }

    [Fact]
    public void RelativeDifferencingRefusesNonPositivePrices()
    {
        var error = Assert.Throws<SettingException>(() => Differencing.Apply([10, 5, -2, 4], DiffMode.Log, null));
        Assert.Contains("use abs", error.Message);
        Assert.Equal(3, Differencing.Apply([10, 5, -2, 4], DiffMode.Abs).Length);
    }

    [Fact]
    public void ScalingStatisticsComeFromTheTrainingPartOnly()
    {
        // The first 70% hover around 10, the rest around 1000: any look-ahead would drag the mean far above 10.
        var values = Enumerable.Range(0, 200).Select(i => i < 140 ? 10.0 + (i % 2) : 1000.0 + (i % 2)).ToArray();
        var series = Series.Of(values);
        var prepared = PreparedSeries.Prepare(series, new SeriesSettings { Diff = DiffMode.None, Window = 5, ValFraction = 0.15, TestFraction = 0.15 }, "test");

        Assert.Equal(140, prepared.TrainEnd);
        Assert.Equal(10.5, prepared.Scaler.Mean, 9);
        Assert.Equal(0.5, prepared.Scaler.Std, 9);
        Assert.All(prepared.TrainSamples, s => Assert.True(prepared.LastTarget(s) < prepared.TrainEnd));
        Assert.All(prepared.ValSamples, s => Assert.InRange(prepared.FirstTarget(s), prepared.TrainEnd, prepared.ValEnd - 1));
        Assert.All(prepared.TestSamples, s => Assert.True(prepared.FirstTarget(s) >= prepared.ValEnd));
    }

    [Fact]
    public void TooShortASeriesIsRefusedClearly()
    {
        var error = Assert.Throws<TextGenException>(() =>
            PreparedSeries.Prepare(Series.Of(Enumerable.Range(1, 20).Select(i => (double)i).ToArray()), new SeriesSettings { Window = 10 }, "short.csv"));
        Assert.Contains("too few", error.Message);
        Assert.Contains("a smaller window", error.Message);
    }

    [Fact]
    public void BaselinesFollowTheirDefinitions()
    {
        double[] prices = [1, 2, 4, 7];
        Assert.Equal(7, Baselines.Naive(prices, 3));
        Assert.Equal(7 + 2 * 6 / 3.0, Baselines.Drift(prices, 3, 2), 12);
        Assert.Equal((2 + 4 + 7) / 3.0, Baselines.MovingAverage(prices, 3, 3), 12);
    }

    [Fact]
    public void MetricsAreInPriceUnits()
    {
        var m = ForecastMetrics.Measure(actual: [10, 12], predicted: [11, 10], baseline: [10, 11]);
        Assert.Equal(1.5, m.Mae, 12);
        Assert.Equal(Math.Sqrt(2.5), m.Rmse, 12);
        Assert.Equal(100 * (0.1 + 2 / 12.0) / 2, m.Mape, 9);
        Assert.Equal(0, m.DirectionalAccuracy); // flat vs up, down vs up
    }
}

/// <summary>Builds series in memory with daily dates.</summary>
internal static class Series
{
    public static PriceSeries Of(double[] values) =>
        new("Close", "Date", values.Select((_, i) => new DateTime(2000, 1, 3).AddDays(i)).ToArray(), values, 0, 0, 0);
}
