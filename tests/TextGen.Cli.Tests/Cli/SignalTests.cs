using System.Diagnostics;
using System.Runtime.Versioning;
using TextGen.Persistence;
using TextGen.Training;

namespace TextGen.Tests.Cli;

/// <summary>A real `textgen train` process, stopped the way a container or service manager stops it, or killed.</summary>
[SupportedOSPlatform("linux")]
public class SignalTests
{
    /// <summary>
    /// `textgen train ARGS` as a child process, with the same dotnet that runs this test host (it can load libtorch
    /// here: the private launcher where needed). Its standard error goes to <paramref name="onError"/>.
    /// </summary>
    private static Process StartTraining(string[] args, Action<string>? onError = null)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!, [Path.Combine(AppContext.BaseDirectory, "textgen.dll"), "train", .. args])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) onError?.Invoke(line.Data); };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    [Fact]
    public async Task SigtermStopsTrainingKeepingTheBestModelAndACheckpointWithExit143()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("c.txt", Corpora.Prose(20));
        var model = dir.File("m.tgm");
        var evaluated = new TaskCompletionSource();
        var error = new System.Text.StringBuilder();
        using var process = StartTraining([corpus, "--max-time", "120s", "--hidden", "32", "--batch-size", "8", "--seq-length", "16", "-o", model, "--seed", "1"], line =>
        {
            lock (error) error.AppendLine(line);
            if (line.Contains("val ")) evaluated.TrySetResult();
        });
        var first = await Task.WhenAny(evaluated.Task, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.True(first == evaluated.Task, $"no evaluation within a minute:\n{error}");

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])!) kill.WaitForExit();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(143, process.ExitCode);
        // A clean stop: the run said why, evaluated its last step and printed its summary (an abrupt exit does neither).
        Assert.Contains("Terminated: stopping after this step", error.ToString());
        Assert.Contains("Stopped after", error.ToString());
        using var saved = TrainableModel.Load(model);
        Assert.True(saved.Metadata.Training!.Steps > 0);
        Assert.True(Checkpoint.Load(Checkpoint.PathFor(model)).State.Step >= saved.Metadata.Training.Steps);
        Assert.DoesNotContain(dir.Files(), f => f.Contains(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AKilledTrainingLeavesALoadableModelAResumableCheckpointAndNoTempFileAfterTheNextRun()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("c.txt", Corpora.Prose(20));
        var model = dir.File("m.tgm");
        string[] shape = ["--hidden", "32", "--embedding", "8", "--batch-size", "8", "--seq-length", "16", "-o", model, "--seed", "1"];
        var random = new Random(20261128);
        for (var round = 0; round < 3; round++)
        {
            // The first round starts afresh, the others resume what the kill left: kills land at start-up, mid-step and
            // mid-save alike, at random moments after the process starts.
            string[] resume = round > 0 && File.Exists(Checkpoint.PathFor(model)) ? ["--resume"] : [];
            using var process = StartTraining([corpus, "--max-time", "60s", .. shape, .. resume]);
            await Task.Delay(TimeSpan.FromSeconds(1.5 + 3 * random.NextDouble()));
            process.Kill();
            await process.WaitForExitAsync();

            if (File.Exists(model))
            {
                using var saved = TrainableModel.Load(model); // never half-written
            }
        }
        // The next run resumes from whatever the kills left (or starts afresh if none got as far as a checkpoint).
        string[] again = File.Exists(Checkpoint.PathFor(model)) ? ["--resume"] : [];
        var steps = File.Exists(Checkpoint.PathFor(model)) ? Checkpoint.Load(Checkpoint.PathFor(model)).State.Step : 0;
        var next = CliRunner.Run(["train", corpus, "--epochs", "200", "--max-time", "3s", .. shape, .. again]);
        Assert.True(next.ExitCode == 0, next.ErrorLine);
        Assert.True(Checkpoint.Load(Checkpoint.PathFor(model)).State.Step >= steps);
        Assert.DoesNotContain(dir.Files(), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }
}
