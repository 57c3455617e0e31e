namespace TextGen.Benchmarking;

/// <summary>Forward+backward throughput of one configuration.</summary>
public sealed record TrainThroughput(string Cell, int Layers, int Hidden, int Batch, int SeqLength, double TokensPerSecond, double Gflops, double FractionOfPeak)
{
    /// <summary>The products' precision: fp32, or bf16 (LSTM, where the CPU has bf16 instructions), whose fraction is of the bf16 peak.</summary>
    public string Precision { get; init; } = "fp32";
}

/// <summary>Generation throughput of one configuration.</summary>
public sealed record SampleThroughput(string Cell, int Layers, int Hidden, int Vocab, int Batch, double TokensPerSecond)
{
    /// <summary>The engine's arithmetic: fp32, or int8 where the CPU has AVX-VNNI.</summary>
    public string Precision { get; init; } = "fp32";

    /// <summary>Achieved operations per second over the peak of the same arithmetic (the fp32 matmul peak, or the int8 dot-product peak).</summary>
    public double FractionOfPeak { get; init; }
}

/// <summary>The full training loop (data, metrics, progress, evaluation, checkpoints) next to a bare loop of the same shape.</summary>
public sealed record LoopComparison(string Cell, int Layers, int Hidden, int Batch, int SeqLength, double BareTokensPerSecond, double TrainerTokensPerSecond)
{
    public double Ratio => TrainerTokensPerSecond / BareTokensPerSecond;

    /// <summary>CPU time of the whole process while the trainer ran: user, system (kernel), and the wall time around them.</summary>
    public CpuTime? TrainerCpu { get; init; }

    /// <summary>The products' precision of both loops: what <c>textgen train</c> takes by default on this CPU.</summary>
    public string Precision { get; init; } = "fp32";
}

/// <summary>
/// Process CPU time over a stretch of wall time. System time is the kernel's share: thread wake-ups, spin-waits that
/// yield, page faults from allocation. It is spent on neither the model nor the data.
/// </summary>
public sealed record CpuTime(double UserSeconds, double SystemSeconds, double WallSeconds)
{
    public double SystemShare => UserSeconds + SystemSeconds > 0 ? SystemSeconds / (UserSeconds + SystemSeconds) : 0;
    public double CoresBusy => WallSeconds > 0 ? (UserSeconds + SystemSeconds) / WallSeconds : 0;

    /// <summary>Runs <paramref name="work"/> and measures this process's CPU time across it.</summary>
    public static (T Result, CpuTime Cpu) Measure<T>(Func<T> work)
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        var (user, system) = (process.UserProcessorTime, process.PrivilegedProcessorTime);
        var wall = System.Diagnostics.Stopwatch.StartNew();
        var result = work();
        process.Refresh();
        return (result, new CpuTime((process.UserProcessorTime - user).TotalSeconds, (process.PrivilegedProcessorTime - system).TotalSeconds, wall.Elapsed.TotalSeconds));
    }
}

public sealed record BenchmarkReport(double MatmulGflops, IReadOnlyList<TrainThroughput> Train, IReadOnlyList<SampleThroughput> Sample, LoopComparison? TrainLoop)
{
    /// <summary>The bf16 matrix-product peak where the CPU has bf16 instructions; null elsewhere.</summary>
    public double? Bf16MatmulGflops { get; init; }

    /// <summary>The int8 dot-product peak (AVX-VNNI, every core) in GOP/s; null where the CPU lacks it.</summary>
    public double? Int8Gops { get; init; }

    /// <summary>How MKL's vendor check stood for the fp32 peak (<see cref="CpuFeatures.MklVendor"/>).</summary>
    public string MklVendor { get; init; } = "intel";

    /// <summary>The CPU's model name, as the figures only mean something beside it.</summary>
    public string Cpu { get; init; } = "";

    /// <summary>The token cache's passes on a generated corpus, per tokenizer level; empty when skipped.</summary>
    public IReadOnlyList<CorpusThroughput> Corpus { get; init; } = [];
}
