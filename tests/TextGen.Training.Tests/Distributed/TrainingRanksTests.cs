using TextGen.Distributed;

namespace TextGen.Tests.Distributed;

public class TrainingRanksTests
{
    [Fact]
    public void WithoutMpirunAProcessTrainsAloneAndLoadsNoMpiLibrary()
    {
        Assert.Null(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE"));
        var ranks = TrainingRanks.Join();
        Assert.Same(TrainingRanks.Single, ranks);
        Assert.Equal((0, 1, true), (ranks.Rank, ranks.Size, ranks.IsLeader));
        Span<double> values = [1.5, 2];
        ranks.SumInPlace(values);
        Assert.Equal([1.5, 2], values.ToArray());
        Assert.Equal(42, ranks.LeadersValue(42));
        ranks.Finish();
        Assert.DoesNotContain(File.ReadLines("/proc/self/maps"), line => line.Contains("libmpi", StringComparison.Ordinal));
    }

    [Fact]
    public void AnotherMpirunOfManyProcessesIsRefusedInOneLineAndOfOneIgnored()
    {
        try
        {
            Environment.SetEnvironmentVariable("PMI_SIZE", "2");
            var refused = Assert.Throws<TextGenException>(TrainingRanks.Join);
            Assert.Contains("Open MPI", refused.Message);
            Assert.DoesNotContain("\n", refused.Message);
            Environment.SetEnvironmentVariable("PMI_SIZE", "1"); // srun -n 1, a shell of Intel MPI's: one process is alone
            Assert.Same(TrainingRanks.Single, TrainingRanks.Join());
        }
        finally
        {
            Environment.SetEnvironmentVariable("PMI_SIZE", null);
        }
    }
}
