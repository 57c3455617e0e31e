using System.Text;

namespace TextGen.Tests.Cli;

/// <summary>Every bad input gives one line naming the problem, a non-zero exit code, no stack trace and no stray files.</summary>
public class BadInputTests
{
    private static void AssertOneLineError(CliRunner.Outcome outcome, string expected)
    {
        Assert.True(outcome.ExitCode is 1 or 2, $"exit code {outcome.ExitCode}: a user error is 1 or 2 (70 is an internal error)");
        Assert.StartsWith("textgen: ", outcome.ErrorLine);
        Assert.DoesNotContain("internal error", outcome.ErrorLine);
        Assert.Contains(expected, outcome.ErrorLine);
        Assert.DoesNotContain('\n', outcome.ErrorLine);
        Assert.DoesNotContain("   at ", outcome.Error);
        Assert.Equal("", outcome.Output);
    }

    [Theory]
    [InlineData("--hidden", "abc")]
    [InlineData("--batch-size", "x")]
    [InlineData("--learning-rate", "fast")]
    public void TrainNamesTheOptionWhoseValueIsNotANumber(string option, string value)
    {
        using var dir = new TempDirectory();
        var outcome = CliRunner.Run("train", dir.Write("c.txt", "some text"), option, value, "-o", dir.File("out.tgm"));
        AssertOneLineError(outcome, $"{option} {value} is not a number");
        Assert.DoesNotContain("System.", outcome.ErrorLine);
    }

    [Theory]
    [InlineData("missing", "no such file")]
    [InlineData("directory", "holds no text files")]
    [InlineData("empty", "has no text")]
    [InlineData("binary", "binary")]
    [InlineData("latin1", "not valid UTF-8")]
    [InlineData("tiny", "too short")]
    public void TrainRefusesBadCorpora(string kind, string expected)
    {
        using var dir = new TempDirectory();
        var corpus = kind switch
        {
            "missing" => dir.File("none.txt"),
            "directory" => Directory.CreateDirectory(dir.File("sub")).FullName, // a folder means its text files, and this one has none
            "empty" => dir.Write("empty.txt", ""),
            "binary" => dir.WriteBytes("a.out", [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]),
            "latin1" => dir.WriteBytes("latin.txt", Encoding.Latin1.GetBytes("na\u00efve caf\u00e9 \u00e0 la cr\u00e8me br\u00fbl\u00e9e")),
            _ => dir.Write("tiny.txt", "hello world"),
        };
        var before = dir.Files();
        AssertOneLineError(CliRunner.Run("train", corpus, "--epochs", "1", "-o", dir.File("out.tgm")), expected);
        Assert.Equal(before, dir.Files());
    }

    [Theory]
    [InlineData("--layers", "0", "--layers")]
    [InlineData("--hidden", "-5", "--hidden")]
    [InlineData("--dropout", "1.5", "--dropout")]
    [InlineData("--batch-size", "0", "--batch-size")]
    [InlineData("--learning-rate", "-1", "--learning-rate")]
    [InlineData("--val-fraction", "0", "--val-fraction")]
    [InlineData("--epochs", "0", "--epochs")]
    [InlineData("--max-time", "soon", "--max-time")]
    [InlineData("--max-time", "99999999999h", "up to a year")]
    [InlineData("--cell", "transformer", "transformer")]
    [InlineData("--frobnicate", "1", "--frobnicate")]
    [InlineData("--level", "klingon", "klingon")]
    [InlineData("--vocab-size", "100", "use 256 to")]
    public void TrainRefusesBadOptionsBeforeAnyWork(string option, string value, string expected)
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("c.txt", Corpora.Prose(3));
        AssertOneLineError(CliRunner.Run("train", corpus, option, value, "-o", dir.File("out.tgm")), expected);
        Assert.Equal(["c.txt"], dir.Files());
    }

    [Fact]
    public void ANetworkTooWideForItsModelFileIsRefusedBeforeItIsAllocated()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("c.txt", Corpora.Prose(3));
        // 8192 x 16 LSTM layers: 8.6 billion weights, 34 GB to allocate, 137 GB of checkpoint.
        var text = CliRunner.Run("train", corpus, "--hidden", "8192", "--layers", "16", "-o", dir.File("out.tgm"));
        AssertOneLineError(text, "would not fit");
        Assert.Matches("use --hidden 10[0-9][0-9] or less", text.ErrorLine);
        var prices = dir.Write("p.csv", "date,price\n" + string.Concat(Enumerable.Range(0, 60).Select(i => $"2020-{i / 28 + 1:00}-{i % 28 + 1:00},{100 + i}\n")));
        AssertOneLineError(CliRunner.Run("forecast", "train", prices, "--hidden", "8192", "--layers", "16", "-o", dir.File("f.tgm")), "more than the");
        Assert.Equal(["c.txt", "p.csv"], dir.Files());
    }

    [Fact]
    public void ABudgetTooShortForOneStepStillSavesAModelAndSaysSo()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("c.txt", Corpora.Prose(3));
        var outcome = CliRunner.Run("train", corpus, "--max-time", "0.0000001s", "-o", dir.File("m.tgm"), "--json");
        Assert.Equal(0, outcome.ExitCode);
        using var json = System.Text.Json.JsonDocument.Parse(outcome.Output);
        Assert.Equal(0, json.RootElement.GetProperty("steps").GetInt64());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, json.RootElement.GetProperty("train_loss").ValueKind);
        using var saved = TextGen.Persistence.TrainableModel.Load(dir.File("m.tgm"));
        Assert.True(double.IsNaN(saved.Metadata.Training!.TrainLoss));
    }

    [Fact]
    public void TrainRefusesAnUnwritableModelPath()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("c.txt", Corpora.Prose(3));
        var blocker = dir.Write("file", "a file where a folder should be");
        AssertOneLineError(CliRunner.Run("train", corpus, "--epochs", "1", "-o", Path.Combine(blocker, "m.tgm")), "cannot write");
        AssertOneLineError(CliRunner.Run("train", corpus, "--epochs", "1", "-o", dir.File("model.bin")), ".tgm");
        Assert.Equal(["c.txt", "file"], dir.Files());
    }

    [Fact]
    public void ResumeWithoutACheckpointSaysSo()
    {
        using var dir = new TempDirectory();
        AssertOneLineError(CliRunner.Run("train", dir.Write("c.txt", Corpora.Prose(3)), "--resume", "--epochs", "1", "-o", dir.File("m.tgm")), "no checkpoint");
    }

    [Theory]
    [InlineData("missing", "no such model file")]
    [InlineData("corrupt", "not a TextGen model file")]
    [InlineData("truncated", "truncated or corrupt")]
    [InlineData("directory", "is a directory")]
    public void SampleAndEvalRefuseBadModels(string kind, string expected)
    {
        using var dir = new TempDirectory();
        var model = kind switch
        {
            "missing" => dir.File("none.tgm"),
            "corrupt" => dir.Write("junk.tgm", "definitely not a model"),
            "directory" => dir.Path,
            _ => Truncated(dir),
        };
        AssertOneLineError(CliRunner.Run("sample", "--model", model), expected);
        AssertOneLineError(CliRunner.Run("eval", "--model", model, dir.Write("c.txt", "some text")), expected);
    }

    [Theory]
    [InlineData("--length", "-1", "--length")]
    [InlineData("--temperature", "-0.5", "--temperature")]
    [InlineData("-n", "0", "-n")]
    [InlineData("--length", "many", "many")]
    public void SampleRefusesOutOfRangeValues(string option, string value, string expected)
    {
        AssertOneLineError(CliRunner.Run("sample", "--model", "whatever.tgm", option, value), expected);
    }

    [Fact]
    public void UnknownCommandIsAUsageError()
    {
        var outcome = CliRunner.Run("fly");
        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains("fly", outcome.ErrorLine);
    }

    private static string Truncated(TempDirectory dir)
    {
        var result = SmallModels.Train(SmallModels.Request(dir.Write("p.txt", Corpora.Periodic(50)), dir.File("good.tgm"), epochs: 1));
        var bytes = File.ReadAllBytes(result.ModelPath);
        return dir.WriteBytes("cut.tgm", bytes[..(bytes.Length - 100)]);
    }
}
