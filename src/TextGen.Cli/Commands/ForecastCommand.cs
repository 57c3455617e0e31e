using System.CommandLine;
using System.Globalization;
using TextGen.Forecasting;
using TextGen.Modeling;
using TextGen.Persistence;

namespace TextGen.Cli.Commands;

/// <summary>`textgen forecast train|predict|eval`: price series through the same recurrent core as the text models.</summary>
public static class ForecastCommand
{
    public const string DefaultPricesVariable = "TEXTGEN_DEFAULT_PRICES";
    private const string DefaultColumn = "AMZN";

    public static Command Create() => new("forecast", "Train and use forecasters on price series (CSV with a header).")
    {
        CreateTrain(),
        CreatePredict(),
        CreateEval(),
    };

    private static Command CreateTrain()
    {
        var file = new Argument<string?>("file") { Description = "CSV file. Default: Amazon's monthly closes from matplotlib's sample Stocks.csv.", Arity = ArgumentArity.ZeroOrOne };
        var column = new Option<string?>("--column") { Description = "Price column. Default: Close, Adj Close, Price or Value, or the only non-date column." };
        var dateColumn = new Option<string?>("--date-column") { Description = "Date column. Default: Date, else the first column." };
        var series = new OptionBinder<SeriesSettings>();
        var network = new OptionBinder<ForecastNetConfig>();
        var training = new OptionBinder<ForecastTrainingOptions>();
        var output = new Option<string?>("--output", "-o") { Description = "Model file. Default: models/FILE-COLUMN.tgm." };
        var json = SharedOptions.Json();

        var command = new Command("train", "Train a forecaster on a price column and report it beside naive baselines on the test part.") { file, column, dateColumn };
        foreach (var option in series.Options.Concat(network.Options).Concat(training.Options).Append(output).Append(json)) command.Add(option);
        command.SetAction(parse =>
        {
            var path = parse.GetValue(file);
            var seriesSettings = series.Bind(parse);
            var request = new ForecastRequest
            {
                CsvPath = path ?? DefaultPrices(),
                Column = parse.GetValue(column) ?? (path is null ? DefaultColumn : null),
                DateColumn = parse.GetValue(dateColumn),
                OutputPath = parse.GetValue(output),
                Series = seriesSettings,
                Network = network.Bind(parse) with { Horizon = seriesSettings.Horizon },
                Training = training.Bind(parse, new ForecastTrainingOptions { Seed = Random.Shared.Next() }),
            };
            return Train(ForecastSession.Prepare(request), parse.GetValue(json), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
        });
        return command;
    }

    private static int Train(ForecastSession session, bool json, TextWriter output, TextWriter error)
    {
        var (series, data, settings) = (session.Series, session.Data, session.Data.Settings);
        if (!json)
        {
            error.WriteLine($"{series.Count} prices of {series.Column} ({series.Dates[0]:yyyy-MM-dd} to {series.Dates[^1]:yyyy-MM-dd}); skipped {Skipped(series)}.");
            error.WriteLine($"Windows: {data.TrainSamples.Length} training, {data.ValSamples.Length} validation, {data.TestSamples.Length} test; " +
                            $"diff {settings.Diff.ToString().ToLowerInvariant()}, window {settings.Window}, horizon {settings.Horizon}, seed {session.Seed}.");
        }
        using var interrupt = new ConsoleInterrupt();
        using var result = session.Run(json ? null : new EpochLines(error), interrupt.Token);
        var meta = result.Model.Metadata;
        if (json)
        {
            JsonOutput.Write(output, new ForecastTrainOutput(Path.GetFullPath(result.ModelPath), series.Column, series.Count,
                new SkippedCells(series.SkippedBlankRows, series.SkippedEmptyCells, series.SkippedNonNumericCells),
                new WindowCounts(data.TrainSamples.Length, data.ValSamples.Length, data.TestSamples.Length), meta.History.Count, meta.BestEpoch,
                meta.History.FirstOrDefault(h => h.Epoch == meta.BestEpoch)?.ValLoss, ForecastScores.Of(result.Report)), CliJson.Default.ForecastTrainOutput);
        }
        else
        {
            error.WriteLine($"{(result.Cancelled ? "Interrupted; saved" : "Saved")} {result.ModelPath} (best epoch {meta.BestEpoch} of {meta.History.Count}). On the test part:");
            WriteReport(output, result.Report);
        }
        return result.Cancelled ? interrupt.ExitCode : 0;
    }

    private static Command CreatePredict()
    {
        var model = SharedOptions.Model();
        model.Description = "Forecasting model (.tgm). Default: the newest forecasting model in models/.";
        var prediction = new OptionBinder<PredictionOptions>();
        var json = SharedOptions.Json();
        var command = new Command("predict", "Continue the series the model was trained on past its end.") { model, prediction["steps"], json };
        command.SetAction(parse =>
        {
            using var forecaster = ForecastModel.Load(ResolveModel(parse.GetValue(model)));
            var forecast = Forecaster.Continue(forecaster, prediction.Bind(parse).Steps);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                var points = forecast.Select(f => new ForecastPoint(f.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), f.Price)).ToArray();
                JsonOutput.Write(output, new ForecastOutput(forecaster.Metadata.Column, points), CliJson.Default.ForecastOutput);
                return 0;
            }
            output.WriteLine($"{forecaster.Metadata.DateColumn},{forecaster.Metadata.Column}");
            foreach (var (date, price) in forecast)
            {
                output.WriteLine($"{date:yyyy-MM-dd},{price.ToString("G6", CultureInfo.InvariantCulture)}");
            }
            return 0;
        });
        return command;
    }

    private static Command CreateEval()
    {
        var model = SharedOptions.Model();
        model.Description = "Forecasting model (.tgm). Default: the newest forecasting model in models/.";
        var file = new Argument<string>("file") { Description = "CSV file; its last test fraction is scored." };
        var plot = new Option<string?>("--plot") { Description = "Write a PNG: test-part forecasts beside the naive baseline, and the loss curves." };
        var json = SharedOptions.Json();
        var command = new Command("eval", "Score a forecaster and the naive, drift and moving-average baselines on a file's test part.") { model, file, plot, json };
        command.SetAction(parse =>
        {
            using var forecaster = ForecastModel.Load(ResolveModel(parse.GetValue(model)));
            var path = parse.GetValue(file)!;
            var meta = forecaster.Metadata;
            var series = PriceCsv.Load(path, meta.Column, meta.DateColumn);
            var report = ForecastEvaluation.Run(forecaster, series, path);
            if (parse.GetValue(plot) is { } png)
            {
                ForecastPlot.Write(png, report, meta);
            }
            if (parse.GetValue(json))
            {
                JsonOutput.Write(parse.InvocationConfiguration.Output, ForecastScores.Of(report), CliJson.Default.ForecastScores);
            }
            else
            {
                WriteReport(parse.InvocationConfiguration.Output, report);
            }
            return 0;
        });
        return command;
    }

    private static string ResolveModel(string? path) => path ?? ModelDirectory.Newest("models", ForecastModel.Kind);

    private static string DefaultPrices()
    {
        var path = Environment.GetEnvironmentVariable(DefaultPricesVariable) is { Length: > 0 } configured ? configured : Path.Combine("corpora", "Stocks.csv");
        if (!File.Exists(path))
        {
            throw new TextGenException($"no CSV given and the default {path} is missing; run corpora/fetch-stocks.sh (or ./textgen forecast train, which fetches it) or pass a CSV file.");
        }
        return path;
    }

    private static string Skipped(PriceSeries s) =>
        $"{s.SkippedBlankRows} blank rows, {s.SkippedEmptyCells} empty cells, {s.SkippedNonNumericCells} non-numeric cells";

    private static void WriteReport(TextWriter output, ForecastReport report)
    {
        output.WriteLine($"{"",-16}{"MAE",12}{"RMSE",12}{"MAPE %",10}{"direction",11}   ({report.TestPoints} test points, price units)");
        foreach (var (name, m) in new[] { ("model", report.Model), ("naive", report.Naive), ("drift", report.Drift), ("moving average", report.MovingAverage) })
        {
            output.WriteLine($"{name,-16}{m.Mae,12:G5}{m.Rmse,12:G5}{m.Mape,10:F2}{m.DirectionalAccuracy,11:P1}");
        }
        var ratio = report.Model.Mae / report.Naive.Mae;
        output.WriteLine(ratio < 0.95
            ? $"The model's MAE is {1 - ratio:P0} below naive persistence."
            : ratio <= 1.05 ? "The model is no better than naive persistence (within 5% of its MAE)." : $"The model's MAE is {ratio - 1:P0} above naive persistence: it does not beat the baseline.");
    }

    private sealed class EpochLines(TextWriter error) : IProgress<EpochRecord>
    {
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
        private TimeSpan _last = TimeSpan.MinValue;

        public void Report(EpochRecord value)
        {
            if (value.Epoch == 1 || _clock.Elapsed - _last >= TimeSpan.FromSeconds(5))
            {
                _last = _clock.Elapsed;
                error.WriteLine($"epoch {value.Epoch}: train MSE {value.TrainLoss:F4}, validation MSE {value.ValLoss:F4}, MAE {value.ValMae:F4}");
            }
        }
    }
}
