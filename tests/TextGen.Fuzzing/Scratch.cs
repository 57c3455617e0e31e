namespace TextGen.Fuzzing;

/// <summary>
/// Files a target reads by path, in one folder per process: below $TEXTGEN_FUZZ_SCRATCH (scripts/fuzz.sh gives each
/// run its own, and removes it), else in memory where /dev/shm is, else the temp folder.
/// </summary>
internal static class Scratch
{
    public const string Variable = "TEXTGEN_FUZZ_SCRATCH";

    private static readonly Lazy<string> Folder = new(() =>
    {
        var root = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } given ? given
            : Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        var folder = System.IO.Path.Combine(root, $"textgen-fuzz-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Already gone, or still in use: nothing to do at exit.
            }
        };
        return folder;
    });

    public static string Path(string name) => System.IO.Path.Combine(Folder.Value, name);

    public static string Write(string name, byte[] bytes)
    {
        var path = Path(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
