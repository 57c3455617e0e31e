using System.Runtime.InteropServices;
using TorchSharp;

namespace TextGen.Native;

/// <summary>
/// Loads TorchSharp's native library once, with the settings every libtorch computation here relies on, and turns a
/// load failure into an actionable message.
/// </summary>
public static class TorchRuntime
{
    private static readonly Lazy<Exception?> LoadFailure = new(TryLoad);

    public static void EnsureLoaded()
    {
        if (LoadFailure.Value is { } failure)
        {
            throw new TextGenException(Describe(failure), failure);
        }
    }

    private static Exception? TryLoad()
    {
        try
        {
            // Loading the library first gives the loader's own reason on failure, and keeps TorchSharp from its
            // fallback, which copies all of libtorch (~600 MB) into the program's folder before failing the same way.
            NativeLibrary.Free(NativeLibrary.Load("libLibTorchSharp.so", typeof(torch).Assembly, null));
            torch.InitializeDeviceType(DeviceType.CPU);
            OneDnnSwitch.TurnOff();
            LargeAllocations.KeepInHeap();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private static string Describe(Exception failure)
    {
        if (!Bundled)
        {
            return "this textgen has no libtorch (the dotnet tool and runtime-only installs leave its 600 MB out; generation needs none): " +
                   "train, eval, forecast and bench need it; run them from a clone of TextGen with ./textgen, or reference the TextGen.Training package.";
        }
        var details = string.Join(" ", Flatten(failure).Select(e => e.Message));
        if (details.Contains("GLIBCXX", StringComparison.Ordinal))
        {
            return "TorchSharp's native library could not be loaded: this system's libstdc++ lacks GLIBCXX_3.4.32. " +
                   "Start textgen with ./textgen, or with the dotnet that ./scripts/setup.sh prints (a private C++ runtime; the system is not changed).";
        }
        var firstLine = failure.Message.Split('\n', 2)[0].Trim();
        return $"TorchSharp's native library could not be loaded ({firstLine}). Start textgen with ./textgen, or with the dotnet that ./scripts/setup.sh prints.";
    }

    /// <summary>Whether TorchSharp's native library ships beside this program (it does in a build; not in the tool package).</summary>
    private static bool Bundled =>
        Directory.EnumerateFiles(AppContext.BaseDirectory, "*LibTorchSharp*", SearchOption.AllDirectories).Any();

    private static IEnumerable<Exception> Flatten(Exception e)
    {
        for (var current = e; current is not null; current = current.InnerException)
        {
            yield return current;
        }
    }
}
