using System.Diagnostics;
using System.Runtime.Versioning;
using TextGen.Persistence;
using TextGen.Training;

namespace TextGen.Tests.Cli;

/// <summary>A real `textgen train` process, stopped the way a container or service manager stops it.</summary>
[SupportedOSPlatform("linux")]
public class SignalTests
{
    [Fact]
    public async Task SigtermStopsTrainingKeepingTheBestModelAndACheckpointWithExit143()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("c.txt", Corpora.Prose(20));
        var model = dir.File("m.tgm");
        // The same dotnet that runs this test host can load libtorch here (the private launcher where needed).
        var start = new ProcessStartInfo(Environment.ProcessPath!, [Path.Combine(AppContext.BaseDirectory, "textgen.dll"), "train", corpus,
            "--max-time", "120s", "--hidden", "32", "--batch-size", "8", "--seq-length", "16", "-o", model, "--seed", "1"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        var evaluated = new TaskCompletionSource();
        var error = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is null) return;
            lock (error) error.AppendLine(line.Data);
            if (line.Data.Contains("val ")) evaluated.TrySetResult();
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var first = await Task.WhenAny(evaluated.Task, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.True(first == evaluated.Task, $"no evaluation within a minute:\n{error}");

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])!) kill.WaitForExit();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(143, process.ExitCode);
        // A clean stop: the run said why, evaluated its last step and printed its summary (an abrupt exit does neither).
        Assert.Contains("Terminated: stopping after this step", error.ToString());
        Assert.Contains("Stopped after", error.ToString());
        using var saved = TrainedModel.Load(model);
        Assert.True(saved.Metadata.Training!.Steps > 0);
        Assert.True(Checkpoint.Load(Checkpoint.PathFor(model)).State.Step >= saved.Metadata.Training.Steps);
        Assert.DoesNotContain(dir.Files(), f => f.Contains(".tmp", StringComparison.Ordinal));
    }
}
