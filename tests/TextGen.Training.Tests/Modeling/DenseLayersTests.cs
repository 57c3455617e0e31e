using TextGen.Forecasting;
using TextGen.Generation;
using TextGen.Inference;
using TextGen.Modeling;
using TextGen.Persistence;
using TextGen.Tests.Cli;
using TextGen.Tests.Forecasting;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextGen.Tests.Modeling;

public class DenseLayersTests
{
    private static readonly RecurrentNetConfig Config = new()
    {
        Cell = CellType.Lstm,
        Layers = 2,
        Hidden = 40,
        Embedding = 8,
        VocabularySize = 23,
        Dense = [48, 20],
        BatchNorm = true,
        Dropout = 0.2,
    };

    /// <summary>A network whose batch normalisation has moved off its initial statistics, scale and shift, in eval mode.</summary>
    private static LanguageNetwork Trained(RecurrentNetConfig config)
    {
        manual_seed(9);
        var network = new LanguageNetwork(config);
        using (no_grad())
        {
            foreach (var (name, parameter) in network.named_parameters())
            {
                if (name.StartsWith("dense.norm")) parameter.uniform_(0.5, 1.5);
            }
            network.train();
            for (var i = 0; i < 5; i++) network.call(randint(0, config.VocabularySize, [16, 12]), null);
        }
        network.eval();
        return network;
    }

    [Fact]
    public void TheRuntimeEngineGivesLibtorchsLogitsWithBatchNormFoldedIn()
    {
        using var network = Trained(Config);
        var norm = network.modules().OfType<BatchNorm1d>().First();
        Assert.True(norm.running_var!.mean().item<float>() is < 0.9f or > 1.1f, "the running statistics moved"); // else folding them is not tested

        var engine = new InferenceEngine(network.ToWeights());
        var state = engine.NewState();
        var fast = new float[Config.VocabularySize];
        var random = new Random(3);
        RecurrentState? reference = null;
        using var noGrad = no_grad();
        for (var step = 0; step < 100; step++)
        {
            var token = random.Next(Config.VocabularySize);
            engine.Step([token], state, fast);
            using var scope = NewDisposeScope();
            var (logits, next) = network.call(tensor(new long[] { token }, new long[] { 1, 1 }), reference);
            reference?.Dispose();
            reference = next.MoveToOuterDisposeScope();
            var expected = logits.reshape(-1).data<float>().ToArray();
            for (var v = 0; v < expected.Length; v++)
            {
                Assert.True(Math.Abs(fast[v] - expected[v]) <= 1e-4 * Math.Max(1, Math.Abs(expected[v])), $"step {step}, token {v}: {fast[v]} vs libtorch {expected[v]}");
            }
        }
        reference?.Dispose();
    }

    [Fact]
    public void RunningStatisticsAreSavedWithTheWeightsUnderTheRuntimesNames()
    {
        using var network = Trained(Config);
        var own = ModuleWeights.ToStateDict(network);
        Assert.Equal(own.Keys.Order(), LanguageModelWeights.ExpectedShapes(Config).Keys.Order());
        var weights = LanguageModelWeights.From(StateDict.Read(ModuleWeights.ToBytes(network), "m.tgm"), Config, "m.tgm");
        Assert.Equal(own.Keys.Order(), weights.ToStateDict().Keys.Order());
        Assert.Equal(own["dense.norm.1.running_var"].Values, weights.Dense[1].Variance);

        using var copy = new LanguageNetwork(Config);
        ModuleWeights.Load(copy, ModuleWeights.ToBytes(network), "m.tgm");
        var loaded = copy.modules().OfType<BatchNorm1d>().Last();
        Assert.Equal(own["dense.norm.1.running_mean"].Values, loaded.running_mean!.data<float>().ToArray());
        Assert.Equal(Config.ParameterCount(), network.ParameterCount);
    }

    [Fact]
    public void ANegativeRunningVarianceInAFileIsRefused()
    {
        using var network = Trained(Config);
        var tensors = new Dictionary<string, FloatTensor>(ModuleWeights.ToStateDict(network));
        tensors["dense.norm.0.running_var"] = new FloatTensor([48], [.. Enumerable.Repeat(-1f, 48)]);
        var error = Assert.Throws<TextGenException>(() => LanguageModelWeights.From(tensors, Config, "m.tgm"));
        Assert.Contains("running variance", error.Message);
    }

    /// <summary>Evaluation scores the weight average with statistics gathered for it: a model that learned the corpus scores as well held out.</summary>
    [Fact]
    public void ATrainedModelWithBatchNormGeneratesWhatItLearned()
    {
        using var dir = new TempDirectory();
        var request = SmallModels.Request(dir.Write("periodic.txt", Corpora.Periodic()), dir.File("m.tgm"));
        var result = SmallModels.Train(request with { Network = request.Network with { Dense = [24], BatchNorm = true } });

        Assert.True(result.Summary.ValLoss < 0.1, $"val loss {result.Summary.ValLoss}");
        var model = TextModel.Load(dir.File("m.tgm"));
        Assert.Equal("defg\nabcdefg\n", new TextGenerator(model).Generate("abc", new SamplingOptions { Temperature = 0, Length = 13 }));
        Assert.Contains("dense 24 with batch norm", string.Join("\n", ModelSummary.Of(model).Lines()));
    }

    [Fact]
    public void AForecasterWithDenseLayersAndBatchNormTrainsAndReloads()
    {
        using var dir = new TempDirectory();
        var prices = Enumerable.Range(0, 300).Select(t => 50 + 5 * Math.Sin(t / 4.0)).ToArray();
        var data = PreparedSeries.Prepare(Series.Of(prices), new SeriesSettings { Diff = DiffMode.Abs, Window = 12 }, "sine");
        var network = new ForecastNetConfig { Hidden = 16, Dense = [16, 8], BatchNorm = true, Dropout = 0.1 };
        // 31 windows in batches of 10 leave a last batch of one row, which batch normalisation cannot take a variance of.
        using var model = ForecastTrainer.Train(data, network, new ForecastTrainingOptions { Epochs = 3, BatchSize = 10, Seed = 1 }, "sine");
        model.Save(dir.File("f.tgm"));
        using var loaded = ForecastModel.Load(dir.File("f.tgm"));
        Assert.Equal(Forecaster.Continue(model, 5).Select(f => f.Price), Forecaster.Continue(loaded, 5).Select(f => f.Price));
    }

    [Theory]
    [InlineData("--batch-norm", "--batch-norm normalises the dense layers, and there are none; add --dense WIDTHS, e.g. --dense 256.")]
    [InlineData("--dense 0", "--dense")]
    public void BadDenseFlagsAreRefusedInOneLine(string flags, string expected)
    {
        using var dir = new TempDirectory();
        var outcome = CliRunner.Run(["train", dir.Write("c.txt", Corpora.Periodic()), "--epochs", "1", "-o", dir.File("m.tgm"), .. flags.Split(' ')]);
        Assert.NotEqual(0, outcome.ExitCode);
        Assert.Contains(expected, outcome.ErrorLine);
        Assert.DoesNotContain("\n", outcome.ErrorLine);
    }
}
