using System.Reflection;
using System.Runtime.InteropServices;

namespace TextGen.Native;

/// <summary>
/// The libtorch package this build of TextGen.Training was built against (TorchSharp-cpu's dependency for one
/// platform), pinned at build time by id, version, SHA-512 and size, and where its native libraries are on this machine:
/// beside the program (a build, or a program that references TorchSharp-cpu), extracted in the NuGet packages folder by
/// an earlier restore, or fetched once into the per-user cache.
/// </summary>
public sealed record LibtorchPackage(string Platform, string Id, string Version, string Sha512, long Size)
{
    /// <summary>The package's libraries that nothing here loads (tests, Python bindings): left out of the cache.</summary>
    private static readonly string[] Unused = ["torch_python", "jitbackend_test", "torchbind_test", "aoti_custom_ops", "backend_with_compiler", "nnapi_backend"];

    /// <summary>The package for this OS and CPU; null where TorchSharp-cpu publishes no libtorch.</summary>
    public static LibtorchPackage? ForThisMachine() => ForPlatform(ThisPlatform());

    internal static LibtorchPackage? ForPlatform(string? platform)
    {
        var pin = typeof(LibtorchPackage).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == $"libtorch:{platform}")?.Value?.Split('|');
        return pin is [var id, var version, var sha512, var size] ? new LibtorchPackage(platform!, id, version, sha512, long.Parse(size)) : null;
    }

    /// <summary>The runtime identifier TorchSharp-cpu's packages use for this machine, or null where it has none.</summary>
    private static string? ThisPlatform() => RuntimeInformation.ProcessArchitecture switch
    {
        _ when RuntimeInformation.RuntimeIdentifier.StartsWith("linux-musl", StringComparison.Ordinal) => null, // libtorch is built for glibc
        Architecture.X64 when OperatingSystem.IsLinux() => "linux-x64",
        Architecture.X64 when OperatingSystem.IsWindows() => "win-x64",
        Architecture.Arm64 when OperatingSystem.IsMacOS() => "osx-arm64",
        _ => null,
    };

    public string Describe => $"{Id} {Version} ({Size / 1e6:N0} MB)";

    /// <summary>Where the package's native libraries sit inside it.</summary>
    public string NativeFolderInPackage => $"runtimes/{Platform}/native/";

    /// <summary>The cache folder this package's libraries are extracted to (renamed there in whole, its manifest written last).</summary>
    public string CacheFolder => Path.Combine(UserCache.Root, "libtorch", $"{Id}.{Version}");

    /// <summary>The file whose presence says that a folder holds this platform's libtorch.</summary>
    public string MainLibrary => Platform switch
    {
        "win-x64" => "torch_cpu.dll",
        "osx-arm64" => "libtorch_cpu.dylib",
        _ => "libtorch_cpu.so",
    };

    /// <summary>The library that loads the rest from its own folder (libtorch, which needs libtorch_cpu, c10, gomp).</summary>
    public string EntryLibrary => Platform switch
    {
        "win-x64" => "torch.dll",
        "osx-arm64" => "libtorch.dylib",
        _ => "libtorch.so",
    };

    /// <summary>Whether a file of the package (a path inside it) goes to the cache.</summary>
    internal bool Keeps(string entry) =>
        entry.StartsWith(NativeFolderInPackage, StringComparison.Ordinal) && entry.Length > NativeFolderInPackage.Length
        && !entry[NativeFolderInPackage.Length..].Contains('/')
        && !Unused.Any(u => entry.Contains(u, StringComparison.Ordinal));

    /// <summary>
    /// The extracted package in the NuGet global packages folder, when a restore put exactly this file there (its
    /// recorded SHA-512 is the pinned one); null otherwise.
    /// </summary>
    internal string? InGlobalPackages(string globalPackagesFolder)
    {
        var folder = Path.Combine(globalPackagesFolder, Id.ToLowerInvariant(), Version.ToLowerInvariant());
        var recorded = Path.Combine(folder, $"{Id.ToLowerInvariant()}.{Version.ToLowerInvariant()}.nupkg.sha512");
        var native = Path.Combine(folder, NativeFolderInPackage);
        try
        {
            return File.Exists(recorded) && File.ReadAllText(recorded).Trim() == Sha512 && File.Exists(Path.Combine(native, MainLibrary)) ? native : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
