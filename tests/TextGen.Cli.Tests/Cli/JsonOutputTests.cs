using System.Text.Json;

namespace TextGen.Tests.Cli;

/// <summary>`--json` prints exactly one JSON object with the documented fields.</summary>
public class JsonOutputTests
{
    [Fact]
    public void TrainEvalAndSamplePrintOneJsonObjectEach()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("periodic.txt", Corpora.Periodic());
        var model = dir.File("m.tgm");

        var train = CliRunner.Run("train", corpus, "-o", model, "--epochs", "20", "--layers", "1", "--hidden", "32",
            "--batch-size", "8", "--seq-length", "16", "--learning-rate", "0.01", "--seed", "3", "--json");
        Assert.Equal(0, train.ExitCode);
        using (var json = JsonDocument.Parse(train.Output))
        {
            var root = json.RootElement;
            foreach (var field in new[] { "model", "val_loss", "train_loss", "steps", "tokens_per_second", "parameters", "seconds" })
            {
                Assert.True(root.TryGetProperty(field, out _), $"train --json lacks {field}");
            }
            Assert.Equal(Path.GetFullPath(model), root.GetProperty("model").GetString());
            Assert.True(root.GetProperty("val_loss").GetDouble() < 0.1);
        }

        var eval = CliRunner.Run("eval", "--model", model, corpus, "--json");
        Assert.Equal(0, eval.ExitCode);
        using (var json = JsonDocument.Parse(eval.Output))
        {
            var root = json.RootElement;
            var loss = root.GetProperty("loss").GetDouble();
            Assert.Equal(loss / Math.Log(2), root.GetProperty("bits_per_token").GetDouble(), 9);
            Assert.Equal(Math.Exp(loss), root.GetProperty("perplexity").GetDouble(), 9);
            Assert.Equal(Corpora.Periodic().Length - 1, root.GetProperty("tokens").GetInt64());
        }

        var sample = CliRunner.Run("sample", "--model", model, "--prefix", "abc", "--temperature", "0", "--length", "12", "-n", "2", "--json");
        Assert.Equal(0, sample.ExitCode);
        using (var json = JsonDocument.Parse(sample.Output))
        {
            var samples = json.RootElement.GetProperty("samples").EnumerateArray().Select(s => s.GetString()!).ToArray();
            Assert.Equal(["abcdefg\nabcdefg", "abcdefg\nabcdefg"], samples);
        }
    }

    [Fact]
    public void SampleStreamsPrefixAndContinuationAsText()
    {
        using var dir = new TempDirectory();
        var result = SmallModels.TrainPeriodic(dir, dir.File("m.tgm"));
        var sample = CliRunner.Run("sample", "--model", result.ModelPath, "-p", "cdefg\nab", "-t", "0", "-l", "6");
        Assert.Equal(0, sample.ExitCode);
        Assert.Equal("cdefg\nabcdefg\n\n", sample.Output);
    }
}
