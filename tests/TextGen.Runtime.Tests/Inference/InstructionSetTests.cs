using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TextGen.Tests.Inference;

/// <summary>
/// test.sh runs the inference tests once as the machine allows and again with DOTNET_EnableAVX512=0,
/// DOTNET_EnableAVX2=0 and DOTNET_EnableHWIntrinsic=0. This checks that each run really took the narrower path, so
/// the kernels' AVX2+FMA, 128-bit and scalar branches are what those runs tested. (.NET 10 ignores the older
/// DOTNET_EnableAVX512F=0: this test caught that.)
/// </summary>
public class InstructionSetTests
{
    [Fact]
    public void TheRuntimeUsesExactlyTheInstructionSetsThisRunAllows()
    {
        static bool Off(string knob) => Environment.GetEnvironmentVariable("DOTNET_" + knob) == "0";
        if (Off("EnableHWIntrinsic"))
        {
            Assert.False(Vector128.IsHardwareAccelerated, "DOTNET_EnableHWIntrinsic=0 leaves no SIMD");
        }
        if (Off("EnableAVX2") || Off("EnableHWIntrinsic"))
        {
            Assert.False(Avx2.IsSupported, "no AVX2 in this run");
            Assert.False(Vector256.IsHardwareAccelerated, "no 256-bit vectors in this run");
        }
        if (Off("EnableAVX512") || Off("EnableAVX2") || Off("EnableHWIntrinsic"))
        {
            Assert.False(Vector512.IsHardwareAccelerated, "no 512-bit vectors in this run");
        }
        if (!Off("EnableAVX512") && !Off("EnableAVX2") && !Off("EnableHWIntrinsic") && CpuFlags() is { } flags)
        {
            // Unrestricted, the runtime takes what the CPU offers (what the kernels' fast paths are tested on).
            Assert.Equal(flags.Contains("avx2") && flags.Contains("fma"), Avx2.IsSupported && Fma.IsSupported);
            Assert.Equal(flags.Contains("avx512f") && flags.Contains("avx512bw") && flags.Contains("avx512vl") && flags.Contains("avx512dq"), Vector512.IsHardwareAccelerated);
        }
    }

    /// <summary>The first processor's feature flags from /proc/cpuinfo on x86 Linux; null elsewhere.</summary>
    private static HashSet<string>? CpuFlags()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return null;
        var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        return line is null ? null : line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
    }
}
