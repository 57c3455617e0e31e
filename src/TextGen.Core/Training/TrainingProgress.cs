namespace TextGen.Training;

/// <summary>A snapshot of a running training, reported after every step and every evaluation.</summary>
public sealed record TrainingProgress
{
    public long Step { get; init; }
    public double Epoch { get; init; }
    /// <summary>Fraction of the budget (time or epochs, whichever ends first) used so far.</summary>
    public double Fraction { get; init; }
    public double TrainLoss { get; init; }
    public double? ValLoss { get; init; }
    public double? BestValLoss { get; init; }
    public double TokensPerSecond { get; init; }
    public double LearningRate { get; init; }
    public TimeSpan Elapsed { get; init; }
    /// <summary>True when this report follows an evaluation on the validation part.</summary>
    public bool Evaluated { get; init; }
    public bool Improved { get; init; }
}

/// <summary>The outcome of a training run; the best model (by validation loss) has been saved.</summary>
public sealed record TrainingResult
{
    public required string ModelPath { get; init; }
    public long Steps { get; init; }
    public double Epochs { get; init; }
    public double TrainLoss { get; init; }
    /// <summary>Mean cross-entropy (nats per token) over the whole validation part, of the saved (best) model.</summary>
    public double ValLoss { get; init; }
    public double TokensPerSecond { get; init; }
    public long Parameters { get; init; }
    public double Seconds { get; init; }
    public bool Cancelled { get; init; }
}
