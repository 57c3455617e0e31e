namespace TextGen.Training;

/// <summary>
/// Every training setting, declared once: the library validates with them and the CLI's flags are made from them.
/// The defaults and the measurements behind them are in docs/training.md.
/// </summary>
public static class TrainingSettings
{
    public const int WordBatchSize = 32;
    public const int WordSequenceLength = 35;
    public const double WordLearningRate = 0.003;

    public static readonly Setting<int> BatchSize = new("batch-size", $"Parallel streams per step. Default: 128 ({WordBatchSize} at word level).", 128, 1, 4096);
    public static readonly Setting<int> SequenceLength = new("seq-length", $"Tokens per window, the back-propagation length; the state carries over. Default: 50 ({WordSequenceLength} at word level).", 50, 2, 10_000);
    public static readonly Setting<double> LearningRate = new("learning-rate", $"Peak Adam rate: warm-up, then cosine decay to a tenth. Default: 0.015 ({WordLearningRate} at word level).", 0.015, 0, 1, MinExclusive: true, Example: "e.g. 0.002");
    /// <summary>Adam's momentum, lower than the usual 0.9 so that early training does not depend on the initial draw.</summary>
    public static readonly Setting<double> Beta1 = new("beta1", "Adam's momentum (the gradient average's decay).", 0.7, 0, 0.999, Example: "e.g. 0.7");
    public static readonly Setting<double> GradientClip = new("clip", "Largest global gradient norm.", 1.0, 0, null, MinExclusive: true, Example: "e.g. 1");
    public static readonly Setting<double> ValidationFraction = new("val-fraction", "The last fraction of the corpus, held out for validation.", 0.1, 0, 0.9, MinExclusive: true);
    public static readonly Setting<int> Epochs = new("epochs", "Epoch budget; the first budget reached ends training.", 1, 1);
}

/// <summary>How to train; the defaults are measured to work well on a ~1 MB corpus on a 2-core CPU (see docs).</summary>
public sealed record TrainingOptions
{
    public int BatchSize { get; init; } = TrainingSettings.BatchSize.Default;
    public int SequenceLength { get; init; } = TrainingSettings.SequenceLength.Default;
    public double LearningRate { get; init; } = TrainingSettings.LearningRate.Default;
    public double Beta1 { get; init; } = TrainingSettings.Beta1.Default;
    /// <summary>Gradients are rescaled so that their global L2 norm is at most this.</summary>
    public double GradientClip { get; init; } = TrainingSettings.GradientClip.Default;
    public double ValidationFraction { get; init; } = TrainingSettings.ValidationFraction.Default;
    /// <summary>Wall-clock budget for the whole run (evaluations included); null for none.</summary>
    public TimeSpan? MaxTime { get; init; }
    /// <summary>Epoch budget; null for none. At least one budget must be set.</summary>
    public int? Epochs { get; init; }
    public long Seed { get; init; } = 1;
    /// <summary>The products' precision; null: bf16 where it wins, fp32 elsewhere (<see cref="TrainingPrecisions.Resolve(TrainingPrecision?, Modeling.CellType)"/>).</summary>
    public TrainingPrecision? Precision { get; init; }

    /// <summary>
    /// The defaults for a tokenizer level: characters and BPE pieces train best at a high peak rate on long windows;
    /// words (a large softmax, few tokens per line) at a fifth of the rate on shorter windows (docs/training.md).
    /// </summary>
    public static TrainingOptions ForLevel(string level) => level.Trim().ToLowerInvariant() == Tokenization.WordTokenizer.LevelName
        ? new TrainingOptions { BatchSize = TrainingSettings.WordBatchSize, SequenceLength = TrainingSettings.WordSequenceLength, LearningRate = TrainingSettings.WordLearningRate }
        : new TrainingOptions();

    public void Validate()
    {
        TrainingSettings.BatchSize.Check(BatchSize);
        TrainingSettings.SequenceLength.Check(SequenceLength);
        TrainingSettings.LearningRate.Check(LearningRate);
        TrainingSettings.Beta1.Check(Beta1);
        TrainingSettings.GradientClip.Check(GradientClip);
        TrainingSettings.ValidationFraction.Check(ValidationFraction);
        if (MaxTime is { } t && t <= TimeSpan.Zero) throw new SettingException("max-time", "must be positive, e.g. 90s or 5m.");
        if (Epochs is { } epochs) TrainingSettings.Epochs.Check(epochs);
        if (MaxTime is null && Epochs is null) throw new SettingException("max-time", "or epochs must be set so that training ends.");
    }
}
