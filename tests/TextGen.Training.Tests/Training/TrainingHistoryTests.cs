using System.Text.Json;
using TextGen.Persistence;
using TextGen.Tests.Cli;

namespace TextGen.Tests.Training;

/// <summary>The loss curve a model keeps, across resumed runs, and what `train --plot` and `info` make of it.</summary>
public class TrainingHistoryTests
{
    [Fact]
    public void TheModelKeepsTheWholeRunsCurveAndAResumedRunContinuesIt()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("periodic.txt", Corpora.Periodic());
        var output = dir.File("m.tgm");
        var first = SmallModels.Train(SmallModels.Request(corpus, output, epochs: 3));
        var firstCurve = TextModel.Load(output).Metadata.Training!.History;
        Assert.NotEmpty(firstCurve);
        Assert.Equal(first.Summary.Steps, firstCurve[^1].Step); // the curve runs to the end, not to the best save
        Assert.True(firstCurve.Zip(firstCurve.Skip(1)).All(p => p.First.Step < p.Second.Step && p.First.Seconds <= p.Second.Seconds));
        Assert.True(firstCurve[^1].ValLoss < firstCurve[0].ValLoss);

        var resumed = SmallModels.Train(SmallModels.Request(corpus, output, epochs: 6) with { Resume = true });
        var curve = TextModel.Load(output).Metadata.Training!.History;
        Assert.Equal(firstCurve, curve.Take(firstCurve.Count));
        Assert.Equal(resumed.Summary.Steps, curve[^1].Step);
    }

    [Fact]
    public void AVeryLongCurveIsThinnedKeepingItsEnds()
    {
        IReadOnlyList<TrainingPoint> curve = [];
        for (var step = 1; step <= 5000; step++) curve = TrainingPoint.Append(curve, new TrainingPoint(step, step, 1, 1, 0.01));
        Assert.InRange(curve.Count, TrainingPoint.MaxPoints / 2, TrainingPoint.MaxPoints);
        Assert.Equal(1, curve[0].Step);
        Assert.Equal(5000, curve[^1].Step);
    }

    [Fact]
    public void TrainPlotsTheCurveAndInfoDescribesTheModel()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("c.txt", Corpora.Prose(4));
        var model = dir.File("m.tgm");
        Assert.Equal(1, CliRunner.Run("train", corpus, "-o", model, "--plot", dir.File("curve.jpg")).ExitCode);
        Assert.False(File.Exists(model)); // refused before training

        var train = CliRunner.Run("train", corpus, "-o", model, "--epochs", "2", "--hidden", "16", "--seed", "1", "--plot", dir.File("curve.png"));
        Assert.Equal(0, train.ExitCode);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(dir.File("curve.png"))[..4]);

        var info = CliRunner.Run("info", "-m", model);
        Assert.Equal(0, info.ExitCode);
        Assert.Contains("network    2x16 lstm", info.Output);
        Assert.Contains("tokenizer  char, vocabulary", info.Output);
        Assert.Matches(@"training   c\.txt \([\d,]+ tokens\): ", info.Output);
        var json = JsonDocument.Parse(CliRunner.Run("info", "-m", model, "--json").Output).RootElement;
        Assert.Equal(16, json.GetProperty("hidden").GetInt32());
        Assert.True(json.GetProperty("training").GetProperty("history").GetArrayLength() > 0);
        Assert.Equal(1, CliRunner.Run("info", "-m", dir.File("missing.tgm")).ExitCode);
    }
}
