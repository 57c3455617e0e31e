using System.Text;
using TextGen.Forecasting;
using TextGen.Modeling;

namespace TextGen.Fuzzing;

/// <summary>
/// A price CSV as `forecast train`, `eval` and `predict` read it, then everything they compute from it without the
/// network: windows, differencing, scaling, the baselines and scores, and forecasts continued past the last date,
/// with a stand-in network whose outputs run from zero to the extremes of float (NaN and infinities included).
/// </summary>
internal sealed class PriceCsvTarget : FuzzTarget
{
    public override string Name => "price-csv";

    public override string Description => "price CSV (header, dates, cells), then windows, differencing, baselines, scores and forecast dates";

    private static readonly SeriesSettings[] Settings =
    [
        new() { Diff = DiffMode.Abs, Window = 3, Horizon = 1 },
        new() { Diff = DiffMode.Log, Window = 2, Horizon = 2, ValFraction = 0.2, TestFraction = 0.3 },
        new() { Diff = DiffMode.Pct, Window = 1, Horizon = 1 },
        new() { Diff = DiffMode.None, Window = 4, Horizon = 3 },
    ];

    public override bool Run(byte[] input)
    {
        var path = Scratch.Write("prices.csv", input);
        return Refusable(() =>
        {
            var series = PriceCsv.Load(path);
            foreach (var settings in Settings)
            {
                Refusable(() => ForecastFrom(series, settings, path));
            }
        });
    }

    /// <summary>What a trained model would do with this series, with outputs that no check on a network bounds.</summary>
    internal static void ForecastFrom(PriceSeries series, SeriesSettings settings, string path)
    {
        var data = PreparedSeries.Prepare(series, settings, path);
        var (tailPrices, tailDates) = ForecastTrainer.Tail(data);
        var meta = new ForecastMetadata
        {
            Source = path,
            Column = series.Column,
            DateColumn = series.DateColumn,
            Settings = settings,
            Scaler = data.Scaler,
            Network = new ForecastNetConfig { Horizon = settings.Horizon },
            TailPrices = tailPrices,
            TailDates = tailDates,
        };
        var network = new ExtremeNetwork(settings.Horizon);
        ForecastEvaluation.Run(meta, network.Predict, series, path);
        Forecaster.Continue(meta, network.Predict, 40);
    }

    /// <summary>
    /// A stand-in network: horizon outputs per window, running through zero, ordinary values and the extremes of float
    /// (NaN and infinities included) from one call to the next.
    /// </summary>
    internal sealed class ExtremeNetwork(int horizon)
    {
        private static readonly float[] Outputs = [0, 0.5f, -3, 40, float.MaxValue, float.MinValue, float.NaN, float.PositiveInfinity, 1e-30f];
        private int _next;

        public float[] Predict(float[] _, int count) => [.. Enumerable.Range(0, count * horizon).Select(_ => Outputs[_next++ % Outputs.Length])];
    }

    public override IEnumerable<(string, byte[])> Seeds()
    {
        var daily = new StringBuilder("Date,Open,Close\n");
        var day = new DateTime(2024, 1, 1);
        for (var i = 0; i < 40; i++, day = day.AddDays(1))
        {
            if (day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday) continue;
            daily.Append($"{day:yyyy-MM-dd},{100 + i * 0.5:F2},{101 + Math.Sin(i) * 3:F2}\n");
        }
        yield return ("business-daily", Encoding.UTF8.GetBytes(daily.ToString()));
        var monthly = new StringBuilder("month,price\n");
        for (var i = 0; i < 30; i++) monthly.Append($"{new DateTime(9997, 1, 31).AddMonths(i):yyyy-MM-dd},{1.5 * i + 0.25}\n");
        yield return ("monthly-near-9999", Encoding.UTF8.GetBytes(monthly.ToString()));
        yield return ("quoted-extremes", Encoding.UTF8.GetBytes("\"Date\",\"Adj Close\"\n2020-01-01,1e300\n2020-01-08,-1e300\n2020-01-15,5e-324\n2020-01-22,\"1,5\"\n" +
            "2020-01-29,7\n2020-02-05,8\n2020-02-12,9\n2020-02-19,1\n2020-02-26,2\n2020-03-04,3\n2020-03-11,4\n2020-03-18,5\n2020-03-25,6\n"));
    }
}
