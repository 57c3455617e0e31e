using System.Runtime.InteropServices;

namespace TextGen.Native;

/// <summary>
/// Keeps glibc from handing every large tensor its own fresh mapping. By default malloc serves blocks of a few MB
/// and more with mmap and returns them with munmap, so a training step that allocates its activation buffers anew
/// (the fused LSTM's are several MB) page-faults through all of them, zero-filled by the kernel, every step. With the
/// mmap threshold at glibc's maximum and no trimming, freed blocks stay in the heap for the next step, which makes the
/// training loop faster (docs/training.md). Resident memory stays at its high-water mark instead of shrinking between
/// steps.
/// </summary>
internal static class LargeAllocations
{
    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD
    private const int MaxMmapThreshold = 32 << 20; // glibc refuses more on 64-bit

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);

    /// <summary>Applies the settings where the C library is glibc (returns whether it took both); elsewhere does nothing.</summary>
    public static bool KeepInHeap()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return MallOpt(MmapThreshold, MaxMmapThreshold) == 1 && MallOpt(TrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // not glibc
        }
    }
}
