using TextGen.Settings;

namespace TextGen.Forecasting;

/// <summary>How a price series is prepared for the network; stored in the forecasting model file.</summary>
public sealed record SeriesSettings
{
    [Option("diff", "none, abs (change), pct (percentage change) or log (log return).")]
    public DiffMode Diff { get; init; } = DiffMode.Abs;

    [Option("window", "Past values per input window.", Min = 1, Max = 10_000)]
    public int Window { get; init; } = 30;

    [Option("horizon", "Values predicted at once (direct multi-step).", Min = 1, Max = 1000)]
    public int Horizon { get; init; } = 1;

    [Option("val-fraction", "Validation part, before the test part.", Min = 0.01, Max = 0.49)]
    public double ValFraction { get; init; } = 0.15;

    [Option("test-fraction", "Test part, at the end of the series.", Min = 0.01, Max = 0.49)]
    public double TestFraction { get; init; } = 0.15;

    public void Validate() => Declared<SeriesSettings>.Validate(this);
}

/// <summary>
/// A series cut chronologically into training, validation and test parts (never shuffled across time),
/// differenced, scaled with statistics from the training part only, and windowed. A window belongs to the part that
/// holds all of its targets; windows whose targets straddle two parts are dropped.
/// </summary>
public sealed class PreparedSeries
{
    /// <summary>Training windows needed at the least; fewer cannot fit a model.</summary>
    public const int MinimumTrainingWindows = 8;

    private PreparedSeries(PriceSeries series, SeriesSettings settings, double[] changes, StandardScaler scaler, int trainEnd, int valEnd)
    {
        Series = series;
        Settings = settings;
        Changes = changes;
        Scaler = scaler;
        TrainEnd = trainEnd;
        ValEnd = valEnd;
        Scaled = changes.Select(scaler.Transform).ToArray();
        var samples = Enumerable.Range(0, SeriesWindows.Count(changes.Length, settings.Window, settings.Horizon)).ToArray();
        TrainSamples = samples.Where(i => LastTarget(i) < trainEnd).ToArray();
        ValSamples = samples.Where(i => FirstTarget(i) >= trainEnd && LastTarget(i) < valEnd).ToArray();
        TestSamples = samples.Where(i => FirstTarget(i) >= valEnd).ToArray();
    }

    public PriceSeries Series { get; }
    public SeriesSettings Settings { get; }
    /// <summary>The differenced series; value k belongs to price k + lag.</summary>
    public double[] Changes { get; }
    public double[] Scaled { get; }
    public StandardScaler Scaler { get; }
    /// <summary>Prices [0, TrainEnd) are training, [TrainEnd, ValEnd) validation, [ValEnd, end) test.</summary>
    public int TrainEnd { get; }
    public int ValEnd { get; }
    public int[] TrainSamples { get; }
    public int[] ValSamples { get; }
    public int[] TestSamples { get; }

    private int Lag => Differencing.Lag(Settings.Diff);

    /// <summary>The price index of sample <paramref name="sample"/>'s first target.</summary>
    public int FirstTarget(int sample) => sample + Settings.Window + Lag;

    public int LastTarget(int sample) => FirstTarget(sample) + Settings.Horizon - 1;

    /// <summary>
    /// Prepares <paramref name="series"/>; the scaler is fitted on its training part unless one is given
    /// (a trained model's, when evaluating it on a file).
    /// </summary>
    public static PreparedSeries Prepare(PriceSeries series, SeriesSettings settings, string source, StandardScaler? scaler = null)
    {
        settings.Validate();
        var n = series.Count;
        var trainEnd = (int)Math.Floor(n * (1 - settings.ValFraction - settings.TestFraction));
        var valEnd = (int)Math.Floor(n * (1 - settings.TestFraction));
        var changes = Differencing.Apply(series.Values, settings.Diff, series.Dates);
        var lag = Differencing.Lag(settings.Diff);
        var trainChanges = Math.Max(0, trainEnd - lag);
        scaler ??= trainChanges > 0 ? StandardScaler.Fit(changes.AsSpan(0, trainChanges)) : new StandardScaler(0, 1);
        // Prices near the double range (±1e200) overflow a difference or the scaler's variance: refuse them here, in
        // one line, rather than train on infinities and fail writing the model.
        if (!double.IsFinite(scaler.Mean) || !double.IsFinite(scaler.Std) || changes.Any(c => !double.IsFinite(scaler.Transform(c))))
        {
            var largest = series.Values.Max(Math.Abs);
            throw new TextGenException($"{source}: the prices of {series.Column} (up to {largest:E1}) are too large to difference and scale; divide the column by a power of ten.");
        }
        var prepared = new PreparedSeries(series, settings, changes, scaler, trainEnd, valEnd);
        if (prepared.TrainSamples.Length < MinimumTrainingWindows || prepared.ValSamples.Length == 0 || prepared.TestSamples.Length == 0)
        {
            var needed = (int)Math.Ceiling((settings.Window + settings.Horizon + lag + MinimumTrainingWindows) / (1 - settings.ValFraction - settings.TestFraction)) +
                2 * (settings.Window + settings.Horizon);
            throw new TextGenException($"{source} has {n} usable rows: too few for window {settings.Window} + horizon {settings.Horizon} with validation and test parts " +
                                       $"({prepared.TrainSamples.Length}/{prepared.ValSamples.Length}/{prepared.TestSamples.Length} windows); use about {needed} rows or more, or a smaller window.");
        }
        return prepared;
    }
}
