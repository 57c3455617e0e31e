using TextGen.Modeling;
using TextGen.Native;

namespace TextGen.Tests.Native;

/// <summary>
/// The switch calls libtorch by C++ symbol names, which a new libtorch could rename: then oneDNN would silently stay
/// on, and the float64 parity tests would notice only on CPUs where its kernel is wrong. This notices everywhere.
/// </summary>
public class OneDnnSwitchTests
{
    [Fact]
    public void OneDnnIsOffOnceARecurrentLayerExists()
    {
        using var stack = new RecurrentStack(CellType.Lstm, 4, 8, 1, 0);
        Assert.False(OneDnnSwitch.IsOn() ?? true, "oneDNN is still on (or libtorch no longer exports the switch): see Native/OneDnnSwitch.cs");
    }

    [Fact]
    public void WorkThatNeedsOneDnnTurnsItOnAndLeavesItOffEvenWhenItThrows()
    {
        using var stack = new RecurrentStack(CellType.Lstm, 4, 8, 1, 0);
        Assert.True(OneDnnSwitch.WithOneDnn(() => OneDnnSwitch.IsOn()));
        Assert.Throws<InvalidOperationException>(() => OneDnnSwitch.WithOneDnn<int>(() => throw new InvalidOperationException()));
        Assert.False(OneDnnSwitch.IsOn() ?? true);

        _ = TextGen.Benchmarking.Throughput.Bf16MatmulGflops(size: 128, seconds: 0.2); // the bf16 peak, where the CPU has bf16
        Assert.False(OneDnnSwitch.IsOn() ?? true);
    }
}

public class LargeAllocationsTests
{
    [Fact]
    public void GlibcTakesTheHeapSettings() => Assert.True(LargeAllocations.KeepInHeap(), "mallopt refused the settings or was not found: see Native/LargeAllocations.cs");
}
