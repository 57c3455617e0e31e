using TextGen.Modeling;

namespace TextGen.Forecasting;

/// <summary>Every setting of forecasting, declared once: the library validates with them and the CLI's flags are made from them.</summary>
public static class ForecastSettings
{
    public static readonly Setting<int> Window = new("window", "Past values per input window.", 30, 1, 10_000);
    public static readonly Setting<int> Horizon = new("horizon", "Values predicted at once (direct multi-step).", 1, 1, 1000);
    public static readonly Setting<double> ValFraction = new("val-fraction", "Validation part, before the test part.", 0.15, 0.01, 0.49);
    public static readonly Setting<double> TestFraction = new("test-fraction", "Test part, at the end of the series.", 0.15, 0.01, 0.49);

    /// <summary>The recurrent core's ranges, with a small network as the default: a price series is short.</summary>
    public static readonly Setting<int> Layers = NetworkSettings.Layers with { Default = 1 };
    public static readonly Setting<int> Hidden = NetworkSettings.Hidden with { Default = 32 };
    public static readonly Setting<double> Dropout = NetworkSettings.Dropout with { Default = 0 };

    public static readonly Setting<int> Epochs = new("epochs", "Most epochs to train (the Keras guide's tiny model trains for 500).", 500, 1, 1_000_000);
    public static readonly Setting<int> Patience = new("patience", "Stop after this many epochs without a better validation loss; the best epoch is kept.", 20, 1, 1_000_000);
    public static readonly Setting<int> BatchSize = new("batch-size", "Windows per step.", 128, 1, 65536);
    public static readonly Setting<double> LearningRate = new("learning-rate", "Adam learning rate.", 3e-3, 0, 1, MinExclusive: true, Example: "e.g. 0.003");
    public static readonly Setting<int> Steps = new("steps", "Values to forecast past the end of the series.", 1, 1, 100_000);
}
