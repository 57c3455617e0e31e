using TextGen.Settings;
using TextGen.Tokenization;

namespace TextGen.Training;

/// <summary>
/// How to train, declared once: the library validates with these declarations and the CLI's flags are made from them.
/// The defaults are measured to work well on a ~1 MB corpus on a 2-core CPU; docs/training.md has the measurements.
/// </summary>
public sealed record TrainingOptions
{
    [Option("batch-size", "Parallel streams per step.", Min = 1, Max = 4096, Chosen = "128 (32 at word level)")]
    public int BatchSize { get; init; } = 128;

    [Option("seq-length", "Tokens per window, the back-propagation length; the state carries over.", Min = 2, Max = 10_000, Chosen = "50 (35 at word level)")]
    public int SequenceLength { get; init; } = 50;

    [Option("learning-rate", "Peak Adam rate: warm-up, then cosine decay to a tenth.", Min = 0, Max = 1, MinExclusive = true, Example = "e.g. 0.002", Chosen = "0.015 (0.003 at word level)")]
    public double LearningRate { get; init; } = 0.015;

    /// <summary>Adam's momentum, lower than the usual 0.9 so that early training does not depend on the initial draw.</summary>
    [Option("beta1", "Adam's momentum (the gradient average's decay).", Min = 0, Max = 0.999, Example = "e.g. 0.7")]
    public double Beta1 { get; init; } = 0.7;

    /// <summary>Gradients are rescaled so that their global L2 norm is at most this.</summary>
    [Option("clip", "Largest global gradient norm.", Min = 0, MinExclusive = true, Example = "e.g. 1")]
    public double GradientClip { get; init; } = 1.0;

    [Option("val-fraction", "The last fraction of the corpus, held out for validation.", Min = 0, Max = 0.9, MinExclusive = true)]
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Wall-clock budget for the whole run (reading, tokenizing and evaluations included); null for none.</summary>
    [Option("max-time", "Time budget, e.g. 90s, 5m, 1h.", Chosen = "10m unless --epochs is given; 2m on the bundled corpus")]
    public TimeSpan? MaxTime { get; init; }

    /// <summary>Epoch budget; null for none. At least one budget must be set.</summary>
    [Option("epochs", "Epoch budget; the first budget reached ends training.", Min = 1)]
    public int? Epochs { get; init; }

    [Option("seed", "Seed for repeatable results.", Chosen = "random")]
    public long Seed { get; init; } = 1;

    /// <summary>The products' precision; null: bf16 where it wins, fp32 elsewhere (<see cref="TrainingPrecisions.Resolve(TrainingPrecision?, Modeling.CellType)"/>).</summary>
    [Option("precision", "Products in training: bf16 (bfloat16 operands, float32 weights and arithmetic; LSTM and GRU on CPUs with avx512_bf16 or AMX), fp32, " +
        "or auto: bf16 where it runs, else fp32. Models are saved in fp32 either way.", Chosen = "auto")]
    public TrainingPrecision? Precision { get; init; }

    /// <summary>How gradients travel between the ranks of an mpirun (<see cref="Distributed.GradientExchange"/>).</summary>
    [Option("allreduce", "Gradients between the processes of an mpirun: fp32, or bf16 for half the bytes (each partial sum rounded to bfloat16).")]
    public TrainingPrecision Allreduce { get; init; }

    /// <summary>Tokens of the sample generated at each evaluation from the weights just scored (shown while training, kept in the result); 0 for none.</summary>
    [Option("sample-length", "Tokens of the sample shown at each evaluation; 0 turns the samples off.", Min = 0, Max = 10_000)]
    public int SampleLength { get; init; } = 100;

    [Option("sample-temperature", "Temperature of the samples shown while training.", Min = 0, Max = 100, Example = "e.g. 0.5")]
    public double SampleTemperature { get; init; } = 0.8;

    /// <summary>Models of the last evaluations kept beside the best (<see cref="Persistence.KeptModels"/>); 0 for none.</summary>
    [Option("keep", "Keep the last N evaluations' models as numbered files beside the best (NAME-stepS.tgm).", Min = 0, Max = 1000)]
    public int Keep { get; init; }

    /// <summary>
    /// The defaults for a tokenizer level: characters and BPE pieces train best at a high peak rate on long windows;
    /// words (a large softmax, few tokens per line) at a fifth of the rate on shorter windows (docs/training.md).
    /// </summary>
    public static TrainingOptions ForLevel(TokenLevel level) => level == TokenLevel.Word
        ? new TrainingOptions { BatchSize = 32, SequenceLength = 35, LearningRate = 0.003 }
        : new TrainingOptions();

    public void Validate()
    {
        Declared<TrainingOptions>.Validate(this);
        if (MaxTime is { } t && t <= TimeSpan.Zero) throw new SettingException("max-time", "must be positive, e.g. 90s or 5m.");
        if (MaxTime is null && Epochs is null) throw new SettingException("max-time", "or epochs must be set so that training ends.");
    }
}
