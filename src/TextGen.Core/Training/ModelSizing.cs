using TextGen.Benchmarking;
using TextGen.Modeling;

namespace TextGen.Training;

/// <summary>
/// Picks the recurrent width when the user gives none, from the budget and the corpus (docs/training.md).
/// Measured here: 256 units beat 192 in 2- and 5-minute runs, 128 on a 200 k-character corpus, and 384 in 10 minutes
/// on 1 M characters, so 256 is the floor; 384 beat 256 by 0.06 nats in 20 minutes on 10.7 M characters. A wider
/// layer is taken when the budget still gives it <see cref="TokensPerParameter"/> training tokens per recurrent weight
/// and the corpus has at least one character per recurrent weight (<see cref="ParametersPerCorpusToken"/>): a wider
/// model gains from fresh text, not from repeating a small corpus. Time budgets are turned into tokens with the
/// throughput the rule was measured at; epoch budgets need no estimate. Deterministic, so a seed repeats a run.
/// </summary>
public static class ModelSizing
{
    public const int BaseWidth = 256;
    public static readonly int[] WiderWidths = [320, 384, 512, 768, 1024];
    public const double TokensPerParameter = 5;
    public const double ParametersPerCorpusToken = 1;

    /// <summary>
    /// Sustained training GFLOP/s of a 2-layer LSTM of width 256 on the 2-core machine the rule was measured on
    /// (`textgen bench`); wider layers use the cores better, roughly as the 0.3th power of the width.
    /// </summary>
    public const double ReferenceGflops = 105;

    public static double EstimatedTokensPerSecond(RecurrentNetConfig network) =>
        ReferenceGflops * Math.Pow(network.Hidden / (double)BaseWidth, 0.3) * 1e9 / FlopCount.TrainingPerToken(network);

    /// <summary>Recurrent weights (embedding and head excluded: they scale with the vocabulary, not the width).</summary>
    public static long RecurrentParameters(RecurrentNetConfig network)
    {
        var gates = FlopCount.Gates(network.Cell);
        long total = 0;
        var input = network.OneHot ? network.VocabularySize : network.Embedding;
        for (var layer = 0; layer < network.Layers; layer++)
        {
            total += (long)gates * network.Hidden * (input + network.Hidden + 2);
            input = network.Hidden;
        }
        return total;
    }

    /// <summary>Training tokens the budget allows at this width: the smaller of the time and the epoch budget.</summary>
    public static double BudgetTokens(RecurrentNetConfig network, TrainingOptions options, long trainTokens)
    {
        var byTime = options.MaxTime is { } time ? EstimatedTokensPerSecond(network) * time.TotalSeconds : double.PositiveInfinity;
        var byEpochs = options.Epochs is { } epochs ? (double)epochs * trainTokens : double.PositiveInfinity;
        return Math.Min(byTime, byEpochs);
    }

    /// <summary>The width for <paramref name="network"/>'s cell, layers and vocabulary under this budget and corpus.</summary>
    public static int ChooseWidth(RecurrentNetConfig network, TrainingOptions options, long trainTokens)
    {
        var chosen = BaseWidth;
        foreach (var width in WiderWidths)
        {
            var candidate = network with { Hidden = width };
            var tokens = BudgetTokens(candidate, options, trainTokens);
            var weights = RecurrentParameters(candidate);
            if (tokens >= TokensPerParameter * weights && weights <= ParametersPerCorpusToken * trainTokens)
            {
                chosen = width;
            }
        }
        return chosen;
    }
}
