using TextGen.Generation;

namespace TextGen.Tests.Generation;

public class SamplerTests
{
    [Fact]
    public void TemperatureZeroIsArgMax()
    {
        float[] logits = [0.1f, 2.5f, -1f, 2.4f];
        for (var seed = 0; seed < 20; seed++)
        {
            Assert.Equal(1, Sampler.Next(logits, new SamplingOptions { Temperature = 0 }, new Random(seed), []));
        }
    }

    [Fact]
    public void LogProbabilitiesAreTheDistributionDrawnFromBeforeTheCut()
    {
        float[] logits = [0, (float)Math.Log(3), 1f, -2f];
        var options = new SamplingOptions { Temperature = 0.5, RepetitionPenalty = 2, TopK = 2 };
        var logprobs = new float[logits.Length];
        Sampler.LogProbabilities(logits, options, [2], logprobs);
        Assert.Equal(1, logprobs.Sum(l => Math.Exp(l)), 5);
        // Token 2's logit is halved by the penalty (it is recent), then every logit is divided by the temperature.
        double[] expected = [0 / 0.5, Math.Log(3) / 0.5, 0.5 / 0.5, -2 / 0.5];
        var log = Math.Log(expected.Sum(Math.Exp));
        for (var i = 0; i < logits.Length; i++) Assert.Equal(expected[i] - log, logprobs[i], 5);
        // The draws follow it within the top-2 cut: tokens 1 and 2 in the ratio of their probabilities.
        var random = new Random(3);
        var draws = Enumerable.Range(0, 20000).Select(_ => Sampler.Next(logits, options, random, [2])).ToArray();
        Assert.Equal(0, draws.Count(d => d is 0 or 3));
        var share = Math.Exp(logprobs[1]) / (Math.Exp(logprobs[1]) + Math.Exp(logprobs[2]));
        Assert.InRange(draws.Count(d => d == 1) / 20000.0, share - 0.01, share + 0.01);
        // A tiny temperature floors the unlikely tokens at a finite value.
        Sampler.LogProbabilities(logits, new SamplingOptions { Temperature = 1e-30 }, [], logprobs);
        Assert.All(logprobs, l => Assert.True(float.IsFinite(l) && l >= Sampler.MinLogProbability));
        // Temperature 0 takes the likeliest; its log-probabilities are the model's (temperature 1).
        Sampler.LogProbabilities(logits, new SamplingOptions { Temperature = 0 }, [], logprobs);
        Assert.Equal(Math.Log(3) - Math.Log(1 + 3 + Math.E + Math.Exp(-2)), logprobs[1], 5);
    }

    [Fact]
    public void DrawsFollowTheSoftmaxProbabilities()
    {
        float[] logits = [0, (float)Math.Log(3)]; // probabilities 1/4 and 3/4
        var random = new Random(1);
        var ones = Enumerable.Range(0, 20000).Count(_ => Sampler.Next(logits, new SamplingOptions { Temperature = 1 }, random, []) == 1);
        Assert.InRange(ones / 20000.0, 0.74, 0.76);
    }

    [Fact]
    public void LowTemperatureSharpensTheDistribution()
    {
        float[] logits = [0, 1];
        var random = new Random(2);
        var ones = Enumerable.Range(0, 5000).Count(_ => Sampler.Next(logits, new SamplingOptions { Temperature = 0.1 }, random, []) == 1);
        Assert.True(ones > 4990, $"{ones} of 5000");
    }
}
