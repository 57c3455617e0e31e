using TextGen.Modeling;
using TextGen.Tokenization;
using TextGen.Training;

namespace TextGen.Tests.Training;

/// <summary>
/// What the width chooser promises, over a grid of budgets, corpora, machine speeds and precisions: its thresholds are
/// tuned in docs/training.md, and these tests hold whatever values they take.
/// </summary>
public class ModelSizingTests
{
    private static readonly RecurrentNetConfig Characters = new() { VocabularySize = 65 };
    private const double BaseSpeed = 20_000; // tokens/s of a 2x256 network: an ordinary 2-core machine

    private static readonly double[] Minutes = [1, 2, 5, 10, 20, 60, 240, 1440];
    private static readonly long[] CorpusTokens = [50_000, 200_000, 600_000, 1_000_000, 3_000_000, 10_000_000, 100_000_000, 1_000_000_000];
    private static readonly double[] Speeds = [BaseSpeed / 4, BaseSpeed / 2, BaseSpeed, 2 * BaseSpeed, 4 * BaseSpeed];
    private static readonly TrainingPrecision[] Precisions = [TrainingPrecision.Fp32, TrainingPrecision.Bf16];

    private static int Width(double minutes, long tokens, double speed = BaseSpeed, TrainingPrecision precision = TrainingPrecision.Fp32) =>
        ModelSizing.ChooseWidth(Characters, new TrainingOptions { MaxTime = TimeSpan.FromMinutes(minutes), Precision = precision }, tokens, speed);

    private static IEnumerable<(double Minutes, long Tokens, double Speed, TrainingPrecision Precision)> Grid() =>
        from m in Minutes from t in CorpusTokens from s in Speeds from p in Precisions select (m, t, s, p);

    [Fact]
    public void TheWidthIsOneOfTheOfferedOnesAndNeverBelowTheBase()
    {
        var offered = ModelSizing.WiderWidths.Append(ModelSizing.BaseWidth).ToHashSet();
        Assert.All(Grid(), g => Assert.Contains(Width(g.Minutes, g.Tokens, g.Speed, g.Precision), offered));
    }

    [Fact]
    public void MoreTimeAFasterMachineOrALargerCorpusNeverNarrowsTheModel()
    {
        foreach (var (minutes, tokens, speed, precision) in Grid())
        {
            var width = Width(minutes, tokens, speed, precision);
            Assert.True(Width(2 * minutes, tokens, speed, precision) >= width, $"twice the time of {minutes} min on {tokens:N0} tokens");
            Assert.True(Width(minutes, tokens, 2 * speed, precision) >= width, $"a machine twice {speed:N0} tokens/s, {minutes} min, {tokens:N0} tokens");
            Assert.True(Width(minutes, 2 * tokens, speed, precision) >= width, $"twice {tokens:N0} tokens in {minutes} min");
        }
    }

    [Fact]
    public void AMachineTwiceAsFastGetsWhatTwiceTheTimeWouldGet()
    {
        Assert.All(Grid(), g => Assert.Equal(Width(2 * g.Minutes, g.Tokens, g.Speed, g.Precision), Width(g.Minutes, g.Tokens, 2 * g.Speed, g.Precision)));
    }

    [Fact]
    public void AWiderModelAlwaysHasTheCorpusAndTheBudgetItsRuleAsksFor()
    {
        foreach (var (minutes, tokens, speed, precision) in Grid())
        {
            var chosen = Characters with { Hidden = Width(minutes, tokens, speed, precision) };
            if (chosen.Hidden == ModelSizing.BaseWidth) continue;
            var weights = chosen.RecurrentParameterCount();
            Assert.True(weights <= ModelSizing.ParametersPerCorpusToken * tokens, $"{chosen.Hidden} on {tokens:N0} tokens");
            var budget = ModelSizing.BudgetTokens(chosen, new TrainingOptions { MaxTime = TimeSpan.FromMinutes(minutes), Precision = precision }, tokens, speed);
            Assert.True(budget >= ModelSizing.TokensPerParameter * weights, $"{chosen.Hidden} in {minutes} min at {speed:N0} tokens/s");
        }
    }

    [Fact]
    public void ASmallCorpusKeepsTheBaseWidthWhateverTheBudget()
    {
        Assert.Equal(ModelSizing.BaseWidth, Width(60 * 24 * 365, 50_000, 4 * BaseSpeed));
        Assert.True(Width(60 * 24 * 365, 1_000_000_000, 4 * BaseSpeed) > ModelSizing.BaseWidth); // the budget alone does not widen it
    }

    [Fact]
    public void Bf16IsNeverNarrowerThanFp32AtTheSameBaseSpeed()
    {
        foreach (var (minutes, tokens, speed, _) in Grid())
        {
            Assert.True(Width(minutes, tokens, speed, TrainingPrecision.Bf16) >= Width(minutes, tokens, speed, TrainingPrecision.Fp32));
        }
    }

    [Fact]
    public void TheSpeedEstimateMatchesTheMeasurementAtTheBaseAndScalesWithTheMachine()
    {
        foreach (var precision in Precisions)
        {
            Assert.Equal(BaseSpeed, ModelSizing.EstimatedTokensPerSecond(Characters with { Hidden = ModelSizing.BaseWidth }, BaseSpeed, precision), 6);
            var widths = ModelSizing.WiderWidths.Prepend(ModelSizing.BaseWidth).ToArray();
            var estimates = widths.Select(w => ModelSizing.EstimatedTokensPerSecond(Characters with { Hidden = w }, BaseSpeed, precision)).ToArray();
            Assert.Equal(estimates.OrderDescending(), estimates); // wider layers train fewer tokens per second
            var wide = Characters with { Hidden = 512 };
            Assert.Equal(2 * ModelSizing.EstimatedTokensPerSecond(wide, BaseSpeed, precision), ModelSizing.EstimatedTokensPerSecond(wide, 2 * BaseSpeed, precision), 6);
        }
    }

    [Fact]
    public void AnEpochBudgetNeedsNoSpeedAndTakesTheSmallerOfTheTwoBudgets()
    {
        var epochs = new TrainingOptions { Epochs = 1 };
        Assert.False(ModelSizing.NeedsThroughput(Characters, epochs, 100_000_000));
        Assert.True(ModelSizing.ChooseWidth(Characters, epochs, 100_000_000, null) > ModelSizing.BaseWidth);
        var both = new TrainingOptions { Epochs = 1, MaxTime = TimeSpan.FromMinutes(5) };
        Assert.Equal(Width(5, 100_000_000), ModelSizing.ChooseWidth(Characters, both, 100_000_000, BaseSpeed)); // 5 minutes is the smaller budget
        Assert.Equal(ModelSizing.BaseWidth, ModelSizing.ChooseWidth(Characters, new TrainingOptions { Epochs = 1, MaxTime = TimeSpan.FromDays(30) }, 1_000_000, BaseSpeed));
    }

    [Fact]
    public void OnlyATimeBudgetOnACorpusLargeEnoughToWidenNeedsTheMachinesSpeed()
    {
        var fiveMinutes = new TrainingOptions { MaxTime = TimeSpan.FromMinutes(5) };
        Assert.False(ModelSizing.NeedsThroughput(Characters, fiveMinutes, 50_000));
        Assert.Equal(ModelSizing.BaseWidth, ModelSizing.ChooseWidth(Characters, fiveMinutes, 50_000, null));
        Assert.True(ModelSizing.NeedsThroughput(Characters, fiveMinutes, 100_000_000));
        Assert.Throws<ArgumentException>(() => ModelSizing.ChooseWidth(Characters, fiveMinutes, 100_000_000, null));
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
