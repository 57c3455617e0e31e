using System.Globalization;
using TextGen.Forecasting;

namespace TextGen.Tests.Forecasting;

/// <summary>The forecasting entry point: checks before spending time, and says when it was interrupted.</summary>
public class ForecastSessionTests
{
    private static string Csv(TempDirectory dir, string column, Func<int, double> price) => dir.Write("prices.csv",
        $"Date,{(column.Contains(',') ? $"\"{column}\"" : column)}\n" + string.Concat(Enumerable.Range(0, 200).Select(i =>
            $"{new DateTime(2020, 1, 1).AddDays(i):yyyy-MM-dd},{price(i).ToString("R", CultureInfo.InvariantCulture)}\n")));

    [Theory]
    [InlineData(1e200)]
    [InlineData(-1e200)]
    public void PricesTooLargeToScaleAreRefusedInOneLine(double scale)
    {
        using var dir = new TempDirectory();
        var csv = Csv(dir, "Price", i => scale * (1 + (i % 7) * (i % 2 == 0 ? 1 : -1)));
        var error = Assert.Throws<TextGenException>(() => ForecastSession.Prepare(new ForecastRequest { CsvPath = csv, OutputPath = dir.File("f.tgm") }));
        Assert.Contains("too large to difference and scale", error.Message);
        Assert.False(File.Exists(dir.File("f.tgm")));
    }

    [Theory]
    [InlineData("EUR/USD", "prices-EUR_USD.tgm")]
    [InlineData("x/../../../tmp/evil", "prices-x_.._.._.._tmp_evil.tgm")]
    public void AColumnNameCannotPlaceTheModelOutsideModels(string column, string expected)
    {
        using var dir = new TempDirectory();
        var csv = Csv(dir, column, i => 100 + i);
        var session = ForecastSession.Prepare(new ForecastRequest { CsvPath = csv });
        Assert.Equal(Path.Combine("models", expected), session.ModelPath);
    }

    [Fact]
    public void AnInterruptedRunKeepsTheBestEpochAndSaysItWasInterrupted()
    {
        using var dir = new TempDirectory();
        var csv = Csv(dir, "Price", i => 100 + 10 * Math.Sin(i / 5.0));
        var session = ForecastSession.Prepare(new ForecastRequest
        {
            CsvPath = csv,
            OutputPath = dir.File("f.tgm"),
            Series = new SeriesSettings { Window = 10 },
            Training = new ForecastTrainingOptions { Epochs = 100_000, Seed = 1 },
        });
        using var cancel = new CancellationTokenSource();
        using var result = session.Run(new CancelAfter(3, cancel), cancel.Token);
        Assert.True(result.Cancelled);
        Assert.True(File.Exists(dir.File("f.tgm")));
        Assert.InRange(result.Model.Metadata.History.Count, 3, 10);
    }

    /// <summary>Cancels after the given number of epochs, as Ctrl-C would.</summary>
    private sealed class CancelAfter(int epochs, CancellationTokenSource cancel) : IProgress<EpochRecord>
    {
        public void Report(EpochRecord value)
        {
            if (value.Epoch >= epochs) cancel.Cancel();
        }
    }
}
