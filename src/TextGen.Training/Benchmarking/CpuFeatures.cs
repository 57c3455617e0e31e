namespace TextGen.Benchmarking;

/// <summary>What this CPU can do that matters to the benchmark peaks, from /proc/cpuinfo (Linux; false elsewhere).</summary>
public static class CpuFeatures
{
    private static readonly Lazy<string[]> Flags = new(() =>
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    });

    /// <summary>bf16 dot products in hardware: AVX-512 BF16 (Zen 4 and later, Cooper Lake) or AMX (Sapphire Rapids and later).</summary>
    public static bool HasBf16 => Flags.Value.Contains("avx512_bf16") || Flags.Value.Contains("amx_bf16");

    /// <summary>The model name the kernel reports, for benchmark reports.</summary>
    public static string ModelName
    {
        get
        {
            try
            {
                return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
            }
            catch (IOException)
            {
                return "unknown CPU";
            }
        }
    }
}
