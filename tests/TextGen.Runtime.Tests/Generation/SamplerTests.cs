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
