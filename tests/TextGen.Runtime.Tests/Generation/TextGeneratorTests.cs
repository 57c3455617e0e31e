using TextGen.Generation;

namespace TextGen.Tests.Generation;

/// <summary>The one generation loop: rows of a batch behave as if each ran alone.</summary>
public class TextGeneratorTests(ProseModel model) : IClassFixture<ProseModel>
{
    private static readonly GenerationRequest[] Rows =
    [
        new("Call me", new SamplingOptions { Seed = 1, Length = 40 }),
        new("The whale, the whale", new SamplingOptions { Seed = 2, Length = 25, Temperature = 1.2 }),
        new("", new SamplingOptions { Seed = 3, Length = 0 }),
        new("I", new SamplingOptions { Seed = 4, Length = 60, StopSequences = [" "] }),
        new("Call me", new SamplingOptions { Seed = 5, Length = 30, Temperature = 0 }),
    ];

    [Fact]
    public void ABatchOfDifferentPromptsGivesEveryRowWhatItGetsAlone()
    {
        var together = model.Generator.Complete(Rows);
        for (var i = 0; i < Rows.Length; i++)
        {
            var alone = model.Generator.Complete(Rows[i].Prompt, Rows[i].Options);
            Assert.Equal(alone, together[i]);
        }
    }

    [Fact]
    public void EveryRowReportsItsOwnFinishReasonAndTokenCounts()
    {
        var results = model.Generator.Complete(Rows);
        Assert.Equal((FinishReason.Length, 40), (results[0].Finish, results[0].CompletionTokens));
        Assert.Equal((FinishReason.Length, 0, ""), (results[2].Finish, results[2].CompletionTokens, results[2].Text));
        Assert.Equal(FinishReason.Stop, results[3].Finish); // a space comes long before 60 tokens of prose
        Assert.True(results[3].CompletionTokens < 60);
        Assert.DoesNotContain(" ", results[3].Text);
        Assert.Equal(model.Generator.EncodePrefix("The whale, the whale").Ids.Length, results[1].PromptTokens);
        Assert.Equal(model.Generator.EncodePrefix("I").Ids.Length, results[3].PromptTokens);
    }

    [Fact]
    public void UpdatesOfARowAddUpToItsTextAndEndWithOneFinish()
    {
        var texts = Rows.Select(_ => "").ToArray();
        var finishes = new int[Rows.Length];
        foreach (var update in model.Generator.Run(Rows))
        {
            Assert.True(finishes[update.Index] == 0, $"row {update.Index} went on after it finished");
            texts[update.Index] += update.Text;
            if (update.Finish is not null) finishes[update.Index]++;
        }
        Assert.All(finishes, f => Assert.Equal(1, f));
        Assert.Equal(model.Generator.Complete(Rows).Select(r => r.Text), texts);
    }

    [Fact]
    public void ManySamplesOfOnePromptUseSeedPlusIndex()
    {
        var options = new SamplingOptions { Seed = 10, Length = 30 };
        var many = model.Generator.GenerateMany("Call me", options, 3);
        Assert.Equal(model.Generator.Generate("Call me", options with { Seed = 12 }), many[2]);
        Assert.NotEqual(many[0], many[1]);
    }

    [Fact]
    public void ABatchTooLargeForItsLogitsIsRefusedBeforeAnyAllocation()
    {
        var vocabulary = model.Generator.Engine.VocabularySize;
        var rows = (int)((1L << 26) / vocabulary) + 1;
        var error = Assert.Throws<SettingException>(() => model.Generator.Complete(TextGenerator.Samples("a", new SamplingOptions { Length = 1 }, rows)));
        Assert.Equal("n", error.Setting);
        Assert.Contains("too many for one batch", error.Message);
    }

    [Fact]
    public void LogprobsReportEachGeneratedTokenAndItsLikeliestAlternatives()
    {
        var greedy = model.Generator.Run([new GenerationRequest("Call me", new SamplingOptions { Temperature = 0, Length = 30, Logprobs = 3 })]).ToArray();
        var tokens = greedy.Where(u => u.Logprob is not null).Select(u => u.Logprob!).ToArray();
        Assert.Equal(30, tokens.Length);
        Assert.Equal(string.Concat(greedy.Select(u => u.Text)), string.Concat(tokens.Select(t => t.Token)));
        foreach (var token in tokens)
        {
            Assert.Equal(3, token.Top.Count);
            Assert.True(token.Top[0].Logprob >= token.Top[1].Logprob && token.Top[1].Logprob >= token.Top[2].Logprob);
            Assert.Equal(token.Id, token.Top[0].Id); // greedy takes the likeliest
            Assert.InRange(token.Logprob, -50f, 0f);
        }
        var none = model.Generator.Run([new GenerationRequest("Call me", new SamplingOptions { Temperature = 0, Length = 5 })]);
        Assert.All(none, u => Assert.Null(u.Logprob));
        Assert.Throws<SettingException>(() => model.Generator.Run([new GenerationRequest("x", new SamplingOptions { Logprobs = 21 })]).ToArray());
    }
}

public class WarmUpTests(ProseModel model) : IClassFixture<ProseModel>
{
    [Fact]
    public void ASampleWithoutAPromptStartsFromAWarmedStateNotFromZero()
    {
        var options = new SamplingOptions { Length = 40, Temperature = 1 };
        var differ = 0;
        for (var seed = 1; seed <= 10; seed++)
        {
            // A prompt of one newline starts from the zero state; no prompt first writes, unseen, up to a line break.
            var cold = model.Generator.Complete("\n", options with { Seed = seed });
            var warm = model.Generator.Complete("", options with { Seed = seed });
            if (cold.Text != warm.Text) differ++;
            Assert.Equal(40, warm.CompletionTokens); // the warm-up is not part of the sample or its usage
            Assert.Equal(1, warm.PromptTokens);
            Assert.Equal(warm.Text, model.Generator.Generate("", options with { Seed = seed })); // same seed, same text
        }
        Assert.True(differ >= 8, $"only {differ} of 10 samples differ from the cold start");
    }
}
