namespace TextGen.Benchmarking;

/// <summary>Forward+backward throughput of one configuration.</summary>
public sealed record TrainThroughput(string Cell, int Layers, int Hidden, int Batch, int SeqLength, double TokensPerSecond, double Gflops, double FractionOfPeak);

/// <summary>Generation throughput of one configuration.</summary>
public sealed record SampleThroughput(string Cell, int Layers, int Hidden, int Vocab, int Batch, double TokensPerSecond);

/// <summary>The full training loop (data, metrics, progress, evaluation, checkpoints) next to a bare loop of the same shape.</summary>
public sealed record LoopComparison(string Cell, int Layers, int Hidden, int Batch, int SeqLength, double BareTokensPerSecond, double TrainerTokensPerSecond)
{
    public double Ratio => TrainerTokensPerSecond / BareTokensPerSecond;
}

public sealed record BenchmarkReport(double MatmulGflops, IReadOnlyList<TrainThroughput> Train, IReadOnlyList<SampleThroughput> Sample, LoopComparison? TrainLoop);
