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
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private static string Describe(Exception failure)
    {
        var details = string.Join(" ", Flatten(failure).Select(e => e.Message));
        if (details.Contains("GLIBCXX", StringComparison.Ordinal))
        {
            return "TorchSharp's native library could not be loaded: this system's libstdc++ lacks GLIBCXX_3.4.32. " +
                   "Start textgen with ./textgen, or with the dotnet that ./scripts/setup.sh prints (a private C++ runtime; the system is not changed).";
        }
        var firstLine = failure.Message.Split('\n', 2)[0].Trim();
        return $"TorchSharp's native library could not be loaded ({firstLine}). Start textgen with ./textgen, or with the dotnet that ./scripts/setup.sh prints.";
    }

    private static IEnumerable<Exception> Flatten(Exception e)
    {
        for (var current = e; current is not null; current = current.InnerException)
        {
            yield return current;
        }
    }
}
