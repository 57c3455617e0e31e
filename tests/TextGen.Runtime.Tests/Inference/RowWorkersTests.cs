using TextGen.Inference;

namespace TextGen.Tests.Inference;

/// <summary>
/// The helpers that split generation's products: every row of every product runs exactly once, whichever thread
/// claims it, with products following each other closely, posted from several threads at once, and after the
/// helpers have gone to sleep.
/// </summary>
public class RowWorkersTests
{
    [Fact]
    public void EveryRowOfEveryProductRunsExactlyOnce()
    {
        var random = new Random(3);
        for (var product = 0; product < 2000; product++)
        {
            var rows = random.Next(1, 3000);
            var counts = new int[rows];
            RowWorkers.Shared.Run(rows, (start, end) =>
            {
                for (var r = start; r < end; r++) Interlocked.Increment(ref counts[r]);
            });
            Assert.All(counts, c => Assert.Equal(1, c));
        }
    }

    [Fact]
    public void StreamsOnSeveralThreadsShareTheHelpersWithoutLosingRows()
    {
        var failures = 0;
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, stream =>
        {
            for (var product = 0; product < 500; product++)
            {
                var counts = new int[1000 + stream];
                RowWorkers.Shared.Run(counts.Length, (start, end) =>
                {
                    for (var r = start; r < end; r++) Interlocked.Increment(ref counts[r]);
                });
                if (counts.Any(c => c != 1)) Interlocked.Increment(ref failures);
            }
        });
        Assert.Equal(0, failures);
    }

    [Fact]
    public void SleepingHelpersWakeForTheNextProduct()
    {
        for (var round = 0; round < 3; round++)
        {
            Thread.Sleep(20); // past the helpers' spinning: they sleep
            var counts = new int[4096];
            RowWorkers.Shared.Run(counts.Length, (start, end) =>
            {
                for (var r = start; r < end; r++) Interlocked.Increment(ref counts[r]);
            });
            Assert.All(counts, c => Assert.Equal(1, c));
        }
    }

    [Fact]
    public void AFailingChunkIsThrownToTheCallerAndTheNextProductIsWhole()
    {
        for (var round = 0; round < 50; round++)
        {
            // Chunks fail from the front and from the back: on the caller's thread and on a helper's.
            var failAt = round % 2 == 0 ? 0 : 4000;
            var error = Assert.Throws<InvalidOperationException>(() => RowWorkers.Shared.Run(4096, (start, end) =>
            {
                if (start <= failAt && failAt < end) throw new InvalidOperationException("chunk failed");
                Thread.SpinWait(100);
            }));
            Assert.Equal("chunk failed", error.Message);
            var counts = new int[4096];
            RowWorkers.Shared.Run(counts.Length, (start, end) =>
            {
                for (var r = start; r < end; r++) Interlocked.Increment(ref counts[r]);
            });
            Assert.All(counts, c => Assert.Equal(1, c));
        }
    }
}
