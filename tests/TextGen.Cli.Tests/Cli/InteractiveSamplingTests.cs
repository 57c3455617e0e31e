using TextGen.Cli.Commands;
using TextGen.Generation;

namespace TextGen.Tests.Cli;

public class InteractiveSamplingTests
{
    [Fact]
    public void PicksByNumberTakesTheFirstOnEnterAndAppendsTypedText()
    {
        using var dir = new TempDirectory();
        var result = SmallModels.TrainPeriodic(dir, dir.File("m.tgm"));
        var generator = TextGenerator.Load(result.ModelPath);
        var output = new StringWriter();

        InteractiveSampling.Run(generator, "abc", new StringReader("1\n\nXY\nq\n"), output);

        var screen = output.ToString();
        Assert.Contains("1. d", screen);
        Assert.Matches(@"1\. d\s+\d{1,3}\.\d ?%", screen);
        Assert.EndsWith("abcdeXY" + Environment.NewLine, screen);
    }

    [Fact]
    public void EndOfInputEndsTheSession()
    {
        using var dir = new TempDirectory();
        var result = SmallModels.TrainPeriodic(dir, dir.File("m.tgm"));
        var generator = TextGenerator.Load(result.ModelPath);
        var output = new StringWriter();
        InteractiveSampling.Run(generator, "ab", new StringReader(""), output);
        Assert.EndsWith("ab" + Environment.NewLine, output.ToString());
    }
}
