using TextGen.Generation;
using TextGen.Inference;
using TextGen.Persistence;
using static TorchSharp.torch;

namespace TextGen.Tests.Inference;

/// <summary>The managed engine generates what the TorchSharp module it was copied from predicts.</summary>
public class GreedyGenerationTests
{
    [Fact]
    public void GeneratorAtTemperatureZeroFollowsTheNetworksArgMax()
    {
        using var dir = new TempDirectory();
        var result = SmallModels.Train(SmallModels.Request(dir.Write("prose.txt", Corpora.Prose(5)), dir.File("m.tgm"), epochs: 2));
        using var model = TrainableModel.Load(result.ModelPath);
        var generator = new TextGenerator(model.ForGeneration(), GenerationPrecision.Fp32); // the reference libtorch is compared with
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
