using System.Runtime.InteropServices;
using TextGen.Native;

namespace TextGen.Tests.Native;

/// <summary>
/// The shared object written byte by byte loads on any Linux x86-64 machine (whatever its CPU vendor) and its one
/// function answers 1, as MKL's own Intel check does on Intel CPUs.
/// </summary>
public class MklVendorAnswerTests
{
    [Fact]
    public unsafe void TheWrittenLibraryLoadsAndAnswersIntel()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return; // the answer is for Linux x86-64 only
        var handle = MklVendorAnswer.Load(MklVendorAnswer.SharedObject(), global: false); // not in this host's global scope
        Assert.NotEqual(0, handle);
        var answer = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, MklVendorAnswer.Symbol);
        Assert.Equal(1, answer());
        NativeLibrary.Free(handle);
    }

    /// <summary>
    /// The point of the answer: libtorch's own call binds to it. `textgen setup` in a child process, the answer forced
    /// on (so this runs on any x86-64 CPU) and the loader tracing its bindings: MKL's vendor check inside
    /// libtorch_cpu.so must bind to the memory file, not to libtorch_cpu.so's own definition.
    /// </summary>
    [Fact]
    public async Task LibtorchsVendorCheckBindsToTheAnswer()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return;
        using var dir = new TempDirectory();
        var start = new System.Diagnostics.ProcessStartInfo(Environment.ProcessPath!, [Path.Combine(AppContext.BaseDirectory, "textgen.dll"), "setup"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["TEXTGEN_MKL_VENDOR"] = "on";
        start.Environment["LD_DEBUG"] = "bindings";
        start.Environment["LD_DEBUG_OUTPUT"] = dir.File("ld");
        using var setup = System.Diagnostics.Process.Start(start)!;
        var output = setup.StandardOutput.ReadToEndAsync();
        var error = await setup.StandardError.ReadToEndAsync();
        await setup.WaitForExitAsync();
        Assert.True(setup.ExitCode == 0, error);
        Assert.Contains("MKL vendor check: answered Intel", await output);

        var bindings = Directory.GetFiles(dir.Path).SelectMany(File.ReadLines)
            .Where(line => line.Contains($"normal symbol `{MklVendorAnswer.Symbol}'", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(bindings);
        Assert.All(bindings, line => Assert.Matches(@"binding file \S*libtorch_cpu\.so \[0\] to /proc/self/fd/\d+ \[0\]", line));
    }
}
