using TextGen.Persistence;

namespace TextGen.Inference;

/// <summary>
/// The precision generation runs in, and why. <see cref="GenerationPrecision.Auto"/> takes int8 where it is both fast
/// (AVX-VNNI) and as good: the model must record that int8 scored within <see cref="Tolerance"/> nats per token of
/// fp32 on held-out text when it was trained (<see cref="Measure"/>). Seeds repeat within one precision, not across.
/// </summary>
public sealed record PrecisionChoice(GenerationPrecision Precision, string Reason)
{
    /// <summary>The precision as flags and reports spell it: fp32 or int8.</summary>
    public string Name => Precision.ToString().ToLowerInvariant();

    /// <summary>The most int8 may cost, in nats per token of held-out text, for Auto to take it.</summary>
    public const double Tolerance = 0.01;

    public static PrecisionChoice Resolve(GenerationPrecision requested, ModelMetadata metadata) => requested switch
    {
        GenerationPrecision.Fp32 => new(GenerationPrecision.Fp32, "as asked"),
        GenerationPrecision.Int8 => new(GenerationPrecision.Int8, Int8Matrix.IsAccelerated ? "as asked" : "as asked; without AVX-VNNI it is slower than fp32"),
        _ when !Int8Matrix.IsAccelerated => new(GenerationPrecision.Fp32, "auto: this CPU has no AVX-VNNI to make int8 fast"),
        _ => metadata.Training?.Int8 switch
        {
            { Tokens: > 0 } check when double.IsFinite(check.Difference) && check.Difference <= Tolerance =>
                new(GenerationPrecision.Int8, $"auto: int8 scored {Signed(check.Difference)} nats/token against fp32 on {check.Tokens:N0} held-out tokens"),
            { Tokens: > 0 } check when double.IsFinite(check.Difference) =>
                new(GenerationPrecision.Fp32, $"auto: int8 cost {check.Difference:F4} nats/token on held-out tokens, more than {Tolerance}"),
            _ => new(GenerationPrecision.Fp32, "auto: the model records no int8 check (trained before it was measured); --precision int8 uses it anyway"),
        },
    };

    /// <summary>+0.0030 or -0.0004; a difference that rounds to zero is +0.0000 (a custom format writes "-+0.0000" for it).</summary>
    private static string Signed(double difference)
    {
        var rounded = Math.Round(difference, 4);
        return (rounded == 0 ? 0.0 : rounded).ToString("+0.0000;-0.0000", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Streams of at most this many tokens, this many of them, make up the check: a few thousand tokens, about a second.</summary>
    public const int StreamLength = 256, Streams = 16;

    /// <summary>
    /// The mean cross-entropy of <paramref name="streams"/> (held-out token ids, each read from a fresh state) through
    /// the engine in fp32 and in int8. Integer sums are exact, so the result is the same on CPUs without VNNI.
    /// </summary>
    public static Int8LossCheck Measure(LanguageModelWeights weights, IReadOnlyList<int[]> streams)
    {
        var fp32 = new InferenceEngine(weights, GenerationPrecision.Fp32);
        var int8 = new InferenceEngine(weights, GenerationPrecision.Int8);
        double fp32Nats = 0, int8Nats = 0;
        long tokens = 0;
        foreach (var batch in streams.Where(s => s.Length >= 2).GroupBy(s => s.Length).SelectMany(g => g.Chunk(Streams)))
        {
            fp32Nats += Nats(fp32, batch);
            int8Nats += Nats(int8, batch);
            tokens += batch.Length * (batch[0].Length - 1L);
        }
        return tokens == 0 ? new Int8LossCheck(0, 0, 0) : new Int8LossCheck(fp32Nats / tokens, int8Nats / tokens, tokens);
    }

    /// <summary>The summed cross-entropy of predicting each stream's next token, all streams (of one length) stepped as one batch.</summary>
    private static double Nats(InferenceEngine engine, int[][] batch)
    {
        var (count, vocabulary) = (batch.Length, engine.VocabularySize);
        var state = engine.NewState(count);
        var logits = new float[count * vocabulary];
        var tokens = new int[count];
        var total = 0.0;
        for (var t = 0; t + 1 < batch[0].Length; t++)
        {
            for (var b = 0; b < count; b++) tokens[b] = batch[b][t];
            engine.Step(tokens, state, logits);
            for (var b = 0; b < count; b++)
            {
                var row = logits.AsSpan(b * vocabulary, vocabulary);
                var max = System.Numerics.Tensors.TensorPrimitives.Max(row);
                var sum = 0.0;
                foreach (var l in row) sum += Math.Exp(l - max);
                total += max + Math.Log(sum) - row[batch[b][t + 1]];
            }
        }
        return total;
    }
}
