using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using NuGet.Configuration;
using TextGen.Data;
using TextGen.Native;

namespace TextGen.Tests.Native;

/// <summary>
/// The libtorch fetch against a local folder feed holding a small package built here (the real one's layout: native
/// libraries under runtimes/linux-x64/native/), pinned like the real one by size and SHA-512: it lands whole in the
/// cache with its progress reported, is refused when damaged, survives a killed earlier run, is fetched once by two
/// first runs at once, and says in one line what to do when no source has it. The settings name only that feed.
/// </summary>
public sealed class LibtorchFetchTests : IDisposable
{
    private const string Id = "textgen-test-libtorch";
    private readonly TempDirectory _dir = new();
    private readonly string? _cacheBefore = Environment.GetEnvironmentVariable("TEXTGEN_CACHE");

    public LibtorchFetchTests() => Environment.SetEnvironmentVariable("TEXTGEN_CACHE", _dir.File("cache"));

    private string Feed => Directory.CreateDirectory(_dir.File("feed")).FullName;

    /// <summary>A nupkg with a nuspec, the libraries a fetch keeps, and ones it leaves out.</summary>
    private static byte[] Nupkg()
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create))
        {
            void Add(string name, string text)
            {
                using var writer = new StreamWriter(zip.CreateEntry(name).Open());
                writer.Write(text);
            }
            Add($"{Id}.nuspec", $"""
                <?xml version="1.0" encoding="utf-8"?>
                <package xmlns="http://schemas.microsoft.com/packaging/2012/06/nuspec.xsd">
                  <metadata><id>{Id}</id><version>2.10.0</version><authors>test</authors><description>test</description></metadata>
                </package>
                """);
            Add("runtimes/linux-x64/native/libtorch_cpu.so", new string('x', 100_000));
            Add("runtimes/linux-x64/native/libtorch.so", "entry");
            Add("runtimes/linux-x64/native/libtorch_python.so", "unused");
            Add("runtimes/win-x64/native/torch_cpu.dll", "other platform");
            Add("lib/netstandard2.0/_._", "");
        }
        return memory.ToArray();
    }

    private static LibtorchPackage Pinned(byte[] nupkg) =>
        new("linux-x64", Id, "2.10.0", Convert.ToBase64String(SHA512.HashData(nupkg)), nupkg.Length);

    /// <summary>NuGet settings whose only source is SOURCE (nothing from the user's own configuration), read when asked for.</summary>
    private Func<ISettings?> SettingsWith(string source) => () => ReadSettings(source);

    private ISettings ReadSettings(string source)
    {
        var folder = Directory.CreateDirectory(_dir.File("config-" + Guid.NewGuid().ToString("N"))).FullName;
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <configuration>
              <packageSources><clear /><add key="local" value="{source}" /></packageSources>
              <config><add key="globalPackagesFolder" value="{Path.Combine(folder, "packages")}" /></config>
            </configuration>
            """);
        return NuGet.Configuration.Settings.LoadSpecificSettings(folder, "nuget.config");
    }

    private sealed class Recorder : IProgress<ByteProgress>
    {
        public readonly List<ByteProgress> Reports = [];
        /// <summary>Set once some run reports that it waits for another's fetch.</summary>
        public readonly ManualResetEventSlim Waiting = new();
        /// <summary>When set, a download holds at its first bytes until another run is seen waiting (or 30 s pass).</summary>
        public bool HoldFirstBytes { get; init; }

        public void Report(ByteProgress value)
        {
            lock (Reports) Reports.Add(value);
            if (value.Stage.StartsWith("waiting", StringComparison.Ordinal)) Waiting.Set();
            else if (HoldFirstBytes && value.Bytes == 0) Waiting.Wait(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public void ItLandsWholeInTheCacheWithItsProgressAndIsFetchedOnce()
    {
        var nupkg = Nupkg();
        File.WriteAllBytes(Path.Combine(Feed, $"{Id}.2.10.0.nupkg"), nupkg);
        var package = Pinned(nupkg);
        var progress = new Recorder();

        var found = LibtorchFetch.NativeFolder(package, SettingsWith(Feed), progress, CancellationToken.None);
        var folder = found.Folder;

        Assert.Equal(Path.Combine(package.CacheFolder, "native"), folder);
        Assert.Equal(Feed, found.DownloadedFrom);
        Assert.Equal([".complete", "libtorch.so", "libtorch_cpu.so"], Directory.GetFiles(folder).Select(f => Path.GetFileName(f)!).Order().ToArray());
        Assert.Equal(100_000, new FileInfo(Path.Combine(folder, "libtorch_cpu.so")).Length);
        Assert.NotEmpty(progress.Reports);
        Assert.All(progress.Reports, r => Assert.Equal(nupkg.Length, r.TotalBytes));
        Assert.All(progress.Reports, r => Assert.Equal($"fetching {Id} 2.10.0 from {Feed}", r.Stage));
        Assert.Equal(nupkg.Length, progress.Reports[^1].Bytes);
        Assert.Equal(progress.Reports.Select(r => r.Bytes).Order(), progress.Reports.Select(r => r.Bytes));
        Assert.Equal([package.CacheFolder], Directory.GetDirectories(Path.GetDirectoryName(package.CacheFolder)!)); // no partial folders

        File.Delete(Path.Combine(Feed, $"{Id}.2.10.0.nupkg")); // a second run needs no source
        var again = new Recorder();
        Assert.Equal(new LibtorchFetch.Found(folder), LibtorchFetch.NativeFolder(package, SettingsWith(Feed), again, CancellationToken.None));
        Assert.Empty(again.Reports);
    }

    [Fact]
    public void ADamagedPackageIsRefusedInOneLineAndLeavesNothing()
    {
        var nupkg = Nupkg();
        var package = Pinned(nupkg);
        var damaged = (byte[])nupkg.Clone();
        damaged[damaged.Length / 2] ^= 0x40; // same size, other content
        File.WriteAllBytes(Path.Combine(Feed, $"{Id}.2.10.0.nupkg"), damaged);

        var error = Assert.Throws<TextGenException>(() => LibtorchFetch.NativeFolder(package, SettingsWith(Feed), null, CancellationToken.None));

        Assert.Contains("SHA-512", error.Message);
        Assert.Contains(LibtorchFetch.SourceVariable, error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.False(Directory.Exists(package.CacheFolder));
        Assert.DoesNotContain(Directory.GetDirectories(Path.GetDirectoryName(package.CacheFolder)!), d => Path.GetFileName(d).StartsWith(".partial", StringComparison.Ordinal));
    }

    [Fact]
    public void NoSourceWithThePackageNamesTheFix()
    {
        var package = Pinned(Nupkg());
        var error = Assert.Throws<TextGenException>(() => LibtorchFetch.NativeFolder(package, SettingsWith(Feed), null, CancellationToken.None));
        Assert.Contains("local does not have it", error.Message);
        Assert.Contains($"{LibtorchFetch.SourceVariable} to a folder holding {Id}.2.10.0.nupkg", error.Message);

        var missing = Assert.Throws<TextGenException>(() => LibtorchFetch.NativeFolder(package, SettingsWith(_dir.File("no-such-folder")), null, CancellationToken.None));
        Assert.Contains("could not be fetched", missing.Message);
        Assert.DoesNotContain('\n', missing.Message);
    }

    [Fact]
    public void TheSourceVariableIsAskedFirst()
    {
        var nupkg = Nupkg();
        File.WriteAllBytes(Path.Combine(Feed, $"{Id}.2.10.0.nupkg"), nupkg);
        Environment.SetEnvironmentVariable(LibtorchFetch.SourceVariable, Feed);
        try
        {
            var found = LibtorchFetch.NativeFolder(Pinned(nupkg), SettingsWith(_dir.File("empty-feed")), null, CancellationToken.None);
            Assert.True(File.Exists(Path.Combine(found.Folder, "libtorch_cpu.so")));
            Assert.Equal(Feed, found.DownloadedFrom);
        }
        finally
        {
            Environment.SetEnvironmentVariable(LibtorchFetch.SourceVariable, null);
        }
    }

    [Fact]
    public void WhatAKilledRunLeftIsNeitherUsedNorInTheWay()
    {
        var nupkg = Nupkg();
        File.WriteAllBytes(Path.Combine(Feed, $"{Id}.2.10.0.nupkg"), nupkg);
        var package = Pinned(nupkg);
        var parent = Directory.CreateDirectory(Path.GetDirectoryName(package.CacheFolder)!).FullName;
        // A run killed mid-download leaves its temporary folder with half a package in it.
        var partial = Directory.CreateDirectory(Path.Combine(parent, ".partial-killed")).FullName;
        File.WriteAllBytes(Path.Combine(partial, "package.nupkg"), nupkg[..(nupkg.Length / 2)]);
        // A cache folder whose libraries are there but not its manifest (written last) is not taken for a whole one.
        Directory.CreateDirectory(Path.Combine(package.CacheFolder, "native"));
        File.WriteAllText(Path.Combine(package.CacheFolder, "native", "libtorch_cpu.so"), "truncated");

        var found = LibtorchFetch.NativeFolder(package, SettingsWith(Feed), null, CancellationToken.None);

        Assert.Equal(100_000, new FileInfo(Path.Combine(found.Folder, "libtorch_cpu.so")).Length);
        Assert.NotNull(found.DownloadedFrom);
        Assert.False(Directory.Exists(partial));

        // A library that shrank after the fetch (a disk that lost it) makes the folder incomplete again.
        File.WriteAllText(Path.Combine(found.Folder, "libtorch.so"), "");
        Assert.False(LibtorchFetch.IsComplete(found.Folder));
    }

    [Fact]
    public async Task TwoFirstRunsAtOnceFetchOneCopy()
    {
        var nupkg = Nupkg();
        File.WriteAllBytes(Path.Combine(Feed, $"{Id}.2.10.0.nupkg"), nupkg);
        var package = Pinned(nupkg);
        var progress = new Recorder { HoldFirstBytes = true }; // the first download waits until the other run waits for it
        using var start = new ManualResetEventSlim();
        var runs = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            start.Wait();
            return LibtorchFetch.NativeFolder(package, SettingsWith(Feed), progress, CancellationToken.None);
        })).ToArray();
        start.Set();
        var found = await Task.WhenAll(runs);

        Assert.Equal(found[0].Folder, found[1].Folder);
        Assert.Single(found, f => f.DownloadedFrom is not null);
        Assert.True(progress.Waiting.IsSet, "the second run did not wait for the first one's lock");
        Assert.Single(progress.Reports, r => r.Bytes == r.TotalBytes); // one download reached its end
        Assert.Single(Directory.GetDirectories(Path.GetDirectoryName(package.CacheFolder)!));
    }

    [Fact]
    public void ACachedCopyNeedsNoNuGetSettingsAndAnUnwritableCacheIsOneLine()
    {
        var nupkg = Nupkg();
        File.WriteAllBytes(Path.Combine(Feed, $"{Id}.2.10.0.nupkg"), nupkg);
        var package = Pinned(nupkg);
        var fetched = LibtorchFetch.NativeFolder(package, SettingsWith(Feed), null, CancellationToken.None);
        // A nuget.config that cannot be read (a read-only home, a broken file) does not matter once libtorch is cached.
        Assert.Equal(fetched.Folder, LibtorchFetch.NativeFolder(package, () => throw new InvalidOperationException("settings read"), null, CancellationToken.None).Folder);

        var file = _dir.Write("a-file", "not a folder");
        Environment.SetEnvironmentVariable("TEXTGEN_CACHE", Path.Combine(file, "cache"));
        var error = Assert.Throws<TextGenException>(() => LibtorchFetch.NativeFolder(Pinned(nupkg), SettingsWith(Feed), null, CancellationToken.None));
        Assert.Contains("set TEXTGEN_CACHE to a writable folder", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void APackageRestoredIntoTheGlobalPackagesFolderIsUsedWhereItIs()
    {
        var nupkg = Nupkg();
        var package = Pinned(nupkg);
        var global = _dir.File("global");
        var restored = Directory.CreateDirectory(Path.Combine(global, Id, "2.10.0", "runtimes", "linux-x64", "native")).FullName;
        File.WriteAllText(Path.Combine(restored, "libtorch_cpu.so"), "restored");
        File.WriteAllText(Path.Combine(global, Id, "2.10.0", $"{Id}.2.10.0.nupkg.sha512"), package.Sha512);
        Assert.Equal(restored + Path.DirectorySeparatorChar, package.InGlobalPackages(global));

        File.WriteAllText(Path.Combine(global, Id, "2.10.0", $"{Id}.2.10.0.nupkg.sha512"), Convert.ToBase64String(SHA512.HashData(Encoding.UTF8.GetBytes("another build"))));
        Assert.Null(package.InGlobalPackages(global));
    }

    [Fact]
    public void ThisBuildPinsTheLibtorchTorchSharpNeeds()
    {
        var package = LibtorchPackage.ForPlatform("linux-x64");
        Assert.NotNull(package);
        Assert.Equal("libtorch-cpu-linux-x64", package.Id);
        Assert.Equal(88, package.Sha512.Length); // base64 of 64 bytes
        Assert.True(package.Size > 50_000_000);
        Assert.NotNull(LibtorchPackage.ForPlatform("win-x64"));
        Assert.NotNull(LibtorchPackage.ForPlatform("osx-arm64"));
        Assert.Null(LibtorchPackage.ForPlatform("linux-arm64"));
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("TEXTGEN_CACHE", _cacheBefore);
        _dir.Dispose();
    }
}
