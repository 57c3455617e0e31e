using TextGen.Modeling;
using static TorchSharp.torch;

namespace TextGen.Training;

/// <summary>Mean next-token cross-entropy of a model over every token of a text (each target counted once).</summary>
public static class Evaluator
{
    /// <summary>Tokens each stream reads before it is scored (fewer when the streams are shorter).</summary>
    public const int WarmUpTokens = 100;

    public readonly record struct Loss(double MeanNats, long Tokens)
    {
        public double BitsPerToken => MeanNats / Math.Log(2);
        public double Perplexity => Math.Exp(MeanNats);
    }

    /// <summary>
    /// Cuts the tokens into up to <paramref name="batchSize"/> contiguous streams read in windows of
    /// <paramref name="sequenceLength"/> with the state carried across windows; the few targets left over
    /// after equal streams are scored in one more stream. Every stream but the first is warmed up on the
    /// <see cref="WarmUpTokens"/> before it (read, not scored), so the figure is what one pass over the text gives,
    /// not a penalty for cutting it into streams.
    /// </summary>
    public static Loss Evaluate(LanguageNetwork model, Data.TokenIds tokens, int batchSize, int sequenceLength, CancellationToken cancel = default)
    {
        var targets = tokens.Length - 1;
        if (targets < 1)
        {
            throw new TextGenException("the text to evaluate has fewer than two tokens; pass a longer text.");
        }
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            var streams = (int)Math.Clamp(targets / sequenceLength, 1, batchSize);
            var streamLength = targets / streams;
            var total = ScoreStreams(model, tokens, 0, streams, streamLength, sequenceLength, cancel);
            var tail = targets - streams * streamLength;
            if (tail > 0)
            {
                total += ScoreStreams(model, tokens, streams * streamLength, 1, tail, sequenceLength, cancel);
            }
            return new Loss(total / targets, targets);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>Mean cross-entropy over every target of every document, each document scored from a zero state.</summary>
    public static Loss EvaluateDocuments(LanguageNetwork model, Data.LineDocuments documents, int batchSize, int sequenceLength)
    {
        var batches = new Data.DocumentBatcher(documents, batchSize, sequenceLength, seed: 0);
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            var inputs = new long[batches.TokensPerStep];
            var targets = new long[batches.TokensPerStep];
            double sum = 0;
            long count = 0;
            for (var step = 0; step < batches.StepsPerEpoch; step++)
            {
                batches.Fill(0, step, inputs, targets);
                using var scope = NewDisposeScope();
                var (logits, _) = model.call(tensor(inputs, new long[] { batches.BatchSize, batches.SequenceLength }), null);
                sum += nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), tensor(targets), reduction: nn.Reduction.Sum).item<float>();
                count += targets.Count(t => t != Data.DocumentBatcher.Ignore);
            }
            return new Loss(sum / Math.Max(1, count), count);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>
    /// Mean cross-entropy over every target of several texts (the held-out parts of a run's files), each read from its
    /// start with the state carried across its windows and never from one text into another (<see cref="Data.SegmentBatcher"/>).
    /// </summary>
    public static Loss EvaluateTexts(LanguageNetwork model, IReadOnlyList<Data.TokenIds> texts, int batchSize, int sequenceLength)
    {
        var batches = new Data.SegmentBatcher(texts, batchSize, sequenceLength, seed: 0, everyWindow: true);
        var wasTraining = model.training;
        model.eval();
        RecurrentState? state = null;
        try
        {
            using var noGrad = no_grad();
            var inputs = new long[batches.TokensPerStep];
            var targets = new long[batches.TokensPerStep];
            double sum = 0;
            for (var step = 0; step < batches.StepsPerEpoch; step++)
            {
                batches.Fill(0, step, inputs, targets);
                using var scope = NewDisposeScope();
                var start = state?.WithRowsZeroed(batches.FreshRows!);
                var (logits, next) = model.call(tensor(inputs, new long[] { batches.BatchSize, batches.SequenceLength }), start);
                sum += nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), tensor(targets), reduction: nn.Reduction.Sum).item<float>();
                state?.Dispose();
                state = next.MoveToOuterDisposeScope();
            }
            return new Loss(sum / batches.Targets, batches.Targets);
        }
        finally
        {
            state?.Dispose();
            model.train(wasTraining);
        }
    }

    private static double ScoreStreams(LanguageNetwork model, Data.TokenIds tokens, long start, int streams, long streamLength, int window, CancellationToken cancel)
    {
        double sum = 0;
        RecurrentState? state = WarmUp(model, tokens, start, streams, streamLength, window);
        try
        {
            var read = new int[window + 1];
            for (long offset = 0; offset < streamLength; offset += window)
            {
                cancel.ThrowIfCancellationRequested();
                var length = (int)Math.Min(window, streamLength - offset);
                var inputs = new long[streams * length];
                var labels = new long[streams * length];
                for (var b = 0; b < streams; b++)
                {
                    tokens.Read(start + b * streamLength + offset, read.AsSpan(0, length + 1));
                    for (var t = 0; t < length; t++)
                    {
                        inputs[b * length + t] = read[t];
                        labels[b * length + t] = read[t + 1];
                    }
                }
                using var scope = NewDisposeScope();
                var (logits, next) = model.call(tensor(inputs, new long[] { streams, length }), state);
                var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), tensor(labels), reduction: nn.Reduction.Sum);
                sum += loss.item<float>();
                state?.Dispose();
                state = next.MoveToOuterDisposeScope();
            }
        }
        finally
        {
            state?.Dispose();
        }
        return sum;
    }

    /// <summary>
    /// The state each stream starts from: zero for a stream at the start of the text, otherwise the state after
    /// reading the <see cref="WarmUpTokens"/> before it, or as many as the stream is long (the text before stream 1).
    /// </summary>
    private static RecurrentState? WarmUp(LanguageNetwork model, Data.TokenIds tokens, long start, int streams, long streamLength, int window)
    {
        var cold = start == 0 ? 1 : 0; // the first stream of the text has nothing before it
        var warm = streams - cold;
        var length = (int)Math.Min(Math.Max(window, WarmUpTokens), start + cold * streamLength);
        if (warm == 0 || length == 0)
        {
            return null;
        }
        var inputs = new long[warm * length];
        var read = new int[length];
        for (var b = 0; b < warm; b++)
        {
            tokens.Read(start + (b + cold) * streamLength - length, read);
            for (var t = 0; t < length; t++)
            {
                inputs[b * length + t] = read[t];
            }
        }
        using var scope = NewDisposeScope();
        var (_, state) = model.call(tensor(inputs, new long[] { warm, length }), null);
        if (cold == 1)
        {
            var zeros = zeros_like(state.Hidden[.., ..1]);
            state = new RecurrentState(cat([zeros, state.Hidden], 1), state.Cell is { } c ? cat([zeros, c], 1) : null);
        }
        return state.MoveToOuterDisposeScope();
    }
}
