using TextGen.Data;
using TextGen.Generation;
using TextGen.Modeling;
using TextGen.Persistence;
using TextGen.Training;

namespace TextGen.Tests.Training;

public class TrainingTests
{
    [Theory]
    [InlineData(CellType.Lstm)]
    [InlineData(CellType.Gru)]
    [InlineData(CellType.Rnn)]
    public void LearnsAPeriodicCorpusToNearZeroLossAndSamplesItBack(CellType cell)
    {
        using var dir = new TempDirectory();
        var result = SmallModels.TrainPeriodic(dir, dir.File("m.tgm"), cell);

        Assert.True(result.Summary.ValLoss < 0.05, $"validation loss {result.Summary.ValLoss}");
        var generator = TextGenerator.Load(result.ModelPath);
        var text = generator.Generate("abc", new SamplingOptions { Temperature = 0, Length = 21 });
        Assert.Equal("defg\nabcdefg\nabcdefg\n", text);
    }

    [Fact]
    public void SameSeedGivesTheSameModelAndSample()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("prose.txt", Corpora.Prose(10));
        var first = SmallModels.Train(SmallModels.Request(corpus, dir.File("a.tgm"), epochs: 3, seed: 11));
        var second = SmallModels.Train(SmallModels.Request(corpus, dir.File("b.tgm"), epochs: 3, seed: 11));

        Assert.Equal(first.Summary.ValLoss, second.Summary.ValLoss);
        var a = TextGenerator.Load(first.ModelPath);
        var b = TextGenerator.Load(second.ModelPath);
        var options = new SamplingOptions { Temperature = 1, Length = 200, Seed = 5 };
        Assert.Equal(a.Generate("Call", options), b.Generate("Call", options));
        Assert.NotEqual(a.Generate("Call", options), a.Generate("Call", options with { Seed = 6 }));
    }

    [Fact]
    public void KeepsTheBestModelAndWritesACheckpoint()
    {
        using var dir = new TempDirectory();
        var result = SmallModels.TrainPeriodic(dir, dir.File("m.tgm"));

        using var saved = TrainableModel.Load(result.ModelPath);
        Assert.Equal(result.Summary.ValLoss, saved.Metadata.Training!.ValLoss);
        // The saved weights' int8 check (for --precision auto), on held-out streams read from a fresh state.
        var int8 = saved.Metadata.Training.Int8!;
        Assert.InRange(int8.Tokens, 1, TokenSplit.MaxValidationTokens);
        Assert.True(double.IsFinite(int8.Fp32Loss) && double.IsFinite(int8.Int8Loss) && int8.Fp32Loss > 0, $"{int8}");
        Assert.True(File.Exists(Checkpoint.PathFor(result.ModelPath)));
        Assert.Equal(["m.tgm", "m.tgm.ckpt", "periodic.txt"], dir.Files());
    }

    [Fact]
    public void ResumeContinuesFromTheCheckpointWithOptimizerState()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("periodic.txt", Corpora.Periodic());
        var output = dir.File("m.tgm");
        var first = SmallModels.Train(SmallModels.Request(corpus, output, epochs: 3));
        var resumed = SmallModels.Train(SmallModels.Request(corpus, output, epochs: 30) with { Resume = true });

        Assert.True(resumed.Summary.Steps > first.Summary.Steps);
        Assert.Equal(first.Summary.Steps * 10, resumed.Summary.Steps);
        Assert.True(resumed.Summary.ValLoss < first.Summary.ValLoss);
        Assert.True(resumed.Summary.ValLoss < 0.05, $"validation loss after resume {resumed.Summary.ValLoss}");
    }

    [Theory]
    [InlineData("--cell", "gru", "--cell gru differs from the checkpoint's lstm")]
    [InlineData("--layers", "3", "--layers 3 differs from the checkpoint's")]
    [InlineData("--level", "word", "--level word differs from the checkpoint's char")]
    [InlineData("--documents", "lines", "--documents lines differs from the checkpoint's none")]
    [InlineData("--freeze-embeddings", "true", "--freeze-embeddings on differs from the checkpoint's off")]
    [InlineData("--embeddings-from", "glove.txt", "--embeddings-from initialises a new model's embedding; a resumed run continues the checkpoint's")]
    [InlineData("corpus", "other", "--resume needs the corpus the checkpoint was trained on")]
    public void ResumingWithSettingsThatContradictTheCheckpointIsRefusedInOneLine(string option, string value, string expected)
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("prose.txt", Corpora.Prose(6));
        var output = dir.File("m.tgm");
        string[] shape = ["--hidden", "32", "--embedding", "8", "--batch-size", "8", "--seq-length", "16", "-o", output, "--seed", "1"];
        Assert.Equal(0, Cli.CliRunner.Run(["train", corpus, "--epochs", "1", .. shape]).ExitCode);
        var before = File.ReadAllBytes(output);

        var resumeCorpus = option == "corpus" ? dir.Write("other.txt", Corpora.Prose(6).Replace("whale", "ship").Replace("Call", "Name")) : corpus;
        string[] extra = option == "corpus" ? [] : [option, value];
        var outcome = Cli.CliRunner.Run(["train", resumeCorpus, "--epochs", "2", "--resume", .. shape, .. extra]);
        Assert.Equal(1, outcome.ExitCode);
        Assert.StartsWith("textgen: " + expected, outcome.ErrorLine);
        Assert.Single(outcome.ErrorLine.Split('\n'));
        Assert.Equal(before, File.ReadAllBytes(output)); // the model is untouched
    }

    [Fact]
    public void AResumedRunCountsTheTimeOfEveryRunLikeItsSteps()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("periodic.txt", Corpora.Periodic());
        var output = dir.File("m.tgm");
        var first = SmallModels.Train(SmallModels.Request(corpus, output, epochs: 6));
        var resumed = SmallModels.Train(SmallModels.Request(corpus, output, epochs: 7) with { Resume = true });

        Assert.Equal(first.Summary.Steps * 7 / 6, resumed.Summary.Steps);
        // One more epoch took less time than the first six: the reported seconds must include them, as the steps do.
        Assert.True(resumed.Summary.Seconds > first.Summary.Seconds, $"{resumed.Summary.Seconds} s after resuming vs {first.Summary.Seconds} s before");
        using var saved = TextGen.Persistence.TrainableModel.Load(output);
        Assert.True(saved.Metadata.Training!.Seconds <= resumed.Summary.Seconds);
        Assert.True(saved.Metadata.Training.Seconds >= first.Summary.Seconds * 0.99 || saved.Metadata.Training.Steps <= first.Summary.Steps);
    }

    [Fact]
    public void CancellationStopsCleanlyAndKeepsAModel()
    {
        using var dir = new TempDirectory();
        using var session = TrainingSession.Prepare(SmallModels.Request(dir.Write("p.txt", Corpora.Periodic()), dir.File("m.tgm"), epochs: 1000));
        using var cancel = new CancellationTokenSource();
        var result = session.Run(new Progress(p => { if (p.Step == 20) cancel.Cancel(); }), cancel.Token);

        Assert.True(result.Cancelled);
        Assert.Equal(20, result.Summary.Steps);
        using var saved = TrainableModel.Load(result.ModelPath);
        Assert.Equal(20, saved.Metadata.Training!.Steps);
    }

    [Fact]
    public void ShortCorpusShrinksTheBatchWithAWarning()
    {
        using var dir = new TempDirectory();
        var request = SmallModels.Request(dir.Write("short.txt", "the quick brown fox jumps over the lazy dog\n"), dir.File("m.tgm"), epochs: 1)
            with
        { Training = new TrainingOptions { BatchSize = 64, SequenceLength = 100, Epochs = 1 } };
        using var session = TrainingSession.Prepare(request);

        Assert.Contains(session.Warnings, w => w.Contains("batch size 1"));
        Assert.True(session.Options.SequenceLength < 100);
        Assert.True(double.IsFinite(session.Run().Summary.ValLoss));
    }

    [Fact]
    public void EvaluationScoresEveryTokenOnceWhateverTheBatching()
    {
        using var dir = new TempDirectory();
        using var model = ProseModel(dir);
        var tokens = model.Tokenizer.Encode(Corpora.Prose(2)).Ids;

        var whole = Evaluator.Evaluate(model.Network, tokens, batchSize: 1, sequenceLength: tokens.Length);
        var batched = Evaluator.Evaluate(model.Network, tokens, batchSize: 1, sequenceLength: 7);
        Assert.Equal(tokens.Length - 1, whole.Tokens);
        Assert.Equal(whole.Tokens, batched.Tokens);
        Assert.Equal(whole.MeanNats, batched.MeanNats, 4);
        Assert.Equal(tokens.Length - 1, Evaluator.Evaluate(model.Network, tokens, batchSize: 5, sequenceLength: 7).Tokens);
    }

    [Fact]
    public void EachStreamIsScoredAfterReadingTheTextBeforeIt()
    {
        using var dir = new TempDirectory();
        using var model = ProseModel(dir);
        var tokens = model.Tokenizer.Encode(Corpora.Prose(2)).Ids;
        const int streams = 4, window = 9;

        // By hand: stream b covers targets [b*L, (b+1)*L), read from a zero state starting up to WarmUpTokens earlier.
        var streamLength = (tokens.Length - 1) / streams;
        var warmUp = Math.Min(Math.Max(window, Evaluator.WarmUpTokens), streamLength);
        double sum = 0;
        var scored = 0;
        for (var b = 0; b <= streams; b++)
        {
            var start = b * streamLength;
            var length = b < streams ? streamLength : tokens.Length - 1 - start;
            if (length == 0) continue;
            var from = Math.Max(0, start - warmUp);
            sum += ScoreFromZeroState(model.Network, tokens[from..(start + length + 1)], skip: start - from);
            scored += length;
        }

        var loss = Evaluator.Evaluate(model.Network, tokens, batchSize: streams, sequenceLength: window);
        Assert.Equal(tokens.Length - 1, scored);
        Assert.Equal(sum / scored, loss.MeanNats, 4);
    }

    private static TrainableModel ProseModel(TempDirectory dir) =>
        TrainableModel.Load(SmallModels.Train(SmallModels.Request(dir.Write("prose.txt", Corpora.Prose(5)), dir.File("m.tgm"), epochs: 2)).ModelPath);

    private static double ScoreFromZeroState(LanguageNetwork network, int[] tokens, int skip)
    {
        using var noGrad = TorchSharp.torch.no_grad();
        using var scope = TorchSharp.torch.NewDisposeScope();
        network.eval();
        var inputs = TorchSharp.torch.tensor(tokens[..^1].Select(t => (long)t).ToArray(), new long[] { 1, tokens.Length - 1 });
        var (logits, _) = network.call(inputs, null);
        var targets = TorchSharp.torch.tensor(tokens[(skip + 1)..].Select(t => (long)t).ToArray());
        var scoredLogits = logits[0, TorchSharp.torch.TensorIndex.Slice(skip)];
        return TorchSharp.torch.nn.functional.cross_entropy(scoredLogits, targets, reduction: TorchSharp.torch.nn.Reduction.Sum).item<float>();
    }

    private sealed class Progress(Action<TrainingProgress> onReport) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => onReport(value);
    }
}
