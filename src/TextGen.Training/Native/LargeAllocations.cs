using System.Runtime.InteropServices;

namespace TextGen.Native;

/// <summary>
/// Keeps glibc from handing every large tensor its own fresh mapping. By default malloc serves blocks of a few MB
/// and more with mmap and returns them with munmap, so a training step that allocates its activation buffers anew
/// (the fused LSTM's are several MB) page-faults through all of them, zero-filled by the kernel, every step. Raising the
/// mmap threshold is not enough: glibc caps it at 32 MB, and a 2×512 layer's gate buffers are 39-52 MB, so those still
/// came and went each step, and the step time swung by 2-4x with the cost of page faults (docs/training.md). So malloc
/// maps no block on its own (the heap still grows by mmap where brk cannot), and with no trimming, freed blocks stay in
/// the heap for the next step. Resident memory stays at its high-water mark instead of shrinking between steps. This
/// holds for the main thread's heap, where training runs; another thread's arena still maps blocks over 64 MB.
/// </summary>
internal static class LargeAllocations
{
    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int MmapMax = -4; // M_MMAP_MAX: how many blocks malloc may map on its own

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);

    /// <summary>Applies the settings where the C library is glibc (returns whether it took both); elsewhere does nothing.</summary>
    public static bool KeepInHeap()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return MallOpt(MmapMax, 0) == 1 && MallOpt(TrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // not glibc
        }
    }
}
