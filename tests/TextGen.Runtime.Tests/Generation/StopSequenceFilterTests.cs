using TextGen.Generation;

namespace TextGen.Tests.Generation;

public class StopSequenceFilterTests
{
    [Fact]
    public void StopsBeforeTheStopTextAndNeverShowsIt()
    {
        var filter = new StopSequenceFilter(["END"]);
        var output = "";
        foreach (var piece in new[] { "a", "b", "c", "E", "N", "D", "x" })
        {
            output += filter.Push(piece);
            if (filter.Stopped) break;
        }
        Assert.True(filter.Stopped);
        Assert.Equal("abc", output);
    }

    [Fact]
    public void ReleasesHeldTextWhenItTurnsOutNotToBeAStop()
    {
        var filter = new StopSequenceFilter(["\n\n"]);
        Assert.Equal("one", filter.Push("one\n"[..3]));
        Assert.Equal("", filter.Push("\n"));
        Assert.Equal("\ntwo", filter.Push("two"));
        Assert.False(filter.Stopped);
        Assert.Equal("", filter.Flush());
    }

    [Fact]
    public void GeneratorStopsAtTheStopSequence()
    {
        using var dir = new TempDirectory();
        var generator = TextGenerator.Load(BigramModel.Write(dir.File("m.tgm"), Corpora.Periodic()));
        var options = new SamplingOptions { Temperature = 0, Length = 100, StopSequences = ["fg"] };
        Assert.Equal("de", generator.Generate("abc", options));
        Assert.Equal("de", string.Concat(generator.Stream("abc", options)));
        Assert.Equal(["de", "de"], generator.GenerateMany("abc", options, 2));
    }
}
