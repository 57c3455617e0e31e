// Tokenizer throughput with BenchmarkDotNet: dotnet run -c Release --project tests/TextGen.Benchmarks -- CORPUS.txt
using BenchmarkDotNet.Running;
using TextGen.Benchmarks;

var corpus = args.FirstOrDefault(File.Exists) ?? new[] { "../shared/data/tinyshakespeare.txt", "corpora/moby-dick.txt" }.FirstOrDefault(File.Exists);
if (corpus is null)
{
    Console.Error.WriteLine("benchmarks: pass a UTF-8 corpus file (e.g. corpora/moby-dick.txt after ./textgen train fetched it).");
    return 1;
}
TokenizerBenchmarks.CorpusPath = Path.GetFullPath(corpus);
Environment.SetEnvironmentVariable("TEXTGEN_BENCH_CORPUS", TokenizerBenchmarks.CorpusPath);
var summary = BenchmarkRunner.Run<TokenizerBenchmarks>(args: args.Where(a => !File.Exists(a)).ToArray());
var sizes = new TokenizerBenchmarks();
sizes.Setup();
Console.WriteLine();
Console.WriteLine($"Throughput on {Path.GetFileName(corpus)}:");
foreach (var report in summary.Reports)
{
    var name = report.BenchmarkCase.Descriptor.WorkloadMethod.Name;
    if (report.ResultStatistics is not { } stats) continue;
    var megabytes = sizes.BytesFor(name) / 1e6;
    Console.WriteLine($"  {name,-22} {megabytes / (stats.Mean / 1e9),10:F1} MB/s ({stats.Mean / 1e6:F1} ms per call)");
}
return 0;
