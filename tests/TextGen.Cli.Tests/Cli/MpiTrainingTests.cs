using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text.Json;
using TextGen.Persistence;
using TextGen.Training;

namespace TextGen.Tests.Cli;

/// <summary>A test that needs Open MPI's mpirun; skipped, saying so, where it is not installed (.ci/run installs it).</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (Mpirun is null) Skip = "mpirun not found: install Open MPI (apt-get install openmpi-bin) to run the MPI tests";
    }

    public static string? Mpirun { get; } = Environment.GetEnvironmentVariable("PATH")?.Split(':')
        .Select(folder => Path.Combine(folder, "mpirun")).FirstOrDefault(File.Exists);
}

/// <summary>`mpirun -n 2 textgen train`: the same training as one process with the whole batch, stops and faults.</summary>
[SupportedOSPlatform("linux")]
public class MpiTrainingTests
{
    private static readonly string[] Shape =
        ["--hidden", "32", "--embedding", "8", "--seq-length", "16", "--dropout", "0", "--precision", "fp32", "--seed", "5", "--sample-length", "0"];

    /// <summary>`textgen ARGS`, under `mpirun -n RANKS` when ranks is given, with the dotnet that runs this test host.</summary>
    private static Process Start(int? ranks, string[] args, Action<string>? onError = null) =>
        StartCommand(ranks is { } n ? [MpiFactAttribute.Mpirun!, "--oversubscribe", "-n", n.ToString(), .. Textgen(args)] : Textgen(args), onError);

    private static string[] Textgen(string[] args) => [Environment.ProcessPath!, Path.Combine(AppContext.BaseDirectory, "textgen.dll"), .. args];

    private static Process StartCommand(string[] command, Action<string>? onError)
    {
        var start = new ProcessStartInfo(command[0], command[1..]) { RedirectStandardError = true, RedirectStandardOutput = true };
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"; // CI runs as root
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) onError?.Invoke(line.Data); };
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<(int Code, string Output, string Error)> Run(int? ranks, params string[] args)
    {
        var error = new System.Text.StringBuilder();
        using var process = Start(ranks, args, line => { lock (error) error.AppendLine(line); });
        try
        {
            var output = await process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await process.WaitForExitAsync(timeout.Token);
            lock (error) return (process.ExitCode, output, error.ToString());
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true); // a hang fails the test, and leaves no ranks behind
        }
    }

    private static IReadOnlyDictionary<string, FloatTensor> CheckpointWeights(string model) =>
        StateDict.Read(Checkpoint.Load(Checkpoint.PathFor(model)).Weights, model);

    [MpiFact]
    public async Task TwoRanksWithBatchBReachTheWeightsAndLossOfOneRankWithBatch2B()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("c.txt", Corpora.Prose(20));
        var alone = await Run(null, ["train", corpus, "--epochs", "2", "--batch-size", "8", "-o", dir.File("one.tgm"), "--json", .. Shape]);
        var shared = await Run(2, ["train", corpus, "--epochs", "2", "--batch-size", "4", "-o", dir.File("two.tgm"), "--json", .. Shape]);
        Assert.True(alone.Code == 0, alone.Error);
        Assert.True(shared.Code == 0, shared.Error);

        // Rank 0 alone prints: one JSON document, which counts the ranks.
        using var one = JsonDocument.Parse(alone.Output);
        using var two = JsonDocument.Parse(shared.Output);
        Assert.Equal(1, one.RootElement.GetProperty("ranks").GetInt32());
        Assert.Equal(2, two.RootElement.GetProperty("ranks").GetInt32());
        var steps = one.RootElement.GetProperty("steps").GetInt64();
        Assert.True(steps >= 10, $"{steps} steps");
        Assert.Equal(steps, two.RootElement.GetProperty("steps").GetInt64());
        Assert.Equal(one.RootElement.GetProperty("train_loss").GetDouble(), two.RootElement.GetProperty("train_loss").GetDouble(), 1e-4);
        Assert.Equal(one.RootElement.GetProperty("val_loss").GetDouble(), two.RootElement.GetProperty("val_loss").GetDouble(), 1e-4);
        Assert.Equal(0, one.RootElement.GetProperty("allreduce_bytes_per_step").GetInt64());
        var parameters = two.RootElement.GetProperty("parameters").GetInt64();
        Assert.Equal(parameters * 4, two.RootElement.GetProperty("allreduce_bytes_per_step").GetInt64());

        // The weights after every step of both epochs: the same to float rounding (the sums are taken in another order).
        var expected = CheckpointWeights(dir.File("one.tgm"));
        var actual = CheckpointWeights(dir.File("two.tgm"));
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, tensor) in expected)
        {
            var largest = tensor.Values.Zip(actual[name].Values, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(largest < 1e-4, $"{name} differs by {largest}");
        }
    }

    [MpiFact]
    public async Task Bf16AllreduceSendsHalfTheBytesAndTrainsAsWell()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("c.txt", Corpora.Prose(20));
        var fp32 = await Run(2, ["train", corpus, "--epochs", "2", "--batch-size", "4", "-o", dir.File("fp32.tgm"), "--json", .. Shape]);
        var bf16 = await Run(2, ["train", corpus, "--epochs", "2", "--batch-size", "4", "-o", dir.File("bf16.tgm"), "--json", "--allreduce", "bf16", .. Shape]);
        Assert.True(fp32.Code == 0, fp32.Error);
        Assert.True(bf16.Code == 0, bf16.Error);
        using var full = JsonDocument.Parse(fp32.Output);
        using var half = JsonDocument.Parse(bf16.Output);
        Assert.Equal(full.RootElement.GetProperty("allreduce_bytes_per_step").GetInt64() / 2, half.RootElement.GetProperty("allreduce_bytes_per_step").GetInt64());
        var loss = full.RootElement.GetProperty("val_loss").GetDouble();
        Assert.Equal(loss, half.RootElement.GetProperty("val_loss").GetDouble(), 0.05 * loss);
        var exact = CheckpointWeights(dir.File("fp32.tgm"));
        var rounded = CheckpointWeights(dir.File("bf16.tgm"));
        Assert.Contains(exact, tensor => !tensor.Value.Values.SequenceEqual(rounded[tensor.Key].Values)); // the bf16 sums were taken
    }

    /// <summary>The rank processes mpirun started (its children), by rank.</summary>
    private static int RankPid(Process mpirun, int rank)
    {
        foreach (var folder in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
                if (parent != mpirun.Id) continue;
                var environment = File.ReadAllText(Path.Combine(folder, "environ")).Split('\0');
                if (environment.Contains($"OMPI_COMM_WORLD_RANK={rank}")) return int.Parse(Path.GetFileName(folder));
            }
            catch (IOException)
            {
                // a process that ended while being read
            }
        }
        throw new InvalidOperationException($"no rank {rank} under mpirun {mpirun.Id}");
    }

    private static async Task<(Process Mpirun, System.Text.StringBuilder Error)> StartAndAwaitAnEvaluation(string corpus, string model, params string[] more)
    {
        var evaluated = new TaskCompletionSource();
        var error = new System.Text.StringBuilder();
        var mpirun = Start(2, ["train", corpus, "--max-time", "120s", "--batch-size", "4", "-o", model, .. Shape, .. more], line =>
        {
            lock (error) error.AppendLine(line);
            if (line.Contains("val ")) evaluated.TrySetResult();
        });
        mpirun.OutputDataReceived += (_, _) => { };
        mpirun.BeginOutputReadLine();
        var first = await Task.WhenAny(evaluated.Task, Task.Delay(TimeSpan.FromSeconds(90)));
        if (first != evaluated.Task) mpirun.Kill(entireProcessTree: true);
        Assert.True(first == evaluated.Task, $"no evaluation within 90 s:\n{error}");
        return (mpirun, error);
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString()])!;
        kill.WaitForExit();
    }

    /// <summary>Waits for mpirun to end, killing it and its ranks when it does not within <paramref name="limit"/> (a hang).</summary>
    private static async Task AwaitExit(Process mpirun, TimeSpan limit)
    {
        try
        {
            using var timeout = new CancellationTokenSource(limit);
            await mpirun.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!mpirun.HasExited) mpirun.Kill(entireProcessTree: true);
        }
    }

    [MpiFact]
    public async Task SigtermOnOneRankStopsEveryRankWithACheckpointThatOneRankResumes()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("c.txt", Corpora.Prose(20));
        var model = dir.File("m.tgm");
        var (mpirun, error) = await StartAndAwaitAnEvaluation(corpus, model);
        using (mpirun)
        {
            Signal("TERM", RankPid(mpirun, 1));
            await AwaitExit(mpirun, TimeSpan.FromSeconds(60));
            Assert.Equal(143, mpirun.ExitCode);
        }
        // Rank 1's signal reached rank 0 at the next step, which then evaluated, saved and checkpointed.
        Assert.Contains("Stopped after", error.ToString());
        var checkpoint = Checkpoint.Load(Checkpoint.PathFor(model)).State;
        using (var saved = TrainableModel.Load(model)) Assert.Equal(2, saved.Metadata.Training!.Ranks);

        // One process goes on from it, with the whole batch of the two ranks (--max-time counts the first run's time too).
        var budget = $"{Math.Ceiling(checkpoint.ElapsedSeconds) + 5}s";
        var resumed = await Run(null, ["train", corpus, "--resume", "--max-time", budget, "--batch-size", "8", "-o", model, "--json", .. Shape]);
        Assert.True(resumed.Code == 0, resumed.Error);
        using var json = JsonDocument.Parse(resumed.Output);
        Assert.True(json.RootElement.GetProperty("steps").GetInt64() > checkpoint.Step);
    }

    [MpiFact]
    public async Task ARankThatDiesEndsTheRunWithinSecondsAndMpirunNamesIt()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("c.txt", Corpora.Prose(20));
        var (mpirun, error) = await StartAndAwaitAnEvaluation(corpus, dir.File("m.tgm"));
        using (mpirun)
        {
            var clock = Stopwatch.StartNew();
            Signal("KILL", RankPid(mpirun, 1));
            await AwaitExit(mpirun, TimeSpan.FromSeconds(30)); // never a hang
            Assert.NotEqual(0, mpirun.ExitCode);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        }
        Assert.Contains("process rank 1", error.ToString());
    }

    [MpiFact]
    public async Task CtrlCOnMpirunStopsEveryRankAfterTheStepWithTheCheckpointWritten()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("c.txt", Corpora.Prose(20));
        var model = dir.File("m.tgm");
        var (mpirun, error) = await StartAndAwaitAnEvaluation(corpus, model);
        using (mpirun)
        {
            Signal("INT", mpirun.Id);
            await AwaitExit(mpirun, TimeSpan.FromSeconds(60));
            Assert.NotEqual(0, mpirun.ExitCode);
        }
        // mpirun passes the interrupt on as SIGTERM to every rank, which stop as on their own signal.
        Assert.Contains("Stopped after", error.ToString());
        using var saved = TrainableModel.Load(model);
        Assert.True(Checkpoint.Load(Checkpoint.PathFor(model)).State.Step >= saved.Metadata.Training!.Steps);
    }

    [MpiFact]
    public async Task BenchUnderMpirunTimesTheGradientAllreduceInBothPrecisions()
    {
        var bench = await Run(2, "bench", "--cells", "lstm", "--layers", "1", "--hidden", "32,64", "--json");
        Assert.True(bench.Code == 0, bench.Error);
        using var json = JsonDocument.Parse(bench.Output); // rank 0's alone
        var timings = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(4, timings.Count);
        foreach (var pair in timings.Chunk(2))
        {
            var (fp32, bf16) = (pair[0], pair[1]);
            Assert.Equal(("fp32", "bf16"), (fp32.GetProperty("precision").GetString(), bf16.GetProperty("precision").GetString()));
            Assert.Equal(fp32.GetProperty("parameters").GetInt64() * 4, fp32.GetProperty("bytes").GetInt64());
            Assert.Equal(fp32.GetProperty("bytes").GetInt64() / 2, bf16.GetProperty("bytes").GetInt64());
            Assert.All(pair, t => Assert.True(t.GetProperty("milliseconds").GetDouble() > 0));
            Assert.All(pair, t => Assert.Equal(2, t.GetProperty("ranks").GetInt32()));
        }
    }

    [MpiFact]
    public async Task ARankThatReadOtherTokensIsRefusedInOneLineNamingItAndNothingHangs()
    {
        using var dir = new TempDirectory();
        // Open MPI's colon syntax gives each rank its own arguments: rank 1 reads another version of the corpus, as a
        // machine with a stale copy would.
        var same = dir.Write("c.txt", Corpora.Prose(20));
        var other = dir.Write("other/c.txt", Corpora.Prose(20) + "A line only this copy has.\n");
        string[] train = ["train", "--epochs", "1", "--batch-size", "4", "-o", dir.File("m.tgm"), .. Shape];
        var error = new System.Text.StringBuilder();
        using var mpirun = StartCommand([MpiFactAttribute.Mpirun!, "--oversubscribe", "-n", "1", .. Textgen([.. train, same]), ":", "-n", "1", .. Textgen([.. train, other])],
            line => { lock (error) error.AppendLine(line); });
        mpirun.OutputDataReceived += (_, _) => { };
        mpirun.BeginOutputReadLine();
        await AwaitExit(mpirun, TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, mpirun.ExitCode);
        var refusal = error.ToString().Split('\n').Single(line => line.StartsWith("textgen: ", StringComparison.Ordinal));
        Assert.StartsWith("textgen: rank 1 of 2: ", refusal);
        Assert.Contains("than rank 0 did", refusal);
        Assert.False(File.Exists(dir.File("m.tgm")));
    }
}
