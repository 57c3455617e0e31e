using System.IO.Compression;
using System.Security.Cryptography;
using NuGet.Common;
using NuGet.Configuration;
using NuGet.Protocol;
using NuGet.Protocol.Core.Types;
using NuGet.Versioning;
using TextGen.Data;

namespace TextGen.Native;

/// <summary>
/// Finds or fetches the libtorch package's native libraries: from the per-user cache, else from the NuGet global
/// packages folder when a restore put the pinned file there, else once from the NuGet sources the user has configured
/// (nuget.config, as <c>dotnet restore</c> reads it), with <c>TEXTGEN_LIBTORCH_SOURCE</c> (a folder holding the .nupkg,
/// or a feed URL) asked first. A fetch reports its bytes, is checked against the pinned size and SHA-512, and lands
/// whole or not at all: it is extracted into a temporary folder, flushed to disk, listed in a manifest written last,
/// and renamed into place, under a lock that a second first run waits on (then finds the work done).
/// </summary>
public static class LibtorchFetch
{
    public const string SourceVariable = "TEXTGEN_LIBTORCH_SOURCE";
    /// <summary>Written last into a fetched folder: each library's name and size. A folder without it, or whose files differ, is not used.</summary>
    private const string Manifest = ".complete";

    /// <summary>Where libtorch's native libraries are, and where they were downloaded from when this call fetched them.</summary>
    public sealed record Found(string Folder, string? DownloadedFrom = null);

    /// <summary>The folder holding the package's native libraries, fetched if no copy is on this machine.</summary>
    /// <param name="progress">Hears the download as stage "fetching ID VERSION from SOURCE" (bytes of the package's
    /// size), and a wait for another process's fetch as a stage of its own.</param>
    public static Found NativeFolder(LibtorchPackage package, IProgress<ByteProgress>? progress, CancellationToken cancel = default) =>
        NativeFolder(package, LoadSettings, progress, cancel);

    /// <param name="settings">NuGet's settings (the sources, the global packages folder), read only when the cache lacks
    /// libtorch; null when they cannot be read and TEXTGEN_LIBTORCH_SOURCE is the only source.</param>
    internal static Found NativeFolder(LibtorchPackage package, Func<ISettings?> settings, IProgress<ByteProgress>? progress, CancellationToken cancel)
    {
        var cached = Path.Combine(package.CacheFolder, "native");
        if (IsComplete(cached)) return new Found(cached);
        var nuget = settings();
        if (nuget is not null && package.InGlobalPackages(SettingsUtility.GetGlobalPackagesFolder(nuget)) is { } restored) return new Found(restored);

        var parent = Path.GetDirectoryName(package.CacheFolder)!;
        try
        {
            Directory.CreateDirectory(parent);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TextGenException($"cannot create {parent} for libtorch ({e.Message.TrimEnd('.')}); set TEXTGEN_CACHE to a writable folder.");
        }
        using (TakeLock(parent, progress, cancel))
        {
            if (IsComplete(cached)) return new Found(cached); // another first run fetched it
            foreach (var stale in Directory.EnumerateDirectories(parent, ".partial-*")) TryDelete(stale); // killed runs
            var work = Path.Combine(parent, $".partial-{Guid.NewGuid():N}");
            try
            {
                Directory.CreateDirectory(work);
                var nupkg = Path.Combine(work, "package.nupkg");
                var source = Download(package, Sources(nuget), nupkg, progress, cancel);
                Extract(package, nupkg, Path.Combine(work, "native"));
                File.Delete(nupkg);
                TryDelete(package.CacheFolder); // an incomplete one: no manifest, or files that differ from it
                Directory.Move(work, package.CacheFolder);
                return new Found(cached, source);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or WriteFailed)
            {
                var reason = (e is WriteFailed ? e.InnerException! : e).Message.TrimEnd('.');
                throw new TextGenException($"could not write libtorch into {parent} ({reason}); free some space or set TEXTGEN_CACHE to a writable folder, then run this again.");
            }
            finally
            {
                TryDelete(work);
            }
        }
    }

    /// <summary>NuGet's settings for the current folder; null when they cannot be read but TEXTGEN_LIBTORCH_SOURCE names a source.</summary>
    private static ISettings? LoadSettings()
    {
        try
        {
            return NuGet.Configuration.Settings.LoadDefaultSettings(Directory.GetCurrentDirectory());
        }
        catch (NuGetConfigurationException e)
        {
            if (Environment.GetEnvironmentVariable(SourceVariable) is { Length: > 0 }) return null;
            throw new TextGenException($"NuGet's settings could not be read ({e.Message.TrimEnd('.')}); fix that nuget.config, or set {SourceVariable} to a folder holding the libtorch .nupkg.");
        }
    }

    /// <summary>TEXTGEN_LIBTORCH_SOURCE first, then the enabled sources of the user's NuGet settings.</summary>
    internal static IReadOnlyList<PackageSource> Sources(ISettings? settings)
    {
        var sources = new List<PackageSource>();
        if (Environment.GetEnvironmentVariable(SourceVariable) is { Length: > 0 } given)
        {
            sources.Add(new PackageSource(Uri.TryCreate(given, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? given : Path.GetFullPath(given), SourceVariable));
        }
        if (settings is not null) sources.AddRange(new PackageSourceProvider(settings).LoadPackageSources().Where(s => s.IsEnabled));
        return sources;
    }

    /// <summary>Downloads the package from the first source that has it whole; returns that source.</summary>
    private static string Download(LibtorchPackage package, IReadOnlyList<PackageSource> sources, string target, IProgress<ByteProgress>? progress, CancellationToken cancel)
    {
        if (sources.Count == 0)
        {
            throw new TextGenException($"training needs {package.Describe} and no NuGet source is configured; add one (dotnet nuget add source URL), " +
                                       $"or set {SourceVariable} to a folder holding {package.Id}.{package.Version}.nupkg.");
        }
        var failures = new List<string>();
        foreach (var source in sources)
        {
            cancel.ThrowIfCancellationRequested();
            var stage = $"fetching {package.Id} {package.Version} from {source.Source}";
            try
            {
                using var cache = new SourceCacheContext { NoCache = true, DirectDownload = true };
                var finder = Repository.Factory.GetCoreV3(source).GetResourceAsync<FindPackageByIdResource>(cancel).GetAwaiter().GetResult()
                             ?? throw new InvalidOperationException("it is not a NuGet feed");
                using (var file = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                using (var counted = new CountingStream(file, bytes => progress?.Report(new ByteProgress(stage, bytes, package.Size))))
                {
                    var found = finder.CopyNupkgToStreamAsync(package.Id, NuGetVersion.Parse(package.Version), counted, cache, NullLogger.Instance, cancel).GetAwaiter().GetResult();
                    if (!found)
                    {
                        failures.Add($"{source.Name} does not have it");
                        continue;
                    }
                }
                if (Check(package, target) is { } problem)
                {
                    failures.Add($"{source.Name} served a file that {problem}");
                    continue;
                }
                return source.Source;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is not (TextGenException or WriteFailed))
            {
                failures.Add($"{source.Name}: {FirstLine(e)}"); // this source's fault (network, feed, credentials): the next may have it
            }
        }
        throw new TextGenException($"training needs {package.Describe}, which could not be fetched ({string.Join("; ", failures)}); " +
                                   $"add a NuGet source that has it, or set {SourceVariable} to a folder holding {package.Id}.{package.Version}.nupkg, then run this again.");
    }

    /// <summary>Why a downloaded file is not the pinned package (size, then SHA-512), or null when it is.</summary>
    internal static string? Check(LibtorchPackage package, string file)
    {
        var length = new FileInfo(file).Length;
        if (length != package.Size) return $"has {length:N0} bytes, not the {package.Size:N0} of the package this textgen was built with";
        using var stream = File.OpenRead(file);
        var hash = Convert.ToBase64String(SHA512.HashData(stream));
        return hash == package.Sha512 ? null : "is not the package this textgen was built with (its SHA-512 differs)";
    }

    /// <summary>Extracts the kept libraries, flushes each to disk, then writes the manifest, so that a power loss before the rename leaves no folder that passes <see cref="IsComplete"/>.</summary>
    private static void Extract(LibtorchPackage package, string nupkg, string folder)
    {
        Directory.CreateDirectory(folder);
        var manifest = new List<string>();
        using (var zip = ZipFile.OpenRead(nupkg))
        {
            foreach (var entry in zip.Entries.Where(e => package.Keeps(e.FullName)))
            {
                var path = Path.Combine(folder, entry.Name);
                using (var input = entry.Open())
                using (var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
                {
                    input.CopyTo(output);
                    output.Flush(flushToDisk: true);
                }
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
                                               | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
                }
                manifest.Add($"{entry.Length} {entry.Name}");
            }
        }
        if (!File.Exists(Path.Combine(folder, package.MainLibrary)))
        {
            throw new TextGenException($"{package.Id} {package.Version} holds no {package.NativeFolderInPackage}{package.MainLibrary}; this build cannot train on this platform.");
        }
        using var written = new FileStream(Path.Combine(folder, Manifest), FileMode.CreateNew, FileAccess.Write);
        written.Write(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', manifest) + "\n"));
        written.Flush(flushToDisk: true);
    }

    /// <summary>Whether a fetched folder is whole: its manifest exists and every file it lists has the listed size.</summary>
    internal static bool IsComplete(string folder)
    {
        try
        {
            var lines = File.ReadAllLines(Path.Combine(folder, Manifest));
            return lines.Length > 0 && lines.All(line => line.Split(' ', 2) is [var size, var name]
                                                         && long.TryParse(size, out var length)
                                                         && new FileInfo(Path.Combine(folder, name)) is { Exists: true } file && file.Length == length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// An exclusive lock on PARENT/.lock, released when the process ends however it ends. A second process waits for it
    /// (and says so through the progress); any other failure to open the file is an unwritable cache.
    /// </summary>
    private static FileStream TakeLock(string parent, IProgress<ByteProgress>? progress, CancellationToken cancel)
    {
        var path = Path.Combine(parent, ".lock");
        var said = false;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (HeldByAnother(e))
            {
                if (!said)
                {
                    progress?.Report(new ByteProgress($"waiting for another textgen that is fetching libtorch into {parent}", 0, 1));
                    said = true;
                }
                cancel.WaitHandle.WaitOne(200);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new TextGenException($"cannot lock {path} ({e.Message.TrimEnd('.')}); set TEXTGEN_CACHE to a writable folder.");
            }
        }
    }

    /// <summary>
    /// A sharing violation (another process holds the lock), not a disk or permission problem: on Unix .NET's
    /// exception carries flock's errno (EWOULDBLOCK: 11 on Linux, 35 on macOS), on Windows ERROR_SHARING_VIOLATION or
    /// ERROR_LOCK_VIOLATION.
    /// </summary>
    private static bool HeldByAnother(IOException e) =>
        OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) is 32 or 33 : e.HResult == (OperatingSystem.IsMacOS() ? 35 : 11);

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next run under the lock to remove.
        }
    }

    private static string FirstLine(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner.InnerException is null || inner is System.Net.Http.HttpRequestException) return inner.Message.Split('\n', 2)[0].Trim().TrimEnd('.');
        }
        return e.Message;
    }

    /// <summary>Writing the download to the cache failed: the disk's fault, not the source's.</summary>
    private sealed class WriteFailed(IOException inner) : Exception(inner.Message, inner);

    /// <summary>A write-only stream that reports how many bytes went through it, and 0 when the first arrive.</summary>
    private sealed class CountingStream(Stream inner, Action<long> report) : Stream
    {
        private long _written;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _written;
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_written == 0) report(0); // the first bytes arrived: this source has the package
            try
            {
                inner.Write(buffer);
            }
            catch (IOException e)
            {
                throw new WriteFailed(e);
            }
            report(_written += buffer.Length);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_written == 0) report(0);
            try
            {
                await inner.WriteAsync(buffer, cancellationToken);
            }
            catch (IOException e)
            {
                throw new WriteFailed(e);
            }
            report(_written += buffer.Length);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
