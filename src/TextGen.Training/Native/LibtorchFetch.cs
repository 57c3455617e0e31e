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
/// Finds or fetches the libtorch package's native libraries: from the NuGet global packages folder when a restore put
/// the pinned file there, else from the per-user cache, else once from the NuGet sources the user has configured
/// (nuget.config, as <c>dotnet restore</c> reads it), with <c>TEXTGEN_LIBTORCH_SOURCE</c> (a folder holding the .nupkg,
/// or a feed URL) asked first. A fetch shows its bytes, is checked against the pinned size and SHA-512, and lands
/// whole or not at all: it is extracted into a temporary folder that is renamed into place, under a lock that a second
/// first run waits on (then finds the work done).
/// </summary>
public static class LibtorchFetch
{
    public const string SourceVariable = "TEXTGEN_LIBTORCH_SOURCE";

    /// <summary>Where libtorch's native libraries are, and where they were downloaded from when this call fetched them.</summary>
    public sealed record Found(string Folder, string? DownloadedFrom = null);

    /// <summary>The folder holding the package's native libraries, fetched if no copy is on this machine.</summary>
    /// <param name="progress">Hears the download, as stage "fetching ID VERSION from SOURCE", bytes of the package's size.</param>
    public static Found NativeFolder(LibtorchPackage package, IProgress<ByteProgress>? progress, CancellationToken cancel = default) =>
        NativeFolder(package, LoadSettings(), progress, cancel);

    /// <param name="settings">NuGet's settings: the sources, and the global packages folder.</param>
    internal static Found NativeFolder(LibtorchPackage package, ISettings settings, IProgress<ByteProgress>? progress, CancellationToken cancel)
    {
        if (package.InGlobalPackages(SettingsUtility.GetGlobalPackagesFolder(settings)) is { } restored) return new Found(restored);
        var cached = Path.Combine(package.CacheFolder, "native");
        if (File.Exists(Path.Combine(cached, package.MainLibrary))) return new Found(cached);

        var parent = Path.GetDirectoryName(package.CacheFolder)!;
        try
        {
            Directory.CreateDirectory(parent);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TextGenException($"cannot create {parent} for libtorch ({e.Message}); set TEXTGEN_CACHE to a writable folder.");
        }
        using (TakeLock(parent, cancel))
        {
            if (File.Exists(Path.Combine(cached, package.MainLibrary))) return new Found(cached); // another first run fetched it
            foreach (var stale in Directory.EnumerateDirectories(parent, ".partial-*")) TryDelete(stale); // killed runs
            var work = Path.Combine(parent, $".partial-{Guid.NewGuid():N}");
            try
            {
                Directory.CreateDirectory(work);
                var nupkg = Path.Combine(work, "package.nupkg");
                var source = Download(package, Sources(settings), nupkg, progress, cancel);
                Extract(package, nupkg, Path.Combine(work, "native"));
                File.Delete(nupkg);
                if (Directory.Exists(package.CacheFolder)) TryDelete(package.CacheFolder); // incomplete: no main library
                Directory.Move(work, package.CacheFolder);
                return new Found(cached, source);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new TextGenException($"could not write libtorch into {parent} ({e.Message.TrimEnd('.')}); free some space or set TEXTGEN_CACHE to a writable folder, then run this again.");
            }
            finally
            {
                TryDelete(work);
            }
        }
    }

    private static ISettings LoadSettings()
    {
        try
        {
            return Settings.LoadDefaultSettings(Directory.GetCurrentDirectory());
        }
        catch (NuGetConfigurationException e)
        {
            throw new TextGenException($"NuGet's settings could not be read ({e.Message.TrimEnd('.')}); fix that nuget.config, or set {SourceVariable} to a folder holding the libtorch .nupkg.");
        }
    }

    /// <summary>TEXTGEN_LIBTORCH_SOURCE first, then the enabled sources of the user's NuGet settings.</summary>
    internal static IReadOnlyList<PackageSource> Sources(ISettings settings)
    {
        var sources = new List<PackageSource>();
        if (Environment.GetEnvironmentVariable(SourceVariable) is { Length: > 0 } given)
        {
            sources.Add(new PackageSource(Uri.TryCreate(given, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? given : Path.GetFullPath(given), SourceVariable));
        }
        sources.AddRange(new PackageSourceProvider(settings).LoadPackageSources().Where(s => s.IsEnabled));
        return sources;
    }

    /// <summary>Downloads the package from the first source that has it whole; returns that source.</summary>
    private static string Download(LibtorchPackage package, IReadOnlyList<PackageSource> sources, string target, IProgress<ByteProgress>? progress, CancellationToken cancel)
    {
        if (sources.Count == 0)
        {
            throw new TextGenException($"training needs {package.Describe} and no NuGet source is configured; add one (dotnet nuget add source URL), or set {SourceVariable} to a folder holding {package.Id}.{package.Version}.nupkg.");
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
            catch (Exception e) when (e is not TextGenException)
            {
                failures.Add($"{source.Name}: {FirstLine(e)}");
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

    private static void Extract(LibtorchPackage package, string nupkg, string folder)
    {
        Directory.CreateDirectory(folder);
        using var zip = ZipFile.OpenRead(nupkg);
        foreach (var entry in zip.Entries.Where(e => package.Keeps(e.FullName)))
        {
            var path = Path.Combine(folder, entry.Name);
            entry.ExtractToFile(path);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
                                           | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }
        }
        if (!File.Exists(Path.Combine(folder, package.MainLibrary)))
        {
            throw new TextGenException($"{package.Id} {package.Version} holds no {package.NativeFolderInPackage}{package.MainLibrary}; delete {package.CacheFolder} and report this.");
        }
    }

    /// <summary>An exclusive lock on PARENT/.lock; a second process waits for it (it is released when the first ends, however it ends).</summary>
    private static FileStream TakeLock(string parent, CancellationToken cancel)
    {
        var path = Path.Combine(parent, ".lock");
        var said = false;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (!cancel.IsCancellationRequested)
            {
                if (!said)
                {
                    Console.Error.WriteLine($"waiting for another textgen that is fetching libtorch into {parent}...");
                    said = true;
                }
                cancel.WaitHandle.WaitOne(200);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new TextGenException($"cannot lock {path} ({e.Message}); set TEXTGEN_CACHE to a writable folder.");
            }
        }
    }

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
            inner.Write(buffer);
            report(_written += buffer.Length);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_written == 0) report(0);
            await inner.WriteAsync(buffer, cancellationToken);
            report(_written += buffer.Length);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
