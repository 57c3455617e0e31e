using TextGen.Modeling;
using TextGen.Persistence;

namespace TextGen.Forecasting;

/// <summary>What to train a forecaster on, and how: the library's entry point for `textgen forecast train`.</summary>
public sealed record ForecastRequest
{
    public required string CsvPath { get; init; }
    /// <summary>Price column; null picks Close, Adj Close, Price or Value, or the only non-date column.</summary>
    public string? Column { get; init; }
    /// <summary>Date column; null picks Date, else the first column.</summary>
    public string? DateColumn { get; init; }
    /// <summary>Model file; null writes models/CSVNAME-COLUMN.tgm.</summary>
    public string? OutputPath { get; init; }
    public SeriesSettings Series { get; init; } = new();
    public ForecastNetConfig Network { get; init; } = new();
    public ForecastTrainingOptions Training { get; init; } = new();
}

/// <summary>The outcome: the saved model (the best epoch so far when <paramref name="Cancelled"/>) and its test-part report beside the naive baselines.</summary>
public sealed record ForecastResult(string ModelPath, ForecastModel Model, ForecastReport Report, bool Cancelled) : IDisposable
{
    public void Dispose() => Model.Dispose();
}

/// <summary>
/// A forecaster training prepared and checked before any time is spent: the series is loaded, cleaned and windowed,
/// the settings validated and the model path known to be writable. <see cref="Run"/> trains, saves and evaluates.
/// </summary>
public sealed class ForecastSession
{
    private readonly ForecastRequest _request;

    private ForecastSession(ForecastRequest request, PriceSeries series, PreparedSeries data, string modelPath)
    {
        _request = request;
        Series = series;
        Data = data;
        ModelPath = modelPath;
    }

    public PriceSeries Series { get; }
    public PreparedSeries Data { get; }
    public string ModelPath { get; }
    public long Seed => _request.Training.Seed;

    public static ForecastSession Prepare(ForecastRequest request)
    {
        (request.Network with { Horizon = request.Series.Horizon }).Validate();
        request.Training.Validate();
        var series = PriceCsv.Load(request.CsvPath, request.Column, request.DateColumn);
        var data = PreparedSeries.Prepare(series, request.Series, request.CsvPath);
        var modelPath = request.OutputPath ?? Path.Combine("models", ModelFileName(request.CsvPath, series.Column));
        AtomicFile.EnsureWritable(modelPath);
        return new ForecastSession(request, series, data, modelPath);
    }

    /// <summary>
    /// Trains (early stopping keeps the best epoch), saves the model, then scores it on the test part; an exception no
    /// check foresaw comes out as an <see cref="InternalErrorException"/>.
    /// </summary>
    public ForecastResult Run(IProgress<EpochRecord>? progress = null, CancellationToken cancel = default) => InternalError.Guard(() => Train(progress, cancel));

    private ForecastResult Train(IProgress<EpochRecord>? progress, CancellationToken cancel)
    {
        var model = ForecastTrainer.Train(Data, _request.Network, _request.Training, Path.GetFileName(_request.CsvPath), progress, cancel);
        try
        {
            model.Save(ModelPath);
            return new ForecastResult(ModelPath, model, ForecastEvaluation.Run(model, Series, _request.CsvPath), cancel.IsCancellationRequested);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>CSVNAME-COLUMN.tgm, with the characters a file name cannot hold replaced.</summary>
    private static string ModelFileName(string csvPath, string column)
    {
        var name = $"{Path.GetFileNameWithoutExtension(csvPath)}-{column}";
        var invalid = Path.GetInvalidFileNameChars().Append('\\').ToHashSet();
        return string.Concat(name.Select(c => invalid.Contains(c) ? '_' : c)).TrimStart('.') + ModelFile.Extension;
    }
}
