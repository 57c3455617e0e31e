using TextGen.Data;

namespace TextGen.Tests.Data;

/// <summary>
/// Ranks of an mpirun fill their rows of every batch: together, exactly the batch one process fills, row for row,
/// in every epoch (whose offsets and shuffles are seeded alike), padding and fresh rows included.
/// </summary>
public class RowShareTests
{
    private static readonly int[] Stream = [.. Enumerable.Range(0, 2_000).Select(i => i * 7 % 97)];

    public static TheoryData<int> Ranks => new() { 2, 3, 4 };

    /// <summary>Each rank's (inputs, targets, fresh rows) for a step, laid side by side, against one process's.</summary>
    private static void AssertSharesMakeTheWhole(Func<RowShare, ITrainingBatches> make, int ranks)
    {
        var whole = make(RowShare.All);
        var parts = Enumerable.Range(0, ranks).Select(rank => make(new RowShare(rank, ranks))).ToArray();
        Assert.All(parts, part => Assert.Equal(whole.BatchSize / ranks, part.BatchSize));
        Assert.All(parts, part => Assert.Equal(whole.StepsPerEpoch, part.StepsPerEpoch));
        for (var epoch = 0; epoch < 3; epoch++)
        {
            for (var step = 0; step < whole.StepsPerEpoch; step++)
            {
                var (inputs, targets) = (new long[whole.TokensPerStep], new long[whole.TokensPerStep]);
                whole.Fill(epoch, step, inputs, targets);
                var fresh = whole.FreshRows?.ToArray();
                var (joinedInputs, joinedTargets, joinedFresh) = (new List<long>(), new List<long>(), new List<bool>());
                foreach (var part in parts)
                {
                    var (partInputs, partTargets) = (new long[part.TokensPerStep], new long[part.TokensPerStep]);
                    part.Fill(epoch, step, partInputs, partTargets);
                    joinedInputs.AddRange(partInputs);
                    joinedTargets.AddRange(partTargets);
                    if (part.FreshRows is { } rows) joinedFresh.AddRange(rows);
                }
                Assert.Equal(inputs, joinedInputs);
                Assert.Equal(targets, joinedTargets);
                if (fresh is not null) Assert.Equal(fresh, joinedFresh);
            }
        }
    }

    [Theory, MemberData(nameof(Ranks))]
    public void StreamRowsShareTheWholeBatch(int ranks) =>
        AssertSharesMakeTheWhole(share => new StreamBatcher(Stream, batchSize: 12, sequenceLength: 9, seed: 4, share), ranks);

    [Theory, MemberData(nameof(Ranks))]
    public void SegmentRowsShareTheWholeBatch(int ranks)
    {
        TokenIds[] texts = [Stream[..700], Stream[700..1_150], Stream[1_150..]];
        AssertSharesMakeTheWhole(share => new SegmentBatcher(texts, batchSize: 12, sequenceLength: 10, seed: 4, share: share), ranks);
    }

    [Theory, MemberData(nameof(Ranks))]
    public void DocumentRowsShareTheWholeBatch(int ranks)
    {
        var documents = LineDocuments.FromArrays([.. Enumerable.Range(0, 40).Select(d => Stream[(d * 37)..(d * 37 + 3 + d % 19)])]);
        AssertSharesMakeTheWhole(share => new DocumentBatcher(documents, batchSize: 12, sequenceLength: 8, seed: 4, share), ranks);
    }

    /// <summary>Ids whose reads are recorded: where a batcher looked.</summary>
    private sealed class RecordedIds(int[] ids) : TokenIds
    {
        public List<(long Start, int Length)> Reads { get; } = [];
        public override long Length => ids.Length;

        public override void Read(long start, Span<int> destination)
        {
            Reads.Add((start, destination.Length));
            ids.AsSpan((int)start, destination.Length).CopyTo(destination);
        }
    }

    [Fact]
    public void AStreamRankReadsOnlyItsOwnShareOfTheCorpus()
    {
        var ids = new RecordedIds(Stream);
        var batcher = new StreamBatcher(ids, batchSize: 4, sequenceLength: 10, share: new RowShare(1, 2));
        var (inputs, targets) = (new long[batcher.TokensPerStep], new long[batcher.TokensPerStep]);
        for (var step = 0; step < batcher.StepsPerEpoch; step++) batcher.Fill(step, inputs, targets);
        // Rank 1 of 2 holds streams 2 and 3 of 4: the second half of the corpus, and one target past it.
        var half = batcher.StepsPerEpoch * 10 * 2L;
        Assert.Equal(batcher.StepsPerEpoch * 2, ids.Reads.Count);
        Assert.All(ids.Reads, read => Assert.InRange(read.Start, half, 2 * half - 1));
        Assert.All(ids.Reads, read => Assert.InRange(read.Start + read.Length, half + 1, 2 * half + 1));
    }

    [Fact]
    public void FewerRowsThanRanksIsRefusedNamingTheFix()
    {
        var documents = LineDocuments.FromArrays([[1, 2, 3], [4, 5, 6]]);
        var refused = Assert.Throws<TextGenException>(() => new DocumentBatcher(documents, batchSize: 12, sequenceLength: 8, seed: 4, new RowShare(0, 3)));
        Assert.Contains("fewer than the 3 ranks", refused.Message);
        Assert.Contains("mpirun -n", refused.Message);
    }
}
