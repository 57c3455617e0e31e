using TextGen.Persistence;

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
    /// <summary>The sample generated after this evaluation (<see cref="TrainingOptions.SampleLength"/>); null when none was.</summary>
    public TrainingSample? Sample { get; init; }
}

/// <summary>Text generated from the weights evaluated at <paramref name="Step"/>, whose validation loss was <paramref name="ValLoss"/>.</summary>
public sealed record TrainingSample(long Step, double ValLoss, string Text);

/// <summary>The outcome of a training run; the best model (by validation loss) has been saved at <see cref="ModelPath"/>.</summary>
/// <param name="ModelPath">Where the best model was saved.</param>
/// <param name="Summary">The whole run: all steps and time; <see cref="TrainingSummary.ValLoss"/> is the saved model's, over the entire validation part.</param>
/// <param name="Parameters">Trainable parameters of the network.</param>
/// <param name="Cancelled">Training stopped early on request.</param>
public sealed record TrainingResult(string ModelPath, TrainingSummary Summary, long Parameters, bool Cancelled)
{
    /// <summary>Something the user should know that did not stop the run.</summary>
    public string? Warning { get; init; }

    /// <summary>Seconds from the command's start (reading and tokenizing included) to the end of the first training step; null when none ran.</summary>
    public double? FirstStepSeconds { get; init; }

    /// <summary>The samples generated at this run's evaluations, in order (none when <see cref="TrainingOptions.SampleLength"/> is 0).</summary>
    public IReadOnlyList<TrainingSample> Samples { get; init; } = [];

    /// <summary>Processes that trained together (mpirun); 1 alone.</summary>
    public int Ranks { get; init; } = 1;

    /// <summary>Gradient bytes each rank sent into every step's all-reduce; 0 alone.</summary>
    public long AllreduceBytesPerStep { get; init; }

    /// <summary>This rank's seconds in the gradient all-reduces, waiting for the slowest rank included.</summary>
    public double AllreduceSeconds { get; init; }
}
