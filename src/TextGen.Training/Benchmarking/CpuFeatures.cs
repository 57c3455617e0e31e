namespace TextGen.Benchmarking;

/// <summary>What this CPU can do that matters to the benchmark peaks, from /proc/cpuinfo (Linux; nothing elsewhere).</summary>
public static class CpuFeatures
{
    private static readonly Lazy<string[]> Flags = new(() => Field("flags")?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? []);

    /// <summary>bf16 dot products in hardware: AVX-512 BF16 (Zen 4 and later, Cooper Lake) or AMX (Sapphire Rapids and later).</summary>
    public static bool HasBf16 => Flags.Value.Contains("avx512_bf16") || Flags.Value.Contains("amx_bf16");

    /// <summary>Whether the CPU is AMD's: MKL (inside libtorch) picks slower matrix kernels unless its vendor check says Intel.</summary>
    public static bool IsAmd => Field("vendor_id") == "AuthenticAMD";

    /// <summary>
    /// How MKL's vendor check stands in this process: "intel" (an Intel CPU: MKL's own answer), "answered" (another
    /// CPU, answered "Intel" by <see cref="Native.MklVendorAnswer"/>) or "amd" (not answered: MKL's slower kernels).
    /// </summary>
    public static string MklVendor => Native.MklVendorAnswer.Installed ? "answered" : IsAmd ? "amd" : "intel";

    /// <summary>The model name the kernel reports, for benchmark reports.</summary>
    public static string ModelName => Field("model name") ?? "unknown CPU";

    /// <summary>The first CPU's value of <paramref name="name"/> in /proc/cpuinfo, or null.</summary>
    private static string? Field(string name)
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?.Split(':', 2) is [_, var value] ? value.Trim() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
