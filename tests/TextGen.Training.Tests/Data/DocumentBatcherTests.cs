using TextGen.Data;

namespace TextGen.Tests.Data;

public class DocumentBatcherTests
{
    private const int Start = 100, End = 101;

    [Fact]
    public void NoTrainingSequenceCrossesADocumentBoundary()
    {
        var random = new Random(4);
        var documents = Enumerable.Range(0, 37).Select(d =>
            new[] { Start }.Concat(Enumerable.Repeat(d, random.Next(1, 30))).Append(End).ToArray()).ToArray();
        var batcher = new DocumentBatcher(LineDocuments.FromArrays(documents), batchSize: 8, sequenceLength: 10, seed: 1);
        Assert.False(batcher.CarriesState);
        var inputs = new long[batcher.TokensPerStep];
        var targets = new long[batcher.TokensPerStep];
        var seenTargets = 0L;
        for (var epoch = 0; epoch < 2; epoch++)
            for (var step = 0; step < batcher.StepsPerEpoch; step++)
            {
                batcher.Fill(epoch, step, inputs, targets);
                for (var row = 0; row < batcher.BatchSize; row++)
                {
                    var rowInputs = inputs.AsSpan(row * 10, 10).ToArray();
                    var rowTargets = targets.AsSpan(row * 10, 10).ToArray().Where(t => t != DocumentBatcher.Ignore).ToArray();
                    var content = rowInputs.Take(rowTargets.Length).Concat(rowTargets).Where(t => t < Start).Distinct().ToArray();
                    Assert.True(content.Length <= 1, $"row mixes documents {string.Join(",", content)}");
                    Assert.DoesNotContain((long)Start, rowTargets);                  // a start marker is never predicted mid-row
                    Assert.DoesNotContain((long)Start, rowInputs.Skip(1).Take(rowTargets.Length)); // and only ever opens a row
                    if (epoch == 0) seenTargets += rowTargets.Length;
                }
            }
        Assert.Equal(documents.Sum(d => d.Length - 1), seenTargets); // every target exactly once per epoch
    }

    [Fact]
    public void SequenceLengthShrinksToTheLongestDocument()
    {
        var batcher = new DocumentBatcher(LineDocuments.FromArrays([[Start, 1, 2, End], [Start, 3, End]]), batchSize: 64, sequenceLength: 100, seed: 1);
        Assert.Equal(3, batcher.SequenceLength);
        Assert.Equal(2, batcher.BatchSize);
    }
}
