using TextGen.Modeling;
using TextGen.Training;

namespace TextGen.Tests.Training;

public class ModelSizingTests
{
    private static readonly RecurrentNetConfig Characters = new() { VocabularySize = 65 };
    private const long OneMegabyte = 1_000_000;

    /// <summary>The 2x256 training speed of the machine the thresholds were measured on (`textgen bench`, 20-22k).</summary>
    private const double MeasuredMachine = 21_000;

    private static int Width(TimeSpan? time, long trainTokens, int? epochs = null, double tokensPerSecond = MeasuredMachine) =>
        ModelSizing.ChooseWidth(Characters, new TrainingOptions { MaxTime = time, Epochs = epochs }, trainTokens, time is null ? null : tokensPerSecond);

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(10)]
    public void MinutesOnAMegabyteKeepTheMeasuredBestWidth(int minutes) =>
        Assert.Equal(256, Width(TimeSpan.FromMinutes(minutes), OneMegabyte));

    [Fact]
    public void WidthGrowsWithTheBudgetOnALargeCorpus()
    {
        var widths = new[] { 1, 5, 20, 60, 240, 1200 }.Select(m => Width(TimeSpan.FromMinutes(m), 100 * OneMegabyte)).ToArray();

        Assert.Equal(widths.Order(), widths);
        Assert.Equal(256, widths[0]);
        Assert.Equal(384, widths[2]); // measured on 10 M characters in 20 minutes: see docs/training.md
        Assert.True(widths[^1] >= 768, string.Join(", ", widths));
    }

    [Fact]
    public void OnlyALargerCorpusLetsALongBudgetWidenTheModel()
    {
        var day = TimeSpan.FromHours(24);
        Assert.Equal(256, Width(day, 200_000));
        Assert.Equal(256, Width(day, OneMegabyte));
        Assert.True(Width(day, 10 * OneMegabyte) > 256);
        Assert.True(Width(day, 1000 * OneMegabyte) > Width(day, 10 * OneMegabyte));
    }

    [Fact]
    public void AnEpochBudgetCountsTokensWithoutATimeEstimate()
    {
        Assert.Equal(256, Width(null, OneMegabyte, epochs: 2));
        Assert.Equal(1024, Width(null, 100 * OneMegabyte, epochs: 1)); // 100 M tokens: 7.8 per weight of 2x1024
        Assert.Equal(Width(TimeSpan.FromMinutes(5), 100 * OneMegabyte), Width(TimeSpan.FromMinutes(5), 100 * OneMegabyte, epochs: 1));
    }

    [Fact]
    public void TheEstimateCarriesTheMeasuredSpeedOverToWiderLayers()
    {
        Assert.Equal(MeasuredMachine, ModelSizing.EstimatedTokensPerSecond(Characters with { Hidden = 256 }, MeasuredMachine), 6);
        var wide = Characters with { Hidden = 512 };
        var achievedAtBase = MeasuredMachine * TextGen.Benchmarking.FlopCount.TrainingPerToken(Characters with { Hidden = 256 });
        var expected = achievedAtBase * Math.Pow(2, 0.3) / TextGen.Benchmarking.FlopCount.TrainingPerToken(wide);
        Assert.Equal(expected, ModelSizing.EstimatedTokensPerSecond(wide, MeasuredMachine), 6);
        Assert.Equal(2 * ModelSizing.EstimatedTokensPerSecond(wide, MeasuredMachine), ModelSizing.EstimatedTokensPerSecond(wide, 2 * MeasuredMachine), 6);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(20)]
    [InlineData(60)]
    [InlineData(240)]
    public void HalfOrTwiceTheMachineCountsLikeHalfOrTwiceTheTime(int minutes)
    {
        var time = TimeSpan.FromMinutes(minutes);
        var corpus = 100 * OneMegabyte;
        Assert.Equal(Width(time / 2, corpus), Width(time, corpus, tokensPerSecond: MeasuredMachine / 2));
        Assert.Equal(Width(time * 2, corpus), Width(time, corpus, tokensPerSecond: MeasuredMachine * 2));
        Assert.True(Width(time, corpus, tokensPerSecond: MeasuredMachine / 2) <= Width(time, corpus));
        Assert.True(Width(time, corpus, tokensPerSecond: MeasuredMachine * 2) >= Width(time, corpus));
    }

    [Fact]
    public void OnTenMegabytesAHalfAsFastMachineWidensLessAndATwiceAsFastOneMore()
    {
        var twentyMinutes = TimeSpan.FromMinutes(20);
        Assert.Equal(384, Width(twentyMinutes, 10 * OneMegabyte)); // measured: 2x384 beat 2x256 there
        Assert.Equal(320, Width(twentyMinutes, 10 * OneMegabyte, tokensPerSecond: MeasuredMachine / 2));
        Assert.Equal(384, Width(twentyMinutes, 10 * OneMegabyte, tokensPerSecond: MeasuredMachine * 2));
        var oneHour = TimeSpan.FromHours(1);
        Assert.Equal(384, Width(oneHour, 10 * OneMegabyte, tokensPerSecond: MeasuredMachine / 2));
        Assert.Equal(512, Width(oneHour, 10 * OneMegabyte));
        var twoHours = TimeSpan.FromHours(2);
        Assert.Equal(512, Width(twoHours, 10 * OneMegabyte));
        Assert.Equal(768, Width(twoHours, 10 * OneMegabyte, tokensPerSecond: MeasuredMachine * 2));
    }

    [Fact]
    public void OnlyATimeBudgetOnACorpusLargeEnoughToWidenNeedsTheMachinesSpeed()
    {
        var fiveMinutes = new TrainingOptions { MaxTime = TimeSpan.FromMinutes(5) };
        Assert.False(ModelSizing.NeedsThroughput(Characters, fiveMinutes, OneMegabyte)); // 2x320 has more weights than 1 MB has characters
        Assert.Equal(256, ModelSizing.ChooseWidth(Characters, fiveMinutes, OneMegabyte, null));
        Assert.False(ModelSizing.NeedsThroughput(Characters, new TrainingOptions { Epochs = 3 }, 100 * OneMegabyte));
        Assert.True(ModelSizing.NeedsThroughput(Characters, fiveMinutes, 100 * OneMegabyte));
        Assert.Throws<ArgumentException>(() => ModelSizing.ChooseWidth(Characters, fiveMinutes, 100 * OneMegabyte, null));
    }

    [Fact]
    public void ASessionAskedToChooseFitsTheWidthAtCharacterLevelOnly()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("prose.txt", Corpora.Prose(5));
        var request = SmallModels.Request(corpus, dir.File("m.tgm")) with { ChooseWidth = true };

        using (var chosen = TrainingSession.Prepare(request))
        {
            Assert.True(chosen.WidthChosen);
            Assert.Equal(ModelSizing.ChooseWidth(chosen.Network, chosen.Options, chosen.TrainTokens, chosen.MeasuredBaseThroughput), chosen.Network.Hidden);
        }
        using (var given = TrainingSession.Prepare(request with { ChooseWidth = false }))
        {
            Assert.False(given.WidthChosen);
            Assert.Equal(32, given.Network.Hidden);
        }
        using var words = TrainingSession.Prepare(request with { Level = "word" });
        Assert.False(words.WidthChosen);
        Assert.Equal(32, words.Network.Hidden);
    }
}
