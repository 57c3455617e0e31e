namespace TextGen.Forecasting;

/// <summary>How a forecaster is trained: MSE on scaled values, Adam, early stopping on validation MSE.</summary>
public sealed record ForecastTrainingOptions
{
    /// <summary>Upper bound on epochs; the Keras guide trains its tiny model for 500.</summary>
    public int Epochs { get; init; } = 500;
    /// <summary>Stop when validation loss has not improved for this many epochs; the best epoch's weights are kept.</summary>
    public int Patience { get; init; } = 20;
    public int BatchSize { get; init; } = 128;
    public double LearningRate { get; init; } = 3e-3;
    public TimeSpan? MaxTime { get; init; }
    public long Seed { get; init; } = 1;

    public void Validate()
    {
        if (Epochs is < 1 or > 1_000_000) throw new TextGenException($"--epochs {Epochs} is out of range; use 1 or more.");
        if (Patience < 1) throw new TextGenException($"--patience {Patience} is out of range; use 1 or more.");
        if (BatchSize is < 1 or > 65536) throw new TextGenException($"--batch-size {BatchSize} is out of range; use 1 to 65536.");
        if (LearningRate is <= 0 or > 1) throw new TextGenException($"--learning-rate {LearningRate} is out of range; use a value in (0, 1].");
        if (MaxTime is { } t && t <= TimeSpan.Zero) throw new TextGenException("--max-time must be positive, e.g. 90s or 5m.");
    }
}

/// <summary>One epoch of forecaster training; losses are MSE and MAE on scaled values.</summary>
public sealed record EpochRecord(int Epoch, double TrainLoss, double ValLoss, double ValMae);
