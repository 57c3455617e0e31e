using TextGen.Modeling;
using TextGen.Native;

namespace TextGen.Tests.Runtime;

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
        Assert.True(OperatingSystem.IsLinux(), "TextGen ships libtorch for Linux x64 only");
        Assert.False(OneDnnSwitch.IsOn() ?? true, "oneDNN is still on (or libtorch no longer exports the switch): see Runtime/OneDnnSwitch.cs");
    }
}
