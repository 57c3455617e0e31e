using TextGen.Settings;

namespace TextGen.Forecasting;

/// <summary>How a forecaster is trained: MSE on scaled values, Adam, early stopping on validation MSE.</summary>
public sealed record ForecastTrainingOptions
{
    [Option("epochs", "Most epochs to train (the Keras guide's tiny model trains for 500).", Min = 1, Max = 1_000_000)]
    public int Epochs { get; init; } = 500;

    /// <summary>Stop when validation loss has not improved for this many epochs; the best epoch's weights are kept.</summary>
    [Option("patience", "Stop after this many epochs without a better validation loss; the best epoch is kept.", Min = 1, Max = 1_000_000)]
    public int Patience { get; init; } = 20;

    [Option("batch-size", "Windows per step.", Min = 1, Max = 65536)]
    public int BatchSize { get; init; } = 128;

    [Option("learning-rate", "Adam learning rate.", Min = 0, MinExclusive = true, Max = 1, Example = "e.g. 0.003")]
    public double LearningRate { get; init; } = 3e-3;

    [Option("max-time", "Time budget, e.g. 90s or 5m. Default: none.")]
    public TimeSpan? MaxTime { get; init; }

    [Option("seed", "Seed for repeatable results.", Chosen = "random")]
    public long Seed { get; init; } = 1;

    public void Validate()
    {
        Declared<ForecastTrainingOptions>.Validate(this);
        if (MaxTime is { } t && t <= TimeSpan.Zero) throw new SettingException("max-time", "must be positive, e.g. 90s or 5m.");
    }
}

/// <summary>One epoch of forecaster training; losses are MSE and MAE on scaled values.</summary>
public sealed record EpochRecord(int Epoch, double TrainLoss, double ValLoss, double ValMae);
