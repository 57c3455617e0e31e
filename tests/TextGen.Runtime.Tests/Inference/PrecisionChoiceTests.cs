using TextGen.Inference;
using TextGen.Persistence;

namespace TextGen.Tests.Inference;

/// <summary>
/// --precision auto: int8 only where the CPU makes it fast and the model's recorded check says it is as good as fp32;
/// the check itself, measured on held-out streams through both engines.
/// </summary>
public class PrecisionChoiceTests(ProseModel shared) : IClassFixture<ProseModel>
{
    private ModelMetadata WithCheck(Int8LossCheck? check) =>
        shared.Generator.Metadata with { Training = (shared.Generator.Metadata.Training ?? new TrainingSummary()) with { Int8 = check } };

    [Fact]
    public void AutoTakesInt8OnlyWhenFastAndMeasuredAsGood()
    {
        var good = PrecisionChoice.Resolve(GenerationPrecision.Auto, WithCheck(new Int8LossCheck(1.5, 1.503, 4096)));
        var costly = PrecisionChoice.Resolve(GenerationPrecision.Auto, WithCheck(new Int8LossCheck(1.5, 1.52, 4096)));
        var unmeasured = PrecisionChoice.Resolve(GenerationPrecision.Auto, WithCheck(null));
        var hostile = PrecisionChoice.Resolve(GenerationPrecision.Auto, WithCheck(new Int8LossCheck(double.NaN, 1.5, 4096)));
        var empty = PrecisionChoice.Resolve(GenerationPrecision.Auto, WithCheck(new Int8LossCheck(0, 0, 0)));
        if (Int8Matrix.IsAccelerated)
        {
            Assert.Equal(GenerationPrecision.Int8, good.Precision);
            Assert.Contains("+0.0030 nats/token", good.Reason);
            Assert.Contains("-0.0020 nats/token", PrecisionChoice.Resolve(GenerationPrecision.Auto, WithCheck(new Int8LossCheck(1.5, 1.498, 4096))).Reason);
            Assert.Contains("scored +0.0000 nats/token", PrecisionChoice.Resolve(GenerationPrecision.Auto, WithCheck(new Int8LossCheck(1.5, 1.49999, 4096))).Reason);
            Assert.Equal(GenerationPrecision.Fp32, costly.Precision);
            Assert.Contains("cost 0.0200", costly.Reason);
        }
        else
        {
            Assert.All([good, costly], c => Assert.Equal(GenerationPrecision.Fp32, c.Precision));
            Assert.Contains("no AVX-VNNI", good.Reason);
        }
        Assert.All([unmeasured, hostile, empty], c => Assert.Equal(GenerationPrecision.Fp32, c.Precision));
        Assert.Equal(GenerationPrecision.Int8, PrecisionChoice.Resolve(GenerationPrecision.Int8, WithCheck(null)).Precision);
        Assert.Equal(GenerationPrecision.Fp32, PrecisionChoice.Resolve(GenerationPrecision.Fp32, WithCheck(new Int8LossCheck(1.5, 1.5, 4096))).Precision);
        Assert.Throws<ArgumentException>(() => new InferenceEngine(shared.Generator.Model.Weights, GenerationPrecision.Auto));
    }

    [Fact]
    public void TheCheckScoresHeldOutStreamsThroughBothEngines()
    {
        var ids = shared.Generator.Tokenizer.Encode(Corpora.Prose(8)).Ids;
        int[][] streams = [ids[..300], ids[300..600], ids[600..700], ids[700..701]]; // two lengths, and one too short to score
        var check = PrecisionChoice.Measure(shared.Generator.Model.Weights, streams);
        Assert.Equal(299 + 299 + 99, check.Tokens);

        // The same loss, stream by stream, from the engine's logits.
        var engine = shared.Generator.Engine;
        var (logits, nats) = (new float[engine.VocabularySize], 0.0);
        foreach (var stream in streams.Take(3))
        {
            var state = engine.NewState();
            for (var t = 0; t + 1 < stream.Length; t++)
            {
                engine.Step([stream[t]], state, logits);
                var max = logits.Max();
                nats += max + Math.Log(logits.Sum(l => Math.Exp(l - max))) - logits[stream[t + 1]];
            }
        }
        Assert.Equal(nats / check.Tokens, check.Fp32Loss, 1e-4);
        Assert.True(Math.Abs(check.Difference) < PrecisionChoice.Tolerance, $"int8 {check.Int8Loss:F4} vs fp32 {check.Fp32Loss:F4}");
        Assert.Equal(0, PrecisionChoice.Measure(shared.Generator.Model.Weights, []).Tokens);
    }
}
