using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace TextGen.Tests.Setup;

/// <summary>
/// scripts/mkl-vendor.sh against fake /proc/cpuinfo files: on AMD it builds (once) and prints a library whose
/// mkl_serv_intel_cpu_true answers 1; on Intel, without a compiler, or when switched off it prints nothing and
/// succeeds, since the preload only speeds MKL up.
/// </summary>
[SupportedOSPlatform("linux")]
public class MklVendorScriptTests
{
    private static readonly string Script = FindScript();

    private static string FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "scripts", "mkl-vendor.sh");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("scripts/mkl-vendor.sh not found above the test assembly");
    }

    [Fact]
    public void OnAmdItBuildsALibraryThatAnswersIntel()
    {
        if (!CompilerOnPath()) return; // a bare machine: the script prints nothing (tested below with a missing compiler)
        using var dir = new TempDirectory();
        var (code, output) = Run(dir, "AuthenticAMD");
        Assert.Equal(0, code);
        var shim = output.Trim();
        Assert.EndsWith("/libtextgen-mkl-vendor.so", shim);
        var handle = NativeLibrary.Load(shim);
        try
        {
            var answer = Marshal.GetDelegateForFunctionPointer<IntAnswer>(NativeLibrary.GetExport(handle, "mkl_serv_intel_cpu_true"));
            Assert.Equal(1, answer());
        }
        finally
        {
            NativeLibrary.Free(handle);
        }
        var built = File.GetLastWriteTimeUtc(shim);
        Assert.Equal((0, shim), (Run(dir, "AuthenticAMD").Code, Run(dir, "AuthenticAMD").Output.Trim()));
        Assert.Equal(built, File.GetLastWriteTimeUtc(shim)); // built once
    }

    [Fact]
    public void ACompilerThatFailsIsNotAskedAgain()
    {
        using var dir = new TempDirectory();
        var counter = dir.File("calls");
        var failing = dir.Write("failing-cc", $"#!/bin/sh\necho x >> {counter}\nexit 1\n");
        File.SetUnixFileMode(failing, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.Equal((0, ""), (Run(dir, "AuthenticAMD", failing).Code, Run(dir, "AuthenticAMD", failing).Output.Trim()));
        Assert.Single(File.ReadAllLines(counter));
    }

    [Theory]
    [InlineData("GenuineIntel", null, null)]
    [InlineData("AuthenticAMD", "/nonexistent/cc", null)]
    [InlineData("AuthenticAMD", null, "off")]
    public void ElsewhereItPrintsNothingAndSucceeds(string vendor, string? compiler, string? setting)
    {
        using var dir = new TempDirectory();
        var (code, output) = Run(dir, vendor, compiler, setting);
        Assert.Equal(0, code);
        Assert.Equal("", output.Trim());
    }

    private delegate int IntAnswer();

    private static bool CompilerOnPath() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(folder => File.Exists(Path.Combine(folder, "cc")));

    private static (int Code, string Output) Run(TempDirectory dir, string vendor, string? compiler = null, string? setting = null)
    {
        Directory.CreateDirectory(dir.File("root/proc"));
        File.WriteAllText(dir.File("root/proc/cpuinfo"), $"processor\t: 0\nvendor_id\t: {vendor}\nmodel name\t: test CPU\n");
        var start = new ProcessStartInfo("bash", [Script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["TEXTGEN_SYSROOT"] = dir.File("root");
        start.Environment["TEXTGEN_CACHE"] = dir.File("cache");
        if (compiler is not null) start.Environment["CC"] = compiler;
        if (setting is not null) start.Environment["TEXTGEN_MKL_VENDOR"] = setting;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
