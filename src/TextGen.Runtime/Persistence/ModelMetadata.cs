using TextGen.Modeling;
using TextGen.Tokenization;

namespace TextGen.Persistence;

/// <summary>What a model file says about itself besides the weights.</summary>
public sealed record ModelMetadata
{
    public required TokenizerDescription Tokenizer { get; init; }
    public required RecurrentNetConfig Network { get; init; }
    public TrainingSummary? Training { get; init; }
    /// <summary>How often each token occurs in the training corpus (by id), for inspection.</summary>
    public IReadOnlyList<long>? TokenCounts { get; init; }
    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;
    /// <summary>The embedding was initialised from a file and kept fixed; a resumed run keeps it fixed too.</summary>
    public bool FrozenEmbedding { get; init; }
    /// <summary>The model this one was fine-tuned from (<c>train --from</c>); null for a model trained from scratch.</summary>
    public TunedFrom? TunedFrom { get; init; }
}

/// <summary>The model a fine-tuned model started from: its file name, what that was trained on, how good it was, when it was made.</summary>
public sealed record TunedFrom(string Model, string? Corpus, double? ValLoss, DateTimeOffset Created);

/// <summary>How a model was trained and how good it got; losses are mean cross-entropy in nats per token.</summary>
public sealed record TrainingSummary
{
    public string Corpus { get; init; } = "";
    public long Steps { get; init; }
    public double Epochs { get; init; }
    public double TrainLoss { get; init; }
    public double ValLoss { get; init; }
    public double TokensPerSecond { get; init; }
    public double Seconds { get; init; }
    /// <summary>Rows of each step, per rank when several processes trained together (<see cref="Ranks"/>).</summary>
    public int BatchSize { get; init; }
    public int SequenceLength { get; init; }
    /// <summary>Processes that trained the model together under mpirun, each on its rows of every step; 1 in older models.</summary>
    public int Ranks { get; init; } = 1;
    public double LearningRate { get; init; }
    public long Seed { get; init; }
    /// <summary>The saved weights' loss through the int8 engine against fp32, measured when training ended; null in older models.</summary>
    public Int8LossCheck? Int8 { get; init; }
    /// <summary>The loss curve: one point per evaluation, resumed runs included (thinned to at most <see cref="TrainingPoint.MaxPoints"/>).</summary>
    public IReadOnlyList<TrainingPoint> History { get; init => field = TrainingPoint.Clean(value); } = [];
}

/// <summary>Mean cross-entropy of held-out tokens through the generation engine in fp32 and in int8 (<c>PrecisionChoice</c>).</summary>
public sealed record Int8LossCheck(double Fp32Loss, double Int8Loss, long Tokens)
{
    /// <summary>What int8 costs, in nats per token (negative: it happened to score better).</summary>
    public double Difference => Int8Loss - Fp32Loss;
}

/// <summary>
/// One evaluation during training: the step, seconds of training so far, the mean training loss since the previous
/// point, the validation loss of the averaged weights, and the learning rate then.
/// </summary>
public sealed record TrainingPoint(long Step, double Seconds, double TrainLoss, double ValLoss, double LearningRate)
{
    /// <summary>Points a model keeps; past it every other one is dropped, so a week-long run keeps its shape in a few hundred KB.</summary>
    public const int MaxPoints = 2000;

    /// <summary>A curve read from a file: null (or null points) stand for none.</summary>
    public static IReadOnlyList<TrainingPoint> Clean(IReadOnlyList<TrainingPoint>? history) =>
        history is null ? [] : history.Any(p => p is null) ? history.Where(p => p is not null).ToArray() : history;

    /// <summary>
    /// <paramref name="history"/> with <paramref name="point"/> appended, thinned to <see cref="MaxPoints"/> (the first and
    /// last are kept): the curve, and the samples a run keeps of its evaluations.
    /// </summary>
    public static IReadOnlyList<T> Append<T>(IReadOnlyList<T> history, T point)
    {
        var points = history.Append(point).ToList();
        return points.Count <= MaxPoints ? points : points.Where((_, i) => i % 2 == 0 || i == points.Count - 1).ToList();
    }
}
