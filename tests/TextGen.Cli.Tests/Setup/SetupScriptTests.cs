using System.Diagnostics;
using System.Runtime.Versioning;

namespace TextGen.Tests.Setup;

/// <summary>
/// scripts/setup.sh against fixture machines: os-release and apt folders under a fake root, and fakes for every
/// program it calls (ldconfig, uname, apt-get, dpkg-deb, the unpacked loader and patchelf, dotnet), which record
/// their arguments. A machine whose libstdc++ is new enough is left alone; elsewhere the script prints a private
/// launcher or exits non-zero with one `setup:` line.
/// </summary>
[SupportedOSPlatform("linux")]
public class SetupScriptTests
{
    private const string StockDebianSources = """
        Types: deb
        URIs: http://deb.debian.org/debian
        Suites: bookworm bookworm-updates
        Components: main
        Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

        Types: deb
        URIs: http://deb.debian.org/debian-security
        Suites: bookworm-security
        Components: main
        Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

        """;

    private const string Debian12 = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";
    private const string Ubuntu2204 = "NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=jammy\n";
    private const string Fedora = "NAME=\"Fedora Linux\"\nVERSION_ID=40\nID=fedora\n";

    [Fact]
    public void ANewEnoughLibstdcxxNeedsNothing()
    {
        using var machine = new FixtureMachine(Debian12, libstdcxxHasSymbol: true);
        var result = machine.RunSetup();
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(machine.Dotnet, result.Output.Trim());
        Assert.Equal("", result.Error);
        Assert.Equal("", machine.Calls("apt-get"));
    }

    [Theory]
    [InlineData("deb822 only", StockDebianSources, null, "http://deb.debian.org/debian")]
    [InlineData("sources.list only", null,
        "deb [arch=amd64] http://ftp.de.debian.org/debian/ bookworm main\ndeb http://security.debian.org/debian-security bookworm-security main\n",
        "http://ftp.de.debian.org/debian/")]
    [InlineData("both", StockDebianSources, "# deb http://old.example/debian bookworm main\n", "http://deb.debian.org/debian")]
    public void OnDebian12ItFetchesAPrivateRuntimeFromTrixieThroughTheMirrorInUse(string layout, string? sources, string? list, string mirror)
    {
        using var machine = new FixtureMachine(Debian12, libstdcxxHasSymbol: false, debianSources: sources, sourcesList: list);
        var result = machine.RunSetup();
        Assert.True(result.ExitCode == 0, $"{layout}: {result.Error}");
        var launcher = Path.Combine(machine.Cache, "runtime-trixie", "dotnet", "dotnet");
        Assert.Equal(launcher, result.Output.Trim());
        var lib = Path.Combine(machine.Cache, "runtime-trixie", "lib");
        Assert.True(File.Exists(Path.Combine(lib, "libstdc++.so.6")), "the runtime holds the newer libstdc++");
        Assert.Contains($"] {mirror} trixie main", machine.SourcesListUsed());
        Assert.Contains("download libc6 libstdc++6 libgcc-s1 patchelf", machine.Calls("apt-get"));
        Assert.Contains($"--set-interpreter {lib}/ld-linux-x86-64.so.2 --force-rpath --set-rpath {lib} ", machine.Calls("patchelf"));
        Assert.Contains("--list-runtimes", machine.Calls("dotnet"));
        // Nothing under the machine's own /etc changed, and apt used state of its own.
        Assert.Equal(machine.EtcAtStart, machine.EtcNow());
        Assert.Contains($"Dir::State={machine.Cache}/.fetch.", machine.Calls("apt-get"));
    }

    [Fact]
    public void ASecondRunReusesTheCache()
    {
        using var machine = new FixtureMachine(Debian12, libstdcxxHasSymbol: false, debianSources: StockDebianSources);
        Assert.Equal(0, machine.RunSetup().ExitCode);
        machine.ClearCalls();
        var again = machine.RunSetup();
        Assert.Equal(0, again.ExitCode);
        Assert.Equal("", again.Error);
        Assert.Equal("", machine.Calls("apt-get"));
        Assert.Equal("", machine.Calls("patchelf"));
    }

    [Fact]
    public void OnUbuntu2204ItTakesNobleFromTheUbuntuMirror()
    {
        using var machine = new FixtureMachine(Ubuntu2204, libstdcxxHasSymbol: false,
            sourcesList: "deb http://archive.ubuntu.com/ubuntu/ jammy main restricted\ndeb http://security.ubuntu.com/ubuntu/ jammy-security main\n");
        var result = machine.RunSetup();
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.EndsWith("runtime-noble/dotnet/dotnet", result.Output.Trim());
        Assert.Contains("ubuntu-archive-keyring.gpg] http://archive.ubuntu.com/ubuntu/ noble main universe", machine.SourcesListUsed());
    }

    [Theory]
    [InlineData("fedora", "install libstdc++ from GCC 13 or newer")]
    [InlineData("no mirror", "found no Debian mirror")]
    [InlineData("no network", "could not read trixie's package index")]
    [InlineData("no keyring", "debian-archive-keyring.gpg is missing")]
    [InlineData("no apt", "apt-get or dpkg-deb is missing")]
    [InlineData("arm64", "Linux x86-64 only, and this machine is aarch64")]
    [InlineData("no os-release", "the distribution is unknown")]
    [InlineData("no dotnet", "install the .NET 10 SDK")]
    [InlineData("snap dotnet", "is a wrapper (snap, a version manager)")]
    public void EveryRefusalIsOneLineNamingTheFix(string situation, string expected)
    {
        using var machine = situation switch
        {
            "fedora" => new FixtureMachine(Fedora, libstdcxxHasSymbol: false),
            "no mirror" => new FixtureMachine(Debian12, libstdcxxHasSymbol: false, sourcesList: "deb https://packages.example.com/apt stable main\n"),
            "no network" => new FixtureMachine(Debian12, libstdcxxHasSymbol: false, debianSources: StockDebianSources, network: false),
            "no keyring" => new FixtureMachine(Debian12, libstdcxxHasSymbol: false, debianSources: StockDebianSources, keyring: false),
            "no apt" => new FixtureMachine(Debian12, libstdcxxHasSymbol: false, debianSources: StockDebianSources, apt: false),
            "arm64" => new FixtureMachine(Debian12, libstdcxxHasSymbol: false, machineName: "aarch64"),
            "no os-release" => new FixtureMachine(null, libstdcxxHasSymbol: false),
            "no dotnet" => new FixtureMachine(Debian12, libstdcxxHasSymbol: true, dotnet: false),
            "snap dotnet" => new FixtureMachine(Debian12, libstdcxxHasSymbol: false, debianSources: StockDebianSources, dotnet: false, dotnetIsWrapper: true),
            _ => throw new ArgumentOutOfRangeException(nameof(situation)),
        };
        var result = machine.RunSetup();
        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("", result.Output);
        // One setup: line saying why, after at most the notice that a fetch started.
        var lines = result.Error.TrimEnd('\n').Split('\n');
        Assert.True(lines.Count(l => l.StartsWith("setup: ", StringComparison.Ordinal)) == 1, $"{situation}:\n{result.Error}");
        Assert.True(lines.Length == 1 || (lines.Length == 2 && lines[0].StartsWith("Fetching a private C runtime")), $"{situation}:\n{result.Error}");
        Assert.StartsWith("setup: ", lines[^1]);
        Assert.Contains(expected, lines[^1]);
        var left = Directory.Exists(machine.Cache) ? Directory.GetFileSystemEntries(machine.Cache).Select(Path.GetFileName).Where(n => n != ".lock") : [];
        Assert.Empty(left); // nothing half-made is left in the cache
    }

    [Fact]
    public void TheFetchSaysWhatItDoesAndLeavesNoTemporaryFolders()
    {
        using var machine = new FixtureMachine(Debian12, libstdcxxHasSymbol: false, debianSources: StockDebianSources);
        var result = machine.RunSetup();
        Assert.Equal(0, result.ExitCode);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("Fetching a private C runtime from trixie", result.Error);
        Assert.Empty(Directory.GetDirectories(machine.Cache, ".fetch.*"));
        Assert.Empty(Directory.GetDirectories(Path.Combine(machine.Cache, "runtime-trixie"), ".dotnet.*"));
    }

    /// <summary>A fake machine in a temporary folder: /etc under a root of its own and a bin folder of fakes.</summary>
    private sealed class FixtureMachine : IDisposable
    {
        private readonly TempDirectory folder = new();
        private readonly string bin;
        private readonly string tools;
        private readonly string log;
        private readonly string root;

        public FixtureMachine(string? osRelease, bool libstdcxxHasSymbol, string? debianSources = null, string? sourcesList = null,
            bool network = true, bool keyring = true, bool apt = true, string machineName = "x86_64", bool dotnet = true, bool dotnetIsWrapper = false)
        {
            root = folder.File("root");
            bin = folder.File("bin");
            log = folder.File("calls");
            Cache = folder.File("cache");
            Directory.CreateDirectory(Path.Combine(root, "etc", "apt", "sources.list.d"));
            Directory.CreateDirectory(Path.Combine(root, "usr", "share", "keyrings"));
            Directory.CreateDirectory(bin);
            Directory.CreateDirectory(log);
            tools = folder.File("tools");
            Directory.CreateDirectory(tools);
            // The ordinary tools the script uses, and no others: a program not faked here is missing.
            foreach (var tool in StandardTools)
            {
                var real = new[] { "/usr/bin", "/bin" }.Select(d => Path.Combine(d, tool)).First(File.Exists);
                File.CreateSymbolicLink(Path.Combine(tools, tool), real);
            }
            if (osRelease is not null) File.WriteAllText(Path.Combine(root, "etc", "os-release"), osRelease);
            if (debianSources is not null) File.WriteAllText(Path.Combine(root, "etc", "apt", "sources.list.d", "debian.sources"), debianSources);
            if (sourcesList is not null) File.WriteAllText(Path.Combine(root, "etc", "apt", "sources.list"), sourcesList);
            if (keyring)
            {
                File.WriteAllText(Path.Combine(root, "usr", "share", "keyrings", "debian-archive-keyring.gpg"), "keys");
                File.WriteAllText(Path.Combine(root, "usr", "share", "keyrings", "ubuntu-archive-keyring.gpg"), "keys");
            }
            EtcAtStart = EtcNow();
            var systemLibrary = folder.Write("libstdc++.so.6.0.30", libstdcxxHasSymbol ? "GLIBCXX_3.4.30 GLIBCXX_3.4.32" : "GLIBCXX_3.4.30");
            Fake("ldconfig", $"echo '\tlibstdc++.so.6 (libc6,x86-64) => {systemLibrary}'");
            Fake("uname", $"echo {machineName}");
            if (dotnet)
            {
                Fake("dotnet", "exit 0");
                Directory.CreateDirectory(Path.Combine(bin, "host")); // the real launcher sits beside host/, shared/, sdk/
            }
            if (dotnetIsWrapper)
            {
                Fake("snap", "exit 0"); // snap's dotnet is a link to /usr/bin/snap
                File.CreateSymbolicLink(Path.Combine(bin, "dotnet"), Path.Combine(bin, "snap"));
            }
            if (apt)
            {
                // apt-get update fails like apt without a network; download writes one stand-in .deb per package.
                Fake("apt-get", network
                    ? """
                      for a in "$@"; do case "$a" in Dir::Etc::SourceList=*) cp "${a#*=}" "$FAKE_LOG/sources.list.used" ;; esac; done
                      if [ "$1" = -q ] && printf '%s\n' "$@" | grep -qx download; then
                        for p in libc6 libstdc++6 libgcc-s1 patchelf; do echo "$p" > "${p}_1.0_amd64.deb"; done
                      fi
                      """
                    : """
                      echo "E: Failed to fetch http://deb.debian.org/debian/dists/trixie/InRelease  Temporary failure resolving 'deb.debian.org'"
                      exit 100
                      """);
                // dpkg-deb -x DEB DIR: lays out what the real packages hold (merged /usr).
                Fake("dpkg-deb", """
                    lib="$3/usr/lib/x86_64-linux-gnu"; mkdir -p "$lib" "$3/usr/bin"
                    case "$(cat "$2")" in
                      libc6) printf '#!/bin/sh\necho "ld.so $*" >> "$FAKE_LOG/ld.so"\nshift 2\nexec "$@"\n' > "$lib/ld-linux-x86-64.so.2"
                        chmod +x "$lib/ld-linux-x86-64.so.2"; echo libc > "$lib/libc.so.6" ;;
                      libstdc++6) echo GLIBCXX_3.4.32 > "$lib/libstdc++.so.6.0.33"; ln -s libstdc++.so.6.0.33 "$lib/libstdc++.so.6" ;;
                      libgcc-s1) echo gcc > "$lib/libgcc_s.so.1" ;;
                      patchelf) printf '#!/bin/sh\necho "patchelf $*" >> "$FAKE_LOG/patchelf"\n' > "$3/usr/bin/patchelf"; chmod +x "$3/usr/bin/patchelf" ;;
                    esac
                    """);
            }
        }

        private static readonly string[] StandardTools =
            ["sh", "bash", "cat", "cp", "mv", "rm", "ln", "mkdir", "chmod", "mktemp", "stat", "readlink", "dirname", "basename",
             "grep", "sed", "awk", "tr", "head", "find", "id", "flock"];

        public string Cache { get; }

        public string EtcAtStart { get; }

        /// <summary>Every file under the fixture's /etc with its content.</summary>
        public string EtcNow() => string.Join("\n", Directory.GetFiles(Path.Combine(root, "etc"), "*", SearchOption.AllDirectories)
            .Order().Select(f => $"{f}: {File.ReadAllText(f)}"));

        public string Dotnet => Path.Combine(bin, "dotnet");

        /// <summary>What a fake recorded, one call a line ("" when it was never called).</summary>
        public string Calls(string program)
        {
            var path = Path.Combine(log, program);
            return File.Exists(path) ? File.ReadAllText(path) : "";
        }

        public string SourcesListUsed() => File.ReadAllText(Path.Combine(log, "sources.list.used"));

        public void ClearCalls()
        {
            foreach (var file in Directory.GetFiles(log)) File.Delete(file);
        }

        public (int ExitCode, string Output, string Error) RunSetup()
        {
            var start = new ProcessStartInfo("/bin/bash", [ScriptPath()]) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["PATH"] = $"{bin}:{tools}";
            start.Environment["HOME"] = folder.Path;
            start.Environment["TEXTGEN_SYSROOT"] = root;
            start.Environment["TEXTGEN_CACHE"] = Cache;
            start.Environment["FAKE_LOG"] = log;
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(60_000), "setup.sh did not finish within a minute");
            return (process.ExitCode, output.Result, error.Result);
        }

        /// <summary>A fake program that logs its arguments, then runs <paramref name="body"/>.</summary>
        private void Fake(string name, string body)
        {
            var path = Path.Combine(bin, name);
            File.WriteAllText(path, $"#!/bin/sh\necho \"$*\" >> \"$FAKE_LOG/{name}\"\n{body}\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        private static string ScriptPath()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "scripts", "setup.sh");
                if (File.Exists(candidate)) return candidate;
            }
            throw new FileNotFoundException("scripts/setup.sh not found above the test assembly");
        }

        public void Dispose() => folder.Dispose();
    }
}
