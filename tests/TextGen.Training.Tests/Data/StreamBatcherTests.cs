using TextGen.Data;

namespace TextGen.Tests.Data;

public class StreamBatcherTests
{
    private static readonly int[] Tokens = Enumerable.Range(0, 101).ToArray();

    [Fact]
    public void TargetsAreTheInputsShiftedByOne()
    {
        var batcher = new StreamBatcher(Tokens, batchSize: 2, sequenceLength: 5);
        var inputs = new long[10];
        var targets = new long[10];
        for (var step = 0; step < batcher.StepsPerEpoch; step++)
        {
            batcher.Fill(step, inputs, targets);
            for (var i = 0; i < inputs.Length; i++)
            {
                Assert.Equal(inputs[i] + 1, targets[i]);
            }
        }
    }

    [Fact]
    public void EachStreamContinuesWhereItsPreviousWindowEnded()
    {
        var batcher = new StreamBatcher(Tokens, batchSize: 4, sequenceLength: 5);
        Assert.Equal(5, batcher.StepsPerEpoch); // 100 targets / (4 x 5)
        var inputs = new long[20];
        var targets = new long[20];
        var previousEnd = new long[4];
        for (var step = 0; step < batcher.StepsPerEpoch; step++)
        {
            batcher.Fill(step, inputs, targets);
            for (var b = 0; b < 4; b++)
            {
                if (step > 0) Assert.Equal(previousEnd[b], inputs[b * 5]);
                previousEnd[b] = targets[b * 5 + 4];
            }
        }
        batcher.Fill(0, inputs, targets);
        Assert.Equal([0L, 25, 50, 75], new[] { inputs[0], inputs[5], inputs[10], inputs[15] });
    }

    [Theory]
    [InlineData(1001, 64, 100, 10, 100)]  // shrink the batch first
    [InlineData(51, 64, 100, 1, 50)]      // then the sequence
    [InlineData(6501, 64, 100, 64, 100)]  // fits as asked
    public void FitShrinksBatchThenSequence(int tokens, int batch, int sequence, int expectBatch, int expectSequence)
    {
        Assert.Equal((expectBatch, expectSequence), StreamBatcher.Fit(tokens, batch, sequence, minimumSequence: 8));
    }

    [Fact]
    public void FitRefusesTextShorterThanTheMinimumSequence() => Assert.Null(StreamBatcher.Fit(8, 64, 100, minimumSequence: 8));

    [Fact]
    public void SplitKeepsTheLastFractionForValidation()
    {
        var split = TokenSplit.LastFraction(Enumerable.Range(0, 100).ToArray(), 0.1);
        Assert.Equal(90, split.Train.Length);
        Assert.Equal(Enumerable.Range(90, 10), split.Validation.ToArray());
    }
}

public class ValidationSampleTests
{
    [Fact]
    public void AHeldOutPartAboveTheCapIsScoredOnTheSameEvenlySpacedSampleEveryTime()
    {
        var tokens = Enumerable.Range(0, 4_000_000).ToArray(); // each token its own position
        var split = TokenSplit.LastFraction(tokens, 0.25);
        var sample = split.ValidationSample();
        Assert.Equal(TokenSplit.MaxValidationTokens, sample.Length);
        Assert.Equal(sample.ToArray(), split.ValidationSample().ToArray());
        var window = TokenSplit.MaxValidationTokens / TokenSplit.SampleWindows;
        var stride = split.Validation.Length / TokenSplit.SampleWindows;
        for (var w = 0; w < TokenSplit.SampleWindows; w++)
        {
            var stretch = sample.Slice(w * window, window).ToArray();
            Assert.Equal(3_000_000 + w * stride, stretch[0]); // evenly spaced through the held-out part
            Assert.Equal(Enumerable.Range(stretch[0], window), stretch); // contiguous
        }

        var small = TokenSplit.LastFraction(Enumerable.Range(0, 100_000).ToArray(), 0.1);
        Assert.Equal(small.Validation.ToArray(), small.ValidationSample().ToArray()); // under the cap: all of it
    }
}
