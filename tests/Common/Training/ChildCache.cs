namespace TextGen.Tests;

/// <summary>
/// A <c>TEXTGEN_CACHE</c> for a child process that loads libtorch without it beside the program (the tool, a program
/// referencing TextGen.Training): a folder of its own, holding the private C++ runtime this test host runs under when
/// it does (./test.sh starts it through one), so that a child which restarts itself under it finds it set up. Only the
/// runtime's libraries and patchelf are linked: the child makes its own launcher, which the real one's set-up would
/// otherwise see as stale and rewrite to point into this folder.
/// </summary>
internal static class ChildCache
{
    public static string Create(string parent)
    {
        var cache = Directory.CreateDirectory(Path.Combine(parent, "child-cache")).FullName;
        var runtime = Environment.ProcessPath is { } host ? Path.GetDirectoryName(Path.GetDirectoryName(host)) : null;
        if (runtime is not null && Path.GetFileName(runtime).StartsWith("runtime-", StringComparison.Ordinal))
        {
            var own = Directory.CreateDirectory(Path.Combine(cache, Path.GetFileName(runtime))).FullName;
            if (!Directory.Exists(Path.Combine(own, "lib"))) Directory.CreateSymbolicLink(Path.Combine(own, "lib"), Path.Combine(runtime, "lib"));
            if (!File.Exists(Path.Combine(own, "patchelf"))) File.CreateSymbolicLink(Path.Combine(own, "patchelf"), Path.Combine(runtime, "patchelf"));
        }
        return cache;
    }
}
