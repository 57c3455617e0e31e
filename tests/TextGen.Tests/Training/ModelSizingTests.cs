using TextGen.Tokenization;
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

    [Fact]
    public void OnAMegabyteTheWidthGrowsWithTheBudgetUpTo384()
    {
        // Measured on 1 M characters (docs/training.md): in 5 minutes at twice MeasuredMachine's speed, 2x320 and 2x384
        // beat 2x256 in fp32, and 2x384 in bf16 (whose wider layers run faster); in 2 minutes 2x256 beat 2x320.
        Assert.Equal(256, Width(TimeSpan.FromMinutes(2), OneMegabyte));
        Assert.Equal(256, Width(TimeSpan.FromMinutes(5), OneMegabyte));
        Assert.Equal(320, Width(TimeSpan.FromMinutes(10), OneMegabyte));
        Assert.Equal(320, Width(TimeSpan.FromMinutes(5), OneMegabyte, tokensPerSecond: 2 * MeasuredMachine));
        Assert.Equal(384, ModelSizing.ChooseWidth(Characters, new TrainingOptions { MaxTime = TimeSpan.FromMinutes(5), Precision = TrainingPrecision.Bf16 }, OneMegabyte, 52_000));
        Assert.Equal(256, ModelSizing.ChooseWidth(Characters, new TrainingOptions { MaxTime = TimeSpan.FromMinutes(2), Precision = TrainingPrecision.Bf16 }, 1_100_000, 59_000));
        // 2x512 has more weights than twice the corpus's characters, whatever the budget.
        Assert.Equal(384, Width(TimeSpan.FromHours(24), OneMegabyte));
    }

    [Fact]
    public void WidthGrowsWithTheBudgetOnALargeCorpus()
    {
        var widths = new[] { 1, 5, 20, 60, 240, 1200 }.Select(m => Width(TimeSpan.FromMinutes(m), 100 * OneMegabyte)).ToArray();

        Assert.Equal(widths.Order(), widths);
        Assert.Equal(256, widths[0]);
        Assert.Equal(384, widths[2]);
        Assert.True(widths[^1] >= 768, string.Join(", ", widths));
    }

    [Fact]
    public void OnlyALargerCorpusLetsALongBudgetWidenTheModel()
    {
        var day = TimeSpan.FromHours(24);
        Assert.Equal(256, Width(day, 200_000));
        Assert.Equal(256, Width(day, 600_000)); // 2x320 has 1.3 M recurrent weights: more than twice 600 k characters
        Assert.Equal(320, Width(day, 700_000));
        Assert.True(Width(day, 3 * OneMegabyte) > Width(day, OneMegabyte));
        Assert.True(Width(day, 10 * OneMegabyte) > Width(day, 3 * OneMegabyte));
    }

    [Fact]
    public void AnEpochBudgetCountsTokensWithoutATimeEstimate()
    {
        Assert.Equal(256, Width(null, OneMegabyte, epochs: 2));
        Assert.Equal(1024, Width(null, 100 * OneMegabyte, epochs: 1)); // 100 M tokens: 7.8 per weight of 2x1024
        Assert.Equal(Width(TimeSpan.FromMinutes(5), 100 * OneMegabyte), Width(TimeSpan.FromMinutes(5), 100 * OneMegabyte, epochs: 1));
    }

    [Theory]
    [InlineData(TrainingPrecision.Fp32, 0)]
    [InlineData(TrainingPrecision.Bf16, 0.4)]
    public void TheEstimateCarriesTheMeasuredSpeedOverToWiderLayers(TrainingPrecision precision, double exponent)
    {
        Assert.Equal(MeasuredMachine, ModelSizing.EstimatedTokensPerSecond(Characters with { Hidden = 256 }, MeasuredMachine, precision), 6);
        var wide = Characters with { Hidden = 512 };
        var achievedAtBase = MeasuredMachine * TextGen.Benchmarking.FlopCount.TrainingPerToken(Characters with { Hidden = 256 });
        var expected = achievedAtBase * Math.Pow(2, exponent) / TextGen.Benchmarking.FlopCount.TrainingPerToken(wide);
        Assert.Equal(expected, ModelSizing.EstimatedTokensPerSecond(wide, MeasuredMachine, precision), 6);
        Assert.Equal(2 * ModelSizing.EstimatedTokensPerSecond(wide, MeasuredMachine, precision), ModelSizing.EstimatedTokensPerSecond(wide, 2 * MeasuredMachine, precision), 6);
    }

    [Fact]
    public void Bf16WidensSoonerThanFp32AtTheSameBaseSpeed()
    {
        // bf16's wider layers run closer to its peak: at the same 2x256 speed they get more tokens than fp32's.
        var threeHours = new TrainingOptions { MaxTime = TimeSpan.FromHours(3) };
        var fp32 = ModelSizing.ChooseWidth(Characters, threeHours with { Precision = TrainingPrecision.Fp32 }, 10 * OneMegabyte, MeasuredMachine);
        var bf16 = ModelSizing.ChooseWidth(Characters, threeHours with { Precision = TrainingPrecision.Bf16 }, 10 * OneMegabyte, MeasuredMachine);
        Assert.Equal(512, fp32);
        Assert.Equal(768, bf16);
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
        Assert.Equal(512, Width(twentyMinutes, 10 * OneMegabyte, tokensPerSecond: MeasuredMachine * 2));
        var tenMinutes = TimeSpan.FromMinutes(10);
        Assert.Equal(256, Width(tenMinutes, 10 * OneMegabyte, tokensPerSecond: MeasuredMachine / 2));
        Assert.Equal(320, Width(tenMinutes, 10 * OneMegabyte));
        var oneHour = TimeSpan.FromHours(1);
        Assert.Equal(512, Width(oneHour, 10 * OneMegabyte));
        var twoHours = TimeSpan.FromHours(2);
        Assert.Equal(512, Width(twoHours, 10 * OneMegabyte));
        Assert.Equal(768, Width(twoHours, 10 * OneMegabyte, tokensPerSecond: MeasuredMachine * 2));
    }

    [Fact]
    public void OnlyATimeBudgetOnACorpusLargeEnoughToWidenNeedsTheMachinesSpeed()
    {
        var fiveMinutes = new TrainingOptions { MaxTime = TimeSpan.FromMinutes(5) };
        Assert.False(ModelSizing.NeedsThroughput(Characters, fiveMinutes, 600_000)); // 2x320 has more than twice as many weights as 600 k characters
        Assert.Equal(256, ModelSizing.ChooseWidth(Characters, fiveMinutes, 600_000, null));
        Assert.True(ModelSizing.NeedsThroughput(Characters, fiveMinutes, OneMegabyte));
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
        using var words = TrainingSession.Prepare(request with { Level = TokenLevel.Word });
        Assert.False(words.WidthChosen);
        Assert.Equal(32, words.Network.Hidden);
    }
}
