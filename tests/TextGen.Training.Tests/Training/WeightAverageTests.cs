using TextGen.Modeling;
using TextGen.Persistence;
using TextGen.Training;
using static TorchSharp.torch;

namespace TextGen.Tests.Training;

public class WeightAverageTests
{
    [Fact]
    public void DecayGrowsFromShortAveragesToTheHorizon()
    {
        Assert.Equal(2.0 / 11, WeightAverage.DecayAfter(1), 12);
        Assert.Equal(1 - 1.0 / WeightAverage.HorizonSteps, WeightAverage.DecayAfter(100_000), 12);
        Assert.True(WeightAverage.DecayAfter(100) < WeightAverage.DecayAfter(200));
    }

    [Fact]
    public void AppliesTheHandComputedAverageAndRestoresTheLiveWeights()
    {
        using var layer = nn.Linear(2, 1, hasBias: false);
        var weight = layer.weight!;
        Set(weight, 1, 2);
        using var average = new WeightAverage(layer.parameters());
        Set(weight, 3, 6);
        average.Update();
        Set(weight, 5, 10);
        average.Update();

        double d1 = WeightAverage.DecayAfter(1), d2 = WeightAverage.DecayAfter(2);
        var first = (1 * d1 + 3 * (1 - d1)) * d2 + 5 * (1 - d2);
        using (average.Apply())
        {
            Assert.Equal(first, weight[0, 0].item<float>(), 5);
            Assert.Equal(2 * first, weight[0, 1].item<float>(), 5);
        }
        Assert.Equal(new float[] { 5, 10 }, weight.data<float>().ToArray());
    }

    [Fact]
    public void BytesCarryTheAverageIntoAnotherRunWithoutTouchingItsWeights()
    {
        var config = new RecurrentNetConfig { Layers = 1, Hidden = 8, Embedding = 4, VocabularySize = 5, Dropout = 0 };
        manual_seed(1);
        using var trained = new LanguageNetwork(config);
        using var average = new WeightAverage(trained.parameters());
        using (no_grad())
        {
            foreach (var p in trained.parameters())
            {
                p.add_(1);
            }
        }
        average.Update();
        var bytes = average.ToBytes(trained);
        byte[] expected;
        using (average.Apply())
        {
            expected = ModuleWeights.ToBytes(trained);
        }

        manual_seed(2);
        using var resumed = new LanguageNetwork(config);
        var live = ModuleWeights.ToBytes(resumed);
        using var restored = new WeightAverage(resumed.parameters());
        restored.Load(resumed, bytes, "test.ckpt");

        Assert.Equal(live, ModuleWeights.ToBytes(resumed));
        Assert.NotEqual(live, expected);
        using (restored.Apply())
        {
            Assert.Equal(expected, ModuleWeights.ToBytes(resumed));
        }
    }

    [Fact]
    public void TrainingEvaluatesAndSavesTheAveragedWeights()
    {
        using var dir = new TempDirectory();
        using var session = TrainingSession.Prepare(SmallModels.Request(dir.Write("prose.txt", Corpora.Prose(10)), dir.File("m.tgm"), epochs: 3));
        var result = session.Run();

        using var saved = TrainableModel.Load(result.ModelPath);
        Assert.Equal(result.Summary.ValLoss, session.Data.Evaluate(saved.Network).MeanNats, 6);
        var live = Checkpoint.Load(Checkpoint.PathFor(result.ModelPath));
        Assert.NotEqual(live.Weights, live.Average);
        Assert.Equal(ModuleWeights.ToBytes(saved.Network), live.Average);
    }

    private static void Set(Tensor weight, float a, float b)
    {
        using var _ = no_grad();
        weight.copy_(tensor(new[] { a, b }).reshape(1, 2));
    }
}
