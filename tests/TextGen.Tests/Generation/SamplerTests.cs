using TextGen.Generation;
using TextGen.Persistence;
using static TorchSharp.torch;

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

    [Fact]
    public void GeneratorAtTemperatureZeroFollowsTheNetworksArgMax()
    {
        using var dir = new TempDirectory();
        var result = SmallModels.Train(SmallModels.Request(dir.Write("prose.txt", Corpora.Prose(5)), dir.File("m.tgm"), epochs: 2));
        using var model = TrainableModel.Load(result.ModelPath);
        var generator = new TextGenerator(model.ForGeneration());
        var generated = generator.Generate("Call me", new SamplingOptions { Temperature = 0, Length = 30 });

        // Recompute greedily with whole-sequence forward passes, no carried state.
        var ids = model.Tokenizer.Encode("Call me").Ids.ToList();
        for (var i = 0; i < 30; i++)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var (logits, _) = model.Network.call(tensor(ids.Select(t => (long)t).ToArray(), new long[] { 1, ids.Count }), null);
            ids.Add((int)logits[0, -1].argmax().item<long>());
        }
        Assert.Equal(model.Tokenizer.Decode(ids.Skip(7)), generated);
    }
}
