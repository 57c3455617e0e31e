using TextGen.Generation;
using TextGen.Modeling;
using TextGen.Settings;
using TextGen.Tests.Cli;
using TextGen.Training;

namespace TextGen.Tests;

/// <summary>
/// A setting is declared once: the CLI refuses exactly what the library refuses, with the same words, and library
/// errors name settings, which the CLI turns into its flags.
/// </summary>
public class SettingsTests
{
    [Theory]
    [InlineData("layers", "17", "17 is out of range; use 1 to 16.")]
    [InlineData("dropout", "0.96", "0.96 is out of range; use 0 to 0.95.")]
    [InlineData("learning-rate", "0", "0 is out of range; use more than 0 up to 1, e.g. 0.002.")]
    [InlineData("val-fraction", "0.95", "0.95 is out of range; use more than 0 up to 0.9.")]
    public void TheCliRefusesWhatTheLibraryRefusesInTheSameWords(string setting, string value, string problem)
    {
        using var dir = new TempDirectory();
        var cli = CliRunner.Run("train", dir.Write("c.txt", Corpora.Prose(3)), "--" + setting, value, "--epochs", "1", "-o", dir.File("m.tgm"));
        Assert.Equal(ExitCodes.UsageError, cli.ExitCode);
        Assert.StartsWith($"textgen: --{setting} {problem.TrimEnd('.')}", cli.ErrorLine);

        var number = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        Action validate = setting switch
        {
            "layers" => () => new RecurrentNetConfig { Layers = (int)number, VocabularySize = 5 }.Validate(),
            "dropout" => () => new RecurrentNetConfig { Dropout = number, VocabularySize = 5 }.Validate(),
            "learning-rate" => () => new TrainingOptions { LearningRate = number, Epochs = 1 }.Validate(),
            _ => () => new TrainingOptions { ValidationFraction = number, Epochs = 1 }.Validate(),
        };
        var error = Assert.Throws<SettingException>(validate);
        Assert.Equal(setting, error.Setting);
        Assert.Equal(problem, error.Problem);
        Assert.Equal($"{setting} {problem}", error.Message); // no flag: a server or chatbot user never typed one
    }

    [Fact]
    public void AListIsCheckedElementByElement()
    {
        using var dir = new TempDirectory();
        var outcome = CliRunner.Run("sample", "--model", dir.File("none.tgm"), "--temperature", "0.5,200");
        Assert.Equal(ExitCodes.UsageError, outcome.ExitCode);
        Assert.StartsWith("textgen: --temperature 200 is out of range; use 0 to 100, e.g. 0.8 (see `textgen sample --help`)", outcome.ErrorLine);
    }

    [Fact]
    public void ALibraryRefusalReachesTheCliAsItsFlag()
    {
        // Each flag is in range; the library refuses the combination, naming its setting, which the CLI prints as the flag.
        using var dir = new TempDirectory();
        var outcome = CliRunner.Run("train", dir.Write("c.txt", Corpora.Prose(3)), "--freeze-embeddings", "--epochs", "1", "-o", dir.File("m.tgm"));
        Assert.Equal(ExitCodes.UserError, outcome.ExitCode);
        Assert.Equal("textgen: --freeze-embeddings keeps an embedding read from a file or a model fixed; pass --embeddings-from FILE or --from MODEL too.", outcome.ErrorLine);
    }

    [Fact]
    public void HelpShowsTheDeclaredDefaults()
    {
        var help = CliRunner.Run("sample", "--help").Output;
        var topP = Declared<SamplingOptions>.Named("top-p");
        Assert.Contains(topP.Description, help);
        Assert.Contains($"[default: {new SamplingOptions().Length}]", help);
        Assert.Contains("Default: random.", CliRunner.Run("train", "--help").Output); // a default the program picks, in words
    }
}
