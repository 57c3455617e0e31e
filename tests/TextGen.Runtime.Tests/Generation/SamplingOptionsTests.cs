using TextGen.Generation;

namespace TextGen.Tests.Generation;

public class SamplingOptionsTests
{
    [Fact]
    public void TopKOfOneIsArgMax()
    {
        float[] logits = [0.3f, 1.2f, 1.1f, -2f];
        var options = new SamplingOptions { Temperature = 5, TopK = 1 };
        for (var seed = 0; seed < 50; seed++)
        {
            Assert.Equal(1, Sampler.Next(logits, options, new Random(seed), []));
        }
    }

    [Fact]
    public void TopKNeverPicksOutsideTheKLikeliest()
    {
        float[] logits = [3f, 2.9f, 2.8f, 0f, 0f, 0f];
        var options = new SamplingOptions { Temperature = 10, TopK = 3 };
        var random = new Random(1);
        Assert.All(Enumerable.Range(0, 2000).Select(_ => Sampler.Next(logits, options, random, [])), t => Assert.InRange(t, 0, 2));
    }

    [Fact]
    public void TopPKeepsTheSmallestSetWithMassAtLeastP()
    {
        // Probabilities 0.5, 0.3, 0.15, 0.05: p = 0.8 keeps the first two (0.8), p = 0.81 the first three.
        double[] probabilities = [0.5, 0.3, 0.15, 0.05];
        var weights = probabilities.ToArray();
        var total = Sampler.Truncate(weights, 1, 0, 0.8);
        Assert.Equal(0.8, total, 12);
        Assert.Equal([0.5, 0.3, 0, 0], weights);
        weights = probabilities.ToArray();
        Sampler.Truncate(weights, 1, 0, 0.81);
        Assert.Equal([0.5, 0.3, 0.15, 0], weights);
        var logits = probabilities.Select(p => (float)Math.Log(p)).ToArray();
        var random = new Random(2);
        var picks = Enumerable.Range(0, 4000).Select(_ => Sampler.Next(logits, new SamplingOptions { Temperature = 1, TopP = 0.8 }, random, [])).ToArray();
        Assert.DoesNotContain(2, picks);
        Assert.InRange(picks.Count(p => p == 0) / 4000.0, 0.59, 0.66); // 0.5 / 0.8 = 0.625
    }

    [Fact]
    public void RepetitionPenaltyLowersRecentTokens()
    {
        float[] logits = [2f, 1.9f];
        Assert.Equal(0, Sampler.Next(logits, new SamplingOptions { Temperature = 0 }, new Random(1), [0]));
        Assert.Equal(1, Sampler.Next(logits, new SamplingOptions { Temperature = 0, RepetitionPenalty = 1.5 }, new Random(1), [0]));
    }

    [Fact]
    public void TemperaturesCycleAcrossSamplesAndSeedsAdvance()
    {
        var options = new SamplingOptions { Temperatures = [0.2, 1.0], Seed = 10 };
        Assert.Equal([0.2, 1.0, 0.2], Enumerable.Range(0, 3).Select(i => options.ForSample(i).Temperature));
        Assert.Equal([10, 11, 12], Enumerable.Range(0, 3).Select(i => options.ForSample(i).Seed!.Value));
    }

    [Theory]
    [InlineData(-1, 0, 1.0, 1.0)]
    [InlineData(1, -1, 1.0, 1.0)]
    [InlineData(1, 0, 0.0, 1.0)]
    [InlineData(1, 0, 1.0, 0.5)]
    public void OutOfRangeOptionsAreRefused(double temperature, int topK, double topP, double penalty) =>
        Assert.Throws<SettingException>(() => new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP, RepetitionPenalty = penalty }.Validate());
}
