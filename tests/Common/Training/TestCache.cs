// libtorch's random generator is global to the process: tests that seed it and then initialise or train models
// must not interleave, or "same seed, same model" stops holding.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace TextGen.Tests;

internal static class TestCache
{
    /// <summary>Tests keep tokenized corpora in a folder of their own, never the user's cache (subprocesses inherit it).</summary>
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void UseAPrivateTokenCache()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"textgen-tests-cache-{Environment.ProcessId}");
        Environment.SetEnvironmentVariable("TEXTGEN_CACHE", folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        };
    }
}
