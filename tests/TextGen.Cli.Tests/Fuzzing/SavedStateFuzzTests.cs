using System.Globalization;
using System.Security.Cryptography;
using TextGen.Tests.Cli;

namespace TextGen.Tests.Fuzzing;

/// <summary>
/// Forecast model files and training checkpoints edited at random with the SHA-256 recomputed, as the text model files
/// are in CraftedModelFileTests: each loads, or is refused in one `textgen:` line; nothing else.
/// </summary>
public class SavedStateFuzzTests
{
    private static byte[] Edited(byte[] original, Random random)
    {
        var bytes = original[..^32];
        for (var edits = random.Next(1, 4); edits > 0; edits--)
        {
            var at = random.Next(2) == 0 ? random.Next(Math.Min(bytes.Length, 4096)) : random.Next(bytes.Length);
            bytes[at] = (byte)random.Next(256);
        }
        return [.. bytes, .. SHA256.HashData(bytes)];
    }

    private static void AssertOneLine(CliRunner.Outcome outcome)
    {
        Assert.True(outcome.ExitCode is 0 or 1, $"exit {outcome.ExitCode}: {outcome.Error}");
        if (outcome.ExitCode == 1)
        {
            // Training may have printed its plan before the checkpoint's contents were refused: the refusal is the last line.
            var lines = outcome.ErrorLine.Split('\n');
            Assert.StartsWith("textgen: ", lines[^1]);
            Assert.Single(lines, l => l.StartsWith("textgen: ", StringComparison.Ordinal));
            Assert.DoesNotContain("   at ", outcome.Error);
        }
    }

    [Fact]
    public void EditedForecastModelsPredictOrFailInOneLine()
    {
        using var dir = new TempDirectory();
        var csv = dir.Write("p.csv", "Date,Price\n" + string.Concat(Enumerable.Range(0, 120).Select(i =>
            $"{new DateTime(2020, 1, 1).AddDays(i):yyyy-MM-dd},{(100 + 5 * Math.Sin(i / 4.0)).ToString(CultureInfo.InvariantCulture)}\n")));
        var model = dir.File("f.tgm");
        Assert.Equal(0, CliRunner.Run("forecast", "train", csv, "-o", model, "--epochs", "2", "--window", "8", "--hidden", "8", "--seed", "1").ExitCode);
        var original = File.ReadAllBytes(model);
        var random = new Random(20261128);
        for (var round = 0; round < FuzzBudget.Rounds(40); round++)
        {
            File.WriteAllBytes(model, Edited(original, random));
            AssertOneLine(CliRunner.Run("forecast", "predict", "-m", model, "--steps", "3"));
        }
    }

    [Fact]
    public void EditedCheckpointsResumeOrFailInOneLine()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("c.txt", Corpora.Prose(3));
        var model = dir.File("m.tgm");
        string[] shape = ["--hidden", "16", "--embedding", "8", "--batch-size", "8", "--seq-length", "16", "-o", model, "--seed", "1"];
        Assert.Equal(0, CliRunner.Run(["train", corpus, "--epochs", "1", .. shape]).ExitCode);
        var checkpoint = model + ".ckpt";
        var original = File.ReadAllBytes(checkpoint);
        var random = new Random(20261129);
        for (var round = 0; round < FuzzBudget.Rounds(15); round++)
        {
            File.WriteAllBytes(checkpoint, Edited(original, random));
            AssertOneLine(CliRunner.Run(["train", corpus, "--epochs", "2", "--resume", .. shape]));
        }
    }
}
