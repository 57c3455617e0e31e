using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace TextGen.Native;

/// <summary>
/// libtorch needs GCC 13's C++ runtime (<c>GLIBCXX_3.4.32</c>); Debian 12 and Ubuntu 22.04 have older ones, and a .NET
/// process has loaded the system's before any of our code runs. So on such a system the program restarts itself once,
/// before libtorch is loaded, under a private copy of the <c>dotnet</c> launcher whose loader and libraries are a newer C
/// runtime in the per-user cache. That set-up is textgen-setup/setup.sh, which ships beside this library (in the tool, in
/// every program that references the package, and in a clone as scripts/setup.sh): it fetches the runtime with apt as an
/// ordinary user and changes nothing outside the cache. The system is left as it was.
/// </summary>
public static class PrivateCppRuntime
{
    public const string NeededSymbol = "GLIBCXX_3.4.32";
    /// <summary>Set in the restarted process, so that a private runtime that still falls short is an error, not a loop.</summary>
    private const string RestartedVariable = "TEXTGEN_PRIVATE_RUNTIME_STARTED";
    /// <summary><c>off</c>: never restart; a too-old runtime is reported in one line instead.</summary>
    public const string SwitchVariable = "TEXTGEN_PRIVATE_RUNTIME";

    /// <summary>Whether this process is the restarted one; the marker is then removed, so that programs it starts decide for themselves.</summary>
    private static readonly bool Restarted = TakeMarker();

    private static bool TakeMarker()
    {
        var restarted = Environment.GetEnvironmentVariable(RestartedVariable) is not null;
        Environment.SetEnvironmentVariable(RestartedVariable, null);
        return restarted;
    }

    /// <summary>
    /// Where the C++ runtime this process loaded lacks what libtorch needs: sets up the private one (once, into the
    /// cache) and replaces this process with the same program and arguments under it. Returns where nothing is needed.
    /// </summary>
    internal static void RestartIfNeeded()
    {
        if (!OperatingSystem.IsLinux() || LoadedLibstdcxx() is not { } loaded || HasNeededSymbol(loaded)) return;
        if (Restarted)
        {
            throw new TextGenException($"the private C++ runtime still loaded {loaded}, which lacks {NeededSymbol}; delete {UserCache.Root}/runtime-* and run this again.");
        }
        if (Environment.GetEnvironmentVariable(SwitchVariable) == "off")
        {
            throw new TextGenException($"this system's C++ runtime ({loaded}) lacks {NeededSymbol}, which libtorch needs, and {SwitchVariable}=off keeps textgen from setting up a private one; " +
                                       "install libstdc++ from GCC 13 or newer, or unset it.");
        }
        var dotnet = SetUp();
        if (dotnet == RunningDotnet())
        {
            // setup.sh found a new enough libstdc++ where the loader looks by default; this process mapped another.
            throw new TextGenException($"this process loaded {loaded}, which lacks {NeededSymbol}, though the system's libstdc++ has it; " +
                                       "unset LD_LIBRARY_PATH (or put a libstdc++ from GCC 13 or newer first in it) and run this again.");
        }
        Restart(dotnet);
    }

    /// <summary>The libstdc++ this process mapped (read from /proc/self/maps); null when none is loaded.</summary>
    public static string? LoadedLibstdcxx()
    {
        try
        {
            return File.ReadLines("/proc/self/maps").Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(fields => fields.Length >= 6 && Path.GetFileName(fields[5]).StartsWith("libstdc++.so.6", StringComparison.Ordinal))
                .Select(fields => fields[5]).FirstOrDefault();
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Whether a libstdc++ file defines the symbol version libtorch needs (its name is in the file's version table).</summary>
    internal static bool HasNeededSymbol(string library)
    {
        var needle = Encoding.ASCII.GetBytes(NeededSymbol);
        try
        {
            return File.ReadAllBytes(library).AsSpan().IndexOf(needle) >= 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true; // unreadable: let the loader give its own reason
        }
    }

    /// <summary>The set-up script beside this library: textgen-setup/setup.sh in a program's folder.</summary>
    internal static string Script()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "textgen-setup", "setup.sh");
        if (File.Exists(beside)) return beside;
        throw new TextGenException($"this system's C++ runtime lacks {NeededSymbol}, which libtorch needs, and {beside} (which sets up a private one) is missing; " +
                                   "reinstall textgen, or install libstdc++ from GCC 13 or newer.");
    }

    /// <summary>Runs the set-up and returns the private <c>dotnet</c> launcher it prints; its one problem line becomes the error.</summary>
    private static string SetUp()
    {
        var start = new ProcessStartInfo("bash", [Script()]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["TEXTGEN_DOTNET"] = RunningDotnet();
        start.Environment["TEXTGEN_CACHE"] = UserCache.Root;
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new TextGenException($"this system's C++ runtime lacks {NeededSymbol}, which libtorch needs, and bash (which sets up a private one) is missing; " +
                                       "install bash, or libstdc++ from GCC 13 or newer.");
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            string? problem = null;
            while (process.StandardError.ReadLine() is { } line)
            {
                if (line.StartsWith("setup: ", StringComparison.Ordinal)) problem = line["setup: ".Length..];
                else Console.Error.WriteLine(line); // what it is doing ("Fetching a private C runtime ...")
            }
            process.WaitForExit();
            var launcher = output.GetAwaiter().GetResult().Trim();
            if (process.ExitCode != 0 || !File.Exists(launcher))
            {
                throw new TextGenException(problem ?? $"setting up a private C++ runtime failed (exit {process.ExitCode}); install libstdc++ from GCC 13 or newer.");
            }
            return launcher;
        }
    }

    /// <summary>The <c>dotnet</c> launcher of the runtime running this process (three folders above the runtime's own).</summary>
    private static string RunningDotnet() =>
        Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));

    /// <summary>
    /// Replaces this process with <c>DOTNET ENTRY-ASSEMBLY ARGS...</c>, the environment kept and the marker added. Only
    /// a program started plainly (its apphost, or <c>dotnet app.dll</c>) is restarted: one started with host options
    /// (<c>dotnet exec --runtimeconfig ...</c>, a test host) would lose them, so it is told which launcher to use.
    /// </summary>
    private static void Restart(string dotnet)
    {
        var entry = Assembly.GetEntryAssembly()?.Location;
        if (string.IsNullOrEmpty(entry) || StartedWithHostOptions())
        {
            throw new TextGenException($"this system's C++ runtime lacks {NeededSymbol}, which libtorch needs; " +
                                       $"start this program with {dotnet} (a private C++ runtime, set up now) instead of dotnet.");
        }
        string?[] argv = [dotnet, entry, .. Environment.GetCommandLineArgs().Skip(1), null];
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => $"{e.Key}={e.Value}").Where(e => !e.StartsWith(RestartedVariable + "=", StringComparison.Ordinal))
            .Append($"{RestartedVariable}=1").Cast<string?>().Append(null).ToArray();
        Console.Out.Flush();
        Console.Error.Flush();
        execve(dotnet, argv, environment);
        throw new TextGenException($"could not start {dotnet} (error {Marshal.GetLastPInvokeError()}); delete {UserCache.Root}/runtime-* and run this again.");
    }

    // LPStr is UTF-8 on Linux.
    /// <summary>Whether the host was given options (<c>dotnet exec</c>, <c>--runtimeconfig</c>, <c>--depsfile</c>, ...) that a restart would not repeat.</summary>
    private static bool StartedWithHostOptions()
    {
        try
        {
            var arguments = File.ReadAllText("/proc/self/cmdline").Split('\0');
            return Path.GetFileName(arguments[0]) == "dotnet" // an apphost takes no host options
                   && arguments.Skip(1).TakeWhile(a => !a.EndsWith(".dll", StringComparison.Ordinal)).Any(a => a == "exec" || a.StartsWith("--", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    [DllImport("libc.so.6", SetLastError = true)]
    private static extern int execve([MarshalAs(UnmanagedType.LPStr)] string path,
        [MarshalAs(UnmanagedType.LPArray, ArraySubType = UnmanagedType.LPStr)] string?[] argv,
        [MarshalAs(UnmanagedType.LPArray, ArraySubType = UnmanagedType.LPStr)] string?[] envp);
}
