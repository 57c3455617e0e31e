namespace TextGen.Forecasting;

/// <summary>How a forecaster is trained: MSE on scaled values, Adam, early stopping on validation MSE.</summary>
public sealed record ForecastTrainingOptions
{
    public int Epochs { get; init; } = ForecastSettings.Epochs.Default;
    /// <summary>Stop when validation loss has not improved for this many epochs; the best epoch's weights are kept.</summary>
    public int Patience { get; init; } = ForecastSettings.Patience.Default;
    public int BatchSize { get; init; } = ForecastSettings.BatchSize.Default;
    public double LearningRate { get; init; } = ForecastSettings.LearningRate.Default;
    public TimeSpan? MaxTime { get; init; }
    public long Seed { get; init; } = 1;

    public void Validate()
    {
        ForecastSettings.Epochs.Check(Epochs);
        ForecastSettings.Patience.Check(Patience);
        ForecastSettings.BatchSize.Check(BatchSize);
        ForecastSettings.LearningRate.Check(LearningRate);
        if (MaxTime is { } t && t <= TimeSpan.Zero) throw new SettingException("max-time", "must be positive, e.g. 90s or 5m.");
    }
}

/// <summary>One epoch of forecaster training; losses are MSE and MAE on scaled values.</summary>
public sealed record EpochRecord(int Epoch, double TrainLoss, double ValLoss, double ValMae);
