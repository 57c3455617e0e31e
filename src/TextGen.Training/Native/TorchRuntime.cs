using System.Runtime.InteropServices;
using TextGen.Data;
using TorchSharp;

namespace TextGen.Native;

/// <summary>
/// Loads TorchSharp's native library once, with the settings every libtorch computation here relies on, and turns a
/// load failure into an actionable message. A program without libtorch beside it (the installed tool) gets it here:
/// the C++ runtime is checked first (<see cref="PrivateCppRuntime"/>: an old one restarts the program once under a
/// private one), then libtorch is found or fetched (<see cref="LibtorchFetch"/>) and loaded from its folder.
/// </summary>
public static class TorchRuntime
{
    private static readonly Lock Gate = new();
    private static bool _loaded;

    /// <summary>Where libtorch was loaded from: null beside the program, else the folder it was found or fetched in.</summary>
    public static string? LibtorchFolder { get; private set; }

    /// <summary>The source libtorch was downloaded from by this process, when it was (a first run); null otherwise.</summary>
    public static string? LibtorchDownloadedFrom { get; private set; }

    /// <summary>
    /// Makes libtorch usable in this process, or throws a <see cref="TextGenException"/> naming the fix. A library
    /// user calls it first in <c>Main</c>: on a system whose C++ runtime is too old it restarts the program once.
    /// </summary>
    /// <param name="progress">Hears the download when libtorch must be fetched (about 130 MB, once per user); null: a line on stderr.</param>
    public static void EnsureLoaded(IProgress<ByteProgress>? progress = null, CancellationToken cancel = default)
    {
        // A failure is not remembered: a network that was down, a cache that was full may be fine on the next call.
        lock (Gate)
        {
            if (_loaded) return;
            try
            {
                Load(progress, cancel);
                _loaded = true;
            }
            catch (Exception e) when (e is not (OperationCanceledException or TextGenException))
            {
                throw new TextGenException(Describe(e), e);
            }
        }
    }

    /// <summary>
    /// The part of <see cref="EnsureLoaded"/> that must come before a program prints anything: refuses a platform that
    /// has no libtorch, and restarts the process under the private C++ runtime where the system's is too old.
    /// </summary>
    public static void RestartIfNeeded()
    {
        _ = PackageToFetch();
        PrivateCppRuntime.RestartIfNeeded();
    }

    /// <summary>The package to fetch; null when libtorch is beside the program. Refuses a platform that has neither.</summary>
    private static LibtorchPackage? PackageToFetch()
    {
        var package = LibtorchPackage.ForThisMachine();
        if (BesideProgram(package?.MainLibrary ?? "*torch_cpu*")) return null;
        return package ?? throw new TextGenException($"TorchSharp's CPU build has libtorch for Linux x64 (glibc), Windows x64 and macOS arm64, and this is {RuntimeInformation.RuntimeIdentifier}; " +
                                                     "generation (sample, serve, embed) works here, train on one of those.");
    }

    private static void Load(IProgress<ByteProgress>? progress, CancellationToken cancel)
    {
        var package = PackageToFetch();
        PrivateCppRuntime.RestartIfNeeded();
        MklVendorAnswer.Install(); // before libtorch: its definition must come first in the global scope
        if (package is not null)
        {
            var found = LibtorchFetch.NativeFolder(package, progress ?? new FetchLines(Console.Error), cancel);
            (LibtorchFolder, LibtorchDownloadedFrom) = (found.Folder, found.DownloadedFrom);
            // The libraries load each other from their own folder; TorchSharp's shim beside the program then finds them loaded.
            NativeLibrary.Load(Path.Combine(LibtorchFolder, package.EntryLibrary));
        }
        // Loading the library first gives the loader's own reason on failure, and keeps TorchSharp from its
        // fallback, which copies all of libtorch (~600 MB) into the program's folder before failing the same way.
        NativeLibrary.Free(NativeLibrary.Load("LibTorchSharp", typeof(torch).Assembly, null));
        torch.InitializeDeviceType(DeviceType.CPU);
        OneDnnSwitch.TurnOff();
        LargeAllocations.KeepInHeap();
    }

    private static string Describe(Exception failure)
    {
        var details = string.Join(" ", Flatten(failure).Select(e => e.Message));
        var firstLine = failure.Message.Split('\n', 2)[0].Trim();
        if (details.Contains(PrivateCppRuntime.NeededSymbol, StringComparison.Ordinal))
        {
            return $"libtorch could not be loaded: the C++ runtime lacks {PrivateCppRuntime.NeededSymbol} ({firstLine}); " +
                   $"unset {PrivateCppRuntime.SwitchVariable} and LD_LIBRARY_PATH, or install libstdc++ from GCC 13 or newer.";
        }
        if (failure is DllNotFoundException && details.Contains("LibTorchSharp", StringComparison.Ordinal) && !details.Contains("undefined symbol", StringComparison.Ordinal))
        {
            return $"TorchSharp's native library (LibTorchSharp) could not be loaded ({firstLine}); reinstall textgen, or reference TorchSharp (or TextGen.Training) from your program.";
        }
        var fetched = LibtorchFolder is { } folder && folder.StartsWith(UserCache.Root, StringComparison.Ordinal);
        return $"libtorch could not be loaded{(LibtorchFolder is { } from ? $" from {from}" : "")} ({firstLine}); " +
               (fetched ? $"delete {Path.GetDirectoryName(LibtorchFolder)} and run this again." : "run `textgen setup` to see each step.");
    }

    /// <summary>Whether libtorch ships beside this program (a build, or a program referencing TorchSharp-cpu); the tool leaves it out.</summary>
    private static bool BesideProgram(string mainLibrary) =>
        Directory.EnumerateFiles(AppContext.BaseDirectory, mainLibrary, SearchOption.AllDirectories).Any();

    private static IEnumerable<Exception> Flatten(Exception e)
    {
        for (var current = e; current is not null; current = current.InnerException)
        {
            yield return current;
        }
    }

    /// <summary>The default display of a fetch (a library user's first run): a line when it starts, one when it ends.</summary>
    private sealed class FetchLines(TextWriter error) : IProgress<ByteProgress>
    {
        private readonly System.Diagnostics.Stopwatch _clock = new();

        public void Report(ByteProgress value)
        {
            if (!_clock.IsRunning)
            {
                _clock.Start();
                error.WriteLine($"{value.Stage} ({value.TotalBytes / 1e6:N0} MB) into {UserCache.Root}, once: training needs it.");
            }
            if (value.Bytes == value.TotalBytes) error.WriteLine($"{value.Stage}: done in {_clock.Elapsed.TotalSeconds:N1} s.");
        }
    }
}
