using System.Text.Json;
using TextGen.Persistence;
using TextGen.Training;

namespace TextGen.Tests.Training;

/// <summary>What a run shows and leaves while it trains: samples at each evaluation, and the models of the last evaluations.</summary>
public class WatchingARunTests
{
    [Fact]
    public void EachEvaluationGivesASampleOfTheWeightsItScored()
    {
        using var dir = new TempDirectory();
        var result = SmallModels.TrainPeriodic(dir, dir.File("m.tgm"));

        var history = TextModel.Load(result.ModelPath).Metadata.Training!.History;
        Assert.Equal(history.Select(p => (p.Step, p.ValLoss)), result.Samples.Select(s => (s.Step, s.ValLoss)));
        Assert.All(result.Samples, s => Assert.InRange(s.Text.Length, 1, new TrainingOptions().SampleLength));
        // Early on the model has not learned the period yet; at the end (near-zero loss) it writes it out.
        Assert.DoesNotContain("abcdefg\nabcdefg\n", result.Samples[0].Text, StringComparison.Ordinal);
        Assert.Contains("abcdefg\nabcdefg\nabcdefg\n", result.Samples[^1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void SamplesCanBeTurnedOffAndShortened()
    {
        using var dir = new TempDirectory();
        var request = SmallModels.Request(dir.Write("periodic.txt", Corpora.Periodic()), dir.File("m.tgm"), epochs: 2);

        Assert.Empty(SmallModels.Train(request with { Training = request.Training with { SampleLength = 0 } }).Samples);
        var shortOnes = SmallModels.Train(request with { Training = request.Training with { SampleLength = 5 } }).Samples;
        Assert.NotEmpty(shortOnes);
        Assert.All(shortOnes, s => Assert.InRange(s.Text.Length, 1, 5));
    }

    [Fact]
    public void RedirectedOutputShowsEachSampleUnderItsEvaluationAndJsonListsThem()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("periodic.txt", Corpora.Periodic());
        string[] shape = ["--hidden", "32", "--layers", "1", "--embedding", "8", "--batch-size", "8", "--seq-length", "16", "--seed", "1", "--epochs", "3", "--sample-length", "20"];

        var plain = Cli.CliRunner.Run(["train", corpus, "-o", dir.File("a.tgm"), .. shape]);
        var json = Cli.CliRunner.Run(["train", corpus, "-o", dir.File("b.tgm"), "--json", .. shape]);

        Assert.Equal(0, plain.ExitCode);
        var lines = plain.Error.Split('\n');
        var heading = Array.FindIndex(lines, l => l.StartsWith("  sample at step ", StringComparison.Ordinal));
        Assert.True(heading > 0, plain.Error);
        Assert.Contains(" · val ", lines[heading - 1]); // right under its evaluation's line
        Assert.StartsWith("  | ", lines[heading + 1]);
        using var document = JsonDocument.Parse(json.Output);
        var samples = document.RootElement.GetProperty("samples").EnumerateArray().ToList();
        Assert.NotEmpty(samples);
        Assert.All(samples, s => Assert.InRange(s.GetProperty("text").GetString()!.Length, 1, 20));
        Assert.True(samples[^1].GetProperty("step").GetInt64() > samples[0].GetProperty("step").GetInt64());
        Assert.True(samples[0].TryGetProperty("val_loss", out _));
    }

    [Fact]
    public void KeepLeavesTheLastEvaluationsModelsBesideTheBest()
    {
        using var dir = new TempDirectory();
        var output = dir.File("m.tgm");
        var request = SmallModels.Request(dir.Write("periodic.txt", Corpora.Periodic()), output, epochs: 6);

        var result = SmallModels.Train(request with { Training = request.Training with { Keep = 2 } });

        var history = result.Summary.History;
        Assert.True(history.Count > 2);
        var kept = KeptModels.Of(output);
        Assert.Equal([.. history.TakeLast(2).Reverse().Select(p => Path.GetFullPath(dir.File($"m-step{p.Step}.tgm")))], kept);
        foreach (var (path, point) in kept.Zip(history.TakeLast(2).Reverse()))
        {
            var model = TextModel.Load(path);
            Assert.Equal(point.ValLoss, model.Metadata.Training!.ValLoss);
            Assert.Equal(point.Step, model.Metadata.Training.Steps);
        }
        // The best model is what a run leaves for use, not its latest evaluation's.
        Assert.Equal(Path.GetFullPath(output), ModelDirectory.Newest(dir.Path));
    }

    [Fact]
    public void KeptModelsAreModelsForEveryCommand()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("periodic.txt", Corpora.Periodic());
        var output = dir.File("m.tgm");
        string[] shape = ["--hidden", "32", "--layers", "1", "--embedding", "8", "--batch-size", "8", "--seq-length", "16", "--seed", "1"];
        Assert.Equal(0, Cli.CliRunner.Run(["train", corpus, "-o", output, "--epochs", "2", "--keep", "1", .. shape]).ExitCode);
        var kept = Assert.Single(KeptModels.Of(output));

        Assert.Equal(0, Cli.CliRunner.Run(["info", "-m", kept]).ExitCode);
        Assert.Equal(0, Cli.CliRunner.Run(["sample", "-m", kept, "-l", "10", "--seed", "1"]).ExitCode);
        Assert.Equal(0, Cli.CliRunner.Run(["eval", "-m", kept, corpus]).ExitCode);
        var tuned = Cli.CliRunner.Run(["train", corpus, "-o", dir.File("tuned.tgm"), "--epochs", "1", "--from", kept, "--batch-size", "8", "--seq-length", "16"]);
        Assert.Equal(0, tuned.ExitCode);
        Assert.Equal(Path.GetFileName(kept), TextModel.Load(dir.File("tuned.tgm")).Metadata.TunedFrom!.Model);
    }
}
