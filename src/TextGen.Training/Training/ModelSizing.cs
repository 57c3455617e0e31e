using TextGen.Benchmarking;
using TextGen.Modeling;

namespace TextGen.Training;

/// <summary>
/// Picks the recurrent width when the user gives none, from the budget, the corpus and this machine's speed
/// (docs/training.md has the runs behind every number). 256 is the floor: narrower never won. A wider layer is taken
/// when the budget still gives it <see cref="TokensPerParameter"/> training tokens per recurrent weight and the corpus
/// has at least one character per <see cref="ParametersPerCorpusToken"/> recurrent weights: a wider model gains from
/// fresh text, not from repeating a small corpus. Both thresholds are in tokens, so they hold on any machine; a time
/// budget is turned into tokens with the throughput measured on the machine at hand (<see cref="MeasureBaseThroughput"/>),
/// in the run's precision. Epoch budgets need no measurement and are deterministic, so a seed repeats such a run.
/// </summary>
public static class ModelSizing
{
    public const int BaseWidth = 256;
    public static readonly int[] WiderWidths = [320, 384, 512, 768, 1024];
    public const double TokensPerParameter = 4;
    public const double ParametersPerCorpusToken = 2;

    /// <summary>Seconds the throughput probe times, after <see cref="ProbeWarmupSeconds"/> of warm-up.</summary>
    public const double ProbeSeconds = 1;

    /// <summary>
    /// The probe's warm-up (JIT tiers, libgomp's threads, oneDNN's first call of each bf16 product shape): a shorter one
    /// reads well below the steady speed and picks narrower models than the machine can train (docs/training.md).
    /// </summary>
    public const double ProbeWarmupSeconds = 3;

    /// <summary>
    /// Training tokens/s of <paramref name="network"/> at <see cref="BaseWidth"/> on this machine, batch shape of
    /// <paramref name="options"/> and in its precision: a bare training loop on random tokens, about four seconds in all.
    /// </summary>
    public static double MeasureBaseThroughput(RecurrentNetConfig network, TrainingOptions options) =>
        Benchmarking.Throughput.BareTrainingTokensPerSecond(network with { Hidden = BaseWidth }, options.BatchSize, options.SequenceLength, ProbeSeconds,
            ProbeWarmupSeconds, options.Precision == TrainingPrecision.Bf16);

    /// <summary>
    /// Training tokens/s expected of <paramref name="network"/> when the same network at <see cref="BaseWidth"/> trains
    /// at <paramref name="baseTokensPerSecond"/>: the achieved GFLOP/s carried over, rising with the width as its
    /// <see cref="WidthExponent"/>th power.
    /// </summary>
    public static double EstimatedTokensPerSecond(RecurrentNetConfig network, double baseTokensPerSecond, TrainingPrecision precision = TrainingPrecision.Fp32)
    {
        var baseNetwork = network with { Hidden = BaseWidth };
        var gflops = baseTokensPerSecond * FlopCount.TrainingPerToken(baseNetwork);
        return gflops * Math.Pow(network.Hidden / (double)BaseWidth, WidthExponent(precision)) / FlopCount.TrainingPerToken(network);
    }

    /// <summary>
    /// How the achieved GFLOP/s grows with the width (`textgen bench`; docs/training.md): flat in fp32, where the fused
    /// layer reaches the same share of the peak at every width, and rising in bf16, whose gate arithmetic (which bf16
    /// does not speed up) weighs less in wider layers.
    /// </summary>
    public static double WidthExponent(TrainingPrecision precision) => precision == TrainingPrecision.Bf16 ? 0.4 : 0;

    /// <summary>
    /// Training tokens the budget allows at this width: the smaller of the time and the epoch budget. A time budget
    /// needs <paramref name="baseTokensPerSecond"/> (see <see cref="EstimatedTokensPerSecond"/>).
    /// </summary>
    public static double BudgetTokens(RecurrentNetConfig network, TrainingOptions options, long trainTokens, double? baseTokensPerSecond)
    {
        var byTime = double.PositiveInfinity;
        if (options.MaxTime is { } time)
        {
            if (baseTokensPerSecond is not > 0)
            {
                throw new ArgumentException("a time budget needs the measured throughput", nameof(baseTokensPerSecond));
            }
            byTime = EstimatedTokensPerSecond(network, baseTokensPerSecond.Value, options.Precision ?? TrainingPrecision.Fp32) * time.TotalSeconds;
        }
        var byEpochs = options.Epochs is { } epochs ? (double)epochs * trainTokens : double.PositiveInfinity;
        return Math.Min(byTime, byEpochs);
    }

    /// <summary>The wider widths the corpus is large enough for, whatever the budget.</summary>
    private static IEnumerable<RecurrentNetConfig> WiderCandidates(RecurrentNetConfig network, long trainTokens) =>
        WiderWidths.Select(width => network with { Hidden = width }).Where(c => c.RecurrentParameterCount() <= ParametersPerCorpusToken * trainTokens);

    /// <summary>Whether <see cref="ChooseWidth"/> needs this machine's throughput: a time budget, and a corpus large enough to widen.</summary>
    public static bool NeedsThroughput(RecurrentNetConfig network, TrainingOptions options, long trainTokens) =>
        options.MaxTime is not null && WiderCandidates(network, trainTokens).Any();

    /// <summary>The width for <paramref name="network"/>'s cell, layers and vocabulary under this budget and corpus.</summary>
    public static int ChooseWidth(RecurrentNetConfig network, TrainingOptions options, long trainTokens, double? baseTokensPerSecond)
    {
        var chosen = BaseWidth;
        foreach (var candidate in WiderCandidates(network, trainTokens))
        {
            if (BudgetTokens(candidate, options, trainTokens, baseTokensPerSecond) >= TokensPerParameter * candidate.RecurrentParameterCount())
            {
                chosen = candidate.Hidden;
            }
        }
        return chosen;
    }
}
