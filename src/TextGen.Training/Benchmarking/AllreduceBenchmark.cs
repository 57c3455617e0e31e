using System.Diagnostics;
using TextGen.Distributed;
using TextGen.Modeling;
using TextGen.Training;
using static TorchSharp.torch;

namespace TextGen.Benchmarking;

/// <summary>One network's gradient all-reduce among the ranks of an mpirun: its bytes and what one takes.</summary>
public sealed record AllreduceTiming(string Cell, int Layers, int Hidden, long Parameters, int Ranks, string Precision, long Bytes, double Milliseconds)
{
    /// <summary>
    /// Bytes each rank moves per second in a ring all-reduce, 2(N−1)/N times the buffer (the "bus bandwidth" of NCCL's
    /// tests): comparable across rank counts and with a network's line rate.
    /// </summary>
    public double BusGigabytesPerSecond => Ranks > 1 ? 2.0 * (Ranks - 1) / Ranks * Bytes / (Milliseconds / 1000) / 1e9 : 0;
}

/// <summary>
/// What `textgen bench` measures when mpirun starts it: the gradient exchange of training (<see cref="GradientExchange"/>,
/// copies and bfloat16 rounding included) for each network of the options, in fp32 and bf16. The ranks meet at a barrier
/// before each exchange, so the time is the exchange's, not a wait for a slower rank as it is within training.
/// </summary>
public static class AllreduceBenchmark
{
    private const int Repeats = 20;

    public static IReadOnlyList<AllreduceTiming> Run(TrainingRanks ranks, BenchmarkOptions options, IProgress<string>? progress = null)
    {
        options.Validate();
        Native.TorchRuntime.EnsureLoaded();
        var timings = new List<AllreduceTiming>();
        foreach (var cell in options.Cells)
        {
            foreach (var layers in options.Layers)
            {
                foreach (var hidden in options.Hidden)
                {
                    var config = BenchmarkSuite.Config(options, cell, layers, hidden);
                    progress?.Report($"all-reduce of {BenchmarkSuite.Name(cell)} {layers}x{hidden}");
                    using var network = new LanguageNetwork(config);
                    var parameters = network.parameters().ToArray();
                    using (var scope = NewDisposeScope())
                    {
                        foreach (var parameter in parameters) parameter.grad = zeros_like(parameter).MoveToOuterDisposeScope();
                    }
                    foreach (var precision in new[] { TrainingPrecision.Fp32, TrainingPrecision.Bf16 })
                    {
                        var exchange = new GradientExchange(ranks, parameters, precision);
                        var clock = new Stopwatch();
                        for (var i = -3; i < Repeats; i++) // three to warm up
                        {
                            ranks.Barrier();
                            if (i == 0) clock.Reset();
                            clock.Start();
                            using (NewDisposeScope()) exchange.SumGradients();
                            clock.Stop();
                        }
                        timings.Add(new AllreduceTiming(BenchmarkSuite.Name(cell), layers, hidden, network.ParameterCount, ranks.Size, precision.Name(), exchange.BytesPerStep,
                            clock.Elapsed.TotalMilliseconds / Repeats));
                    }
                }
            }
        }
        return timings;
    }
}
