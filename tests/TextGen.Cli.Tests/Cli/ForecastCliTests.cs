using System.Globalization;
using System.Text.Json;

namespace TextGen.Tests.Cli;

public class ForecastCliTests
{
    private static string SineCsv(TempDirectory dir, int rows = 400)
    {
        var lines = Enumerable.Range(0, rows).Select(t =>
            $"{new DateTime(2020, 1, 1).AddDays(t):yyyy-MM-dd},{(100 + 10 * Math.Sin(t / 3.0)).ToString(CultureInfo.InvariantCulture)}");
        return dir.Write("sine.csv", "Date,Price\n" + string.Join('\n', lines) + "\n");
    }

    [Fact]
    public void TrainEvalAndPredictWorkEndToEndWithJson()
    {
        using var dir = new TempDirectory();
        var csv = SineCsv(dir);
        var model = dir.File("f.tgm");

        var train = CliRunner.Run("forecast", "train", csv, "-o", model, "--window", "12", "--epochs", "10", "--seed", "1", "--json");
        Assert.Equal(0, train.ExitCode);
        string testReport;
        using (var json = JsonDocument.Parse(train.Output))
        {
            var root = json.RootElement;
            Assert.Equal("Price", root.GetProperty("column").GetString());
            Assert.Equal(400, root.GetProperty("rows").GetInt32());
            var windows = root.GetProperty("windows");
            Assert.Equal(root.GetProperty("test").GetProperty("test_points").GetInt32(), windows.GetProperty("test").GetInt32());
            testReport = root.GetProperty("test").GetRawText();
        }

        // The saved model scores the test part exactly as training reported it.
        var eval = CliRunner.Run("forecast", "eval", "--model", model, csv, "--json", "--plot", dir.File("plot.png"));
        Assert.Equal(0, eval.ExitCode);
        Assert.Equal(testReport, JsonDocument.Parse(eval.Output).RootElement.GetRawText());
        var png = File.ReadAllBytes(dir.File("plot.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);

        var predict = CliRunner.Run("forecast", "predict", "--model", model, "--steps", "3");
        Assert.Equal(0, predict.ExitCode);
        var lines = predict.Output.Trim().Split('\n');
        Assert.Equal("Date,Price", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith(new DateTime(2020, 1, 1).AddDays(400).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), lines[1]);
    }

    [Theory]
    [InlineData("Date,Price\n2024-01-01,1\n2024-01-01,2\n", "appears twice")]
    [InlineData("Date,A,B\n2024-01-01,1,2\n", "--column")]
    [InlineData("Date,Price\n2024-01-01,1\n2024-01-02,2\n", "too few")]
    public void BadCsvGivesOneLineErrorAndNoModel(string text, string expected)
    {
        using var dir = new TempDirectory();
        var outcome = CliRunner.Run("forecast", "train", dir.Write("bad.csv", text), "-o", dir.File("f.tgm"));
        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains(expected, outcome.ErrorLine);
        Assert.DoesNotContain('\n', outcome.ErrorLine);
        Assert.Equal(["bad.csv"], dir.Files());
    }

    [Fact]
    public void ATextModelIsNotAForecaster()
    {
        using var dir = new TempDirectory();
        var text = SmallModels.Train(SmallModels.Request(dir.Write("p.txt", Corpora.Periodic(50)), dir.File("t.tgm"), epochs: 1));
        var outcome = CliRunner.Run("forecast", "predict", "--model", text.ModelPath);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("is a text model", outcome.ErrorLine);
    }
}
