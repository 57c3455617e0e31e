using System.CommandLine;
using TextGen.Benchmarking;
using TextGen.Distributed;

namespace TextGen.Cli.Commands;

/// <summary>
/// `textgen bench`: throughput on generated weights and data; no corpus needed. Under mpirun, the gradient all-reduce
/// among the ranks instead (docs/distributed.md).
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var benchmark = new OptionBinder<BenchmarkOptions>();
        var json = SharedOptions.Json();
        var command = new Command("bench", "Measure matmul peak, training and sampling throughput on generated data.");
        foreach (var option in benchmark.Options.Append(json)) command.Add(option);
        command.SetAction(parse =>
        {
            var options = benchmark.Bind(parse);
            var error = parse.InvocationConfiguration.Error;
            var output = parse.InvocationConfiguration.Output;
            using var interrupt = new ConsoleInterrupt();
            var ranks = TrainingRanks.Join();
            if (ranks.Size > 1)
            {
                var timings = AllreduceBenchmark.Run(ranks, options, ranks.IsLeader ? new Lines(error) : null);
                if (ranks.IsLeader) WriteAllreduce(timings, parse.GetValue(json), output);
                ranks.Finish();
                return 0;
            }
            var report = BenchmarkSuite.Run(options, new Lines(error), interrupt.Token);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(output, report, CliJson.Default.BenchmarkReport);
                return 0;
            }
            output.WriteLine($"matmul peak: {report.MatmulGflops:F1} GFLOP/s (float32, {Environment.ProcessorCount} cores of {report.Cpu}; {MklVendor(report.MklVendor)})" +
                             (report.Bf16MatmulGflops is { } bf16 ? $"; bf16 {bf16:F1} GFLOP/s ({bf16 / report.MatmulGflops:F1}x)" : "; no bf16 instructions") +
                             (report.Int8Gops is { } int8 ? $"; int8 dot products {int8:F0} GOP/s (AVX-VNNI)" : "; no AVX-VNNI"));
            output.WriteLine();
            output.WriteLine($"{"train",-16}{"batch x seq",12}{"precision",11}{"tokens/s",12}{"vs fp32",9}{"GFLOP/s",10}{"of peak",9}");
            foreach (var t in report.Train)
            {
                var fp32 = report.Train.First(f => f.Cell == t.Cell && f.Layers == t.Layers && f.Hidden == t.Hidden && f.Precision == "fp32").TokensPerSecond;
                output.WriteLine($"{$"{t.Cell} {t.Layers}x{t.Hidden}",-16}{$"{t.Batch}x{t.SeqLength}",12}{t.Precision,11}{t.TokensPerSecond,12:N0}" +
                                 $"{t.TokensPerSecond / fp32,8:F2}x{t.Gflops,10:F1}{t.FractionOfPeak,9:P0}");
            }
            output.WriteLine();
            output.WriteLine($"{"sample",-16}{"batch",12}{"precision",11}{"tokens/s",12}{"vs fp32",9}{"of peak",9}");
            foreach (var s in report.Sample)
            {
                var fp32 = report.Sample.First(f => f.Cell == s.Cell && f.Batch == s.Batch && f.Precision == "fp32").TokensPerSecond;
                output.WriteLine($"{$"{s.Cell} {s.Layers}x{s.Hidden}",-16}{s.Batch,12}{s.Precision,11}{s.TokensPerSecond,12:N0}{s.TokensPerSecond / fp32,8:F2}x{s.FractionOfPeak,9:P0}");
            }
            if (report.TrainLoop is { } loop)
            {
                output.WriteLine();
                output.WriteLine($"training loop, {loop.Cell} {loop.Layers}x{loop.Hidden} {loop.Batch}x{loop.SeqLength} {loop.Precision}: " +
                                 $"textgen train {loop.TrainerTokensPerSecond:N0} tokens/s, bare loop {loop.BareTokensPerSecond:N0} ({loop.Ratio:P1})");
                if (loop.TrainerCpu is { } cpu)
                {
                    output.WriteLine($"  CPU time while training: user {cpu.UserSeconds:F1} s, system {cpu.SystemSeconds:F1} s ({cpu.SystemShare:P0} system), " +
                                     $"{cpu.CoresBusy:F2} cores busy over {cpu.WallSeconds:F1} s");
                }
            }
            if (report.Corpus.Count > 0)
            {
                output.WriteLine();
                output.WriteLine($"token cache, generated {report.Corpus[0].Megabytes:F0} MB corpus: MB/s per pass, then the cached start and batches read from the cache");
                output.WriteLine($"{"level",-8}{"tokens",14}{"hash",9}{"learn",9}{"tokenize",10}{"cached start",14}{"read tokens/s",16}");
                foreach (var c in report.Corpus)
                {
                    output.WriteLine($"{c.Level,-8}{c.Tokens,14:N0}{c.HashMegabytesPerSecond,9:N0}{c.LearnMegabytesPerSecond,9:N0}" +
                                     $"{c.TokenizeMegabytesPerSecond,10:N0}{c.CachedSeconds * 1000,11:N0} ms{c.StreamTokensPerSecond,16:N0}");
                }
            }
            return 0;
        });
        return command;
    }

    private static void WriteAllreduce(IReadOnlyList<AllreduceTiming> timings, bool json, TextWriter output)
    {
        if (json)
        {
            JsonOutput.Write(output, timings, CliJson.Default.IReadOnlyListAllreduceTiming);
            return;
        }
        output.WriteLine($"gradient all-reduce among {timings[0].Ranks} ranks (copies and bf16 rounding included; bus GB/s = 2(N-1)/N x bytes / time)");
        output.WriteLine($"{"network",-16}{"parameters",12}{"precision",11}{"bytes",13}{"ms",9}{"bus GB/s",10}");
        foreach (var t in timings)
        {
            output.WriteLine($"{$"{t.Cell} {t.Layers}x{t.Hidden}",-16}{t.Parameters,12:N0}{t.Precision,11}{t.Bytes,13:N0}{t.Milliseconds,9:F2}{t.BusGigabytesPerSecond,10:F2}");
        }
    }

    private static string MklVendor(string state) => state switch
    {
        "answered" => "MKL's vendor check answered Intel",
        "amd" => "MKL's slower AMD kernels: TEXTGEN_MKL_VENDOR=off, or the vendor answer could not be loaded",
        _ => "MKL",
    };

    private sealed class Lines(TextWriter error) : IProgress<string>
    {
        public void Report(string value) => error.WriteLine($"bench: {value} ...");
    }
}
