using TextGen.Benchmarking;

namespace TextGen.Tests.Benchmarking;

public class CpuTimeTests
{
    [Fact]
    public void AComputeBoundStretchIsMeasuredAsCpuTimeWithinTheCoresAvailable()
    {
        var (sum, cpu) = CpuTime.Measure(() =>
        {
            double total = 0; // a fixed amount of work, not of time: the machine's speed only scales it
            for (var i = 1; i < 300_000_000; i++) total += 1.0 / i;
            return total;
        });
        Assert.True(sum > 19); // the harmonic sum, so the loop is not optimised away
        Assert.True(cpu.UserSeconds + cpu.SystemSeconds > 0.05, $"{cpu}");
        Assert.InRange(cpu.CoresBusy, 0.05, Environment.ProcessorCount + 0.5);
        Assert.InRange(cpu.SystemShare, 0, 1);
    }
}
