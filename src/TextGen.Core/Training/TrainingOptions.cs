namespace TextGen.Training;

/// <summary>How to train; the defaults are measured to work well on a ~1 MB corpus on a 2-core CPU (see docs).</summary>
public sealed record TrainingOptions
{
    /// <summary>128 streams of 50 steps: as good per step as 64 x 100 and ~7% more tokens/s (docs/training.md).</summary>
    public int BatchSize { get; init; } = 128;
    public int SequenceLength { get; init; } = 50;
    /// <summary>Peak rate; high because the schedule decays it to a tenth over the budget (docs/training.md).</summary>
    public double LearningRate { get; init; } = 0.015;
    /// <summary>
    /// Adam's momentum (the gradient average's decay). 0.7 rather than the usual 0.9 at every level: with 0.9 early
    /// training depended on the initial draw and short runs sat in the plateau (5 minutes on tiny-shakespeare,
    /// seed 3: 1.5082 with 0.9, 1.4471 with 0.7; words, 3 minutes: 5.94 vs 4.61 nats per word; docs/training.md).
    /// </summary>
    public double Beta1 { get; init; } = 0.7;
    /// <summary>Gradients are rescaled so that their global L2 norm is at most this.</summary>
    public double GradientClip { get; init; } = 1.0;
    public double ValidationFraction { get; init; } = 0.1;
    /// <summary>Wall-clock budget for the whole run (evaluations included); null for none.</summary>
    public TimeSpan? MaxTime { get; init; }
    /// <summary>Epoch budget; null for none. At least one budget must be set.</summary>
    public int? Epochs { get; init; }
    public long Seed { get; init; } = 1;

    /// <summary>
    /// The measured defaults for a tokenizer level: characters and BPE pieces train best at a high peak rate on long
    /// windows; words (a large softmax, few tokens per line) at a fifth of the rate on shorter windows (docs/training.md).
    /// </summary>
    public static TrainingOptions ForLevel(string level) => level.Trim().ToLowerInvariant() == Tokenization.WordTokenizer.LevelName
        ? new TrainingOptions { BatchSize = 32, SequenceLength = 35, LearningRate = 0.003 }
        : new TrainingOptions();

    public void Validate()
    {
        if (BatchSize is < 1 or > 4096) throw new TextGenException($"--batch-size {BatchSize} is out of range; use 1 to 4096.");
        if (SequenceLength is < 2 or > 10000) throw new TextGenException($"--seq-length {SequenceLength} is out of range; use 2 to 10000.");
        if (LearningRate is <= 0 or > 1 || double.IsNaN(LearningRate)) throw new TextGenException($"--learning-rate {LearningRate} is out of range; use a value in (0, 1], e.g. 0.002.");
        if (Beta1 is < 0 or >= 1 || double.IsNaN(Beta1)) throw new TextGenException($"Adam beta1 {Beta1} is out of range; use 0 up to (not including) 1, e.g. 0.7.");
        if (GradientClip <= 0 || double.IsNaN(GradientClip)) throw new TextGenException($"--clip {GradientClip} is out of range; use a positive number, e.g. 1.");
        if (ValidationFraction is <= 0 or >= 1) throw new TextGenException($"--val-fraction {ValidationFraction} is out of range; use a value between 0 and 1 (default 0.1).");
        if (MaxTime is { } t && t <= TimeSpan.Zero) throw new TextGenException("--max-time must be positive, e.g. 90s or 5m.");
        if (Epochs is < 1) throw new TextGenException($"--epochs {Epochs} is out of range; use 1 or more.");
        if (MaxTime is null && Epochs is null) throw new TextGenException("set --max-time or --epochs so that training ends.");
    }
}
