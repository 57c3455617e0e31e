using TextGen.Forecasting;
using TextGen.Modeling;

namespace TextGen.Tests.Forecasting;

/// <summary>The forecaster must find structure where there is some, and must not manufacture skill where there is none.</summary>
public class ForecasterTests
{
    private static readonly ForecastNetConfig Network = new() { Cell = CellType.Lstm, Hidden = 32 };
    private static readonly ForecastTrainingOptions Training = new() { Epochs = 60, Patience = 15, BatchSize = 32, LearningRate = 3e-3, Seed = 5 };

    private static ForecastReport TrainAndEvaluate(double[] prices, SeriesSettings settings)
    {
        var series = Series.Of(prices);
        var data = PreparedSeries.Prepare(series, settings, "synthetic");
        using var model = ForecastTrainer.Train(data, Network, Training, "synthetic");
        return ForecastEvaluation.Run(model, series, "synthetic");
    }

    [Fact]
    public void OnANoisySineTheLstmBeatsNaivePersistenceByHalf()
    {
        var random = new Random(1);
        var prices = Enumerable.Range(0, 800).Select(t => 100 + 10 * Math.Sin(2 * Math.PI * t / 25) + random.NextDouble() - 0.5).ToArray();
        var report = TrainAndEvaluate(prices, new SeriesSettings { Diff = DiffMode.None, Window = 25 });

        Assert.True(report.Model.Mae <= 0.5 * report.Naive.Mae, $"model MAE {report.Model.Mae:G4} vs naive {report.Naive.Mae:G4}");
        Assert.True(report.Model.DirectionalAccuracy > 0.8, $"directional accuracy {report.Model.DirectionalAccuracy:P0}");
    }

    [Fact]
    public void OnARandomWalkTheModelDoesNotBeatNaiveMeaningfully()
    {
        var random = new Random(2);
        var prices = new double[800];
        prices[0] = 100;
        for (var t = 1; t < prices.Length; t++) prices[t] = prices[t - 1] + (random.NextDouble() * 2 - 1);
        var report = TrainAndEvaluate(prices, new SeriesSettings { Diff = DiffMode.Abs, Window = 20 });

        Assert.True(report.Model.Mae > 0.95 * report.Naive.Mae, $"model MAE {report.Model.Mae:G4} vs naive {report.Naive.Mae:G4}: skill on noise");
    }

    [Fact]
    public void PredictContinuesPastTheEndWithSensibleDates()
    {
        var prices = Enumerable.Range(0, 300).Select(t => 50 + 5 * Math.Sin(t / 4.0)).ToArray();
        var series = new PriceSeries("Close", "Date", prices.Select((_, i) => new DateTime(2000, 1, 1).AddMonths(i)).ToArray(), prices, 0, 0, 0);
        var data = PreparedSeries.Prepare(series, new SeriesSettings { Diff = DiffMode.Abs, Window = 12, Horizon = 3 }, "monthly");
        using var model = ForecastTrainer.Train(data, Network, Training with { Epochs = 5 }, "monthly");

        var forecast = Forecaster.Continue(model, 7);
        Assert.Equal(7, forecast.Count);
        Assert.Equal(series.Dates[^1].AddMonths(1), forecast[0].Date);
        Assert.Equal(series.Dates[^1].AddMonths(7), forecast[^1].Date);
        Assert.All(forecast, f => Assert.True(double.IsFinite(f.Price)));
    }

    [Fact]
    public void DailyBusinessSeriesSkipWeekends()
    {
        DateTime[] fridays = [new(2024, 1, 3), new(2024, 1, 4), new(2024, 1, 5)];
        Assert.Equal(new DateTime(2024, 1, 8), DateStep.Next(fridays));
    }

    [Theory]
    [InlineData(9999, 11, 30, 9999, 12, 31)] // monthly: the month after December 9999
    [InlineData(1, 1, 1, 9999, 12, 31)] // a gap of 3.6 million days
    public void ASeriesThatEndsWhereTheCalendarDoesIsRefusedInOneLine(int y1, int m1, int d1, int y2, int m2, int d2)
    {
        var error = Assert.Throws<TextGenException>(() => DateStep.Next([new DateTime(y1, m1, d1), new DateTime(y2, m2, d2)]));
        Assert.Contains("no date can follow", error.Message);
    }
}
