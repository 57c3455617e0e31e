using System.Runtime.InteropServices;
using TextGen.Native;

namespace TextGen.Tests.Native;

/// <summary>
/// The shared object written byte by byte loads on any Linux x86-64 machine (whatever its CPU vendor) and its one
/// function answers 1, as MKL's own Intel check does on Intel CPUs.
/// </summary>
public class MklVendorAnswerTests
{
    [Fact]
    public unsafe void TheWrittenLibraryLoadsAndAnswersIntel()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return; // the answer is for Linux x86-64 only
        var handle = MklVendorAnswer.LoadGlobally(MklVendorAnswer.SharedObject());
        Assert.NotEqual(0, handle);
        var answer = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, MklVendorAnswer.Symbol);
        Assert.Equal(1, answer());
    }

    [Fact]
    public void OnAmdItIsInPlaceOnceLibtorchIsLoaded()
    {
        TorchRuntime.EnsureLoaded();
        Assert.Equal(TextGen.Benchmarking.CpuFeatures.IsAmd && Environment.GetEnvironmentVariable("TEXTGEN_MKL_VENDOR") != "off", MklVendorAnswer.Installed);
    }
}
