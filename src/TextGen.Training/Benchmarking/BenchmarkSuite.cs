using TextGen.Modeling;
using TextGen.Settings;
using TextGen.Training;

namespace TextGen.Benchmarking;

/// <summary>Which configurations `textgen bench` measures, and for how long; declared once for the library and the CLI.</summary>
public sealed record BenchmarkOptions
{
    [Option("cells", "Cells to measure, e.g. lstm or rnn,lstm,gru.")]
    public CellType[] Cells { get; init; } = [CellType.Rnn, CellType.Lstm, CellType.Gru];

    [Option("layers", "Layer counts, e.g. 1,2,3.", Min = 1, Max = NetworkSettings.MaxLayers)]
    public int[] Layers { get; init; } = [1, 2, 3];

    [Option("hidden", "Hidden sizes, e.g. 128,256,512,1024.", Min = 1, Max = NetworkSettings.MaxWidth)]
    public int[] Hidden { get; init; } = [128, 256, 512, 1024];

    [Option("batch-size", "Sequences per training step.", Min = 1, Max = 4096)]
    public int Batch { get; init; } = new TrainingOptions().BatchSize;

    [Option("seq-length", "Timesteps per training step.", Min = 2, Max = 10_000)]
    public int SeqLength { get; init; } = new TrainingOptions().SequenceLength;

    public int Vocab { get; init; } = 65;
    public int Embedding { get; init; } = 64;

    [Option("seconds", "Seconds each throughput is measured for, after warm-up.", Min = 0.1, Max = 600)]
    public double Seconds { get; init; } = 2;

    [Option("loop-seconds", "Seconds the full training loop runs in the loop comparison; 0 skips it.", Min = 0, Max = 3600)]
    public double LoopSeconds { get; init; } = 20;

    [Option("corpus-mb", "Size of the generated corpus the token cache is measured on, in MB; 0 skips it.", Min = 0, Max = 1 << 20)]
    public int CorpusMegabytes { get; init; } = 64;

    public void Validate()
    {
        Declared<BenchmarkOptions>.Validate(this);
        if (Cells.Length == 0 || Layers.Length == 0 || Hidden.Length == 0) throw new SettingException("cells", "layers and hidden need at least one value each.");
    }
}

/// <summary>
/// Measures the machine's matmul peak, forward+backward throughput over a grid of architectures (with achieved GFLOP/s
/// from the exact FLOP count), sampling throughput, and the full training loop against a bare loop of the same shape.
/// </summary>
public static class BenchmarkSuite
{
    public static BenchmarkReport Run(BenchmarkOptions options, IProgress<string>? progress = null, CancellationToken cancel = default)
    {
        options.Validate();
        Native.TorchRuntime.EnsureLoaded();
        progress?.Report("matmul peak");
        var peak = Throughput.MatmulGflops();
        progress?.Report("bf16 matmul peak");
        var bf16 = Throughput.Bf16MatmulGflops();
        progress?.Report("int8 dot-product peak");
        var int8 = Throughput.Int8Gops();

        var train = new List<TrainThroughput>();
        foreach (var (cell, layers, hidden) in from c in options.Cells from l in options.Layers from h in options.Hidden select (c, l, h))
        {
            cancel.ThrowIfCancellationRequested();
            var config = Config(options, cell, layers, hidden);
            foreach (var precision in TrainingPrecisions.Available(cell))
            {
                progress?.Report($"train {Name(cell)} {layers}x{hidden} {precision.Name()}");
                var isBf16 = precision == TrainingPrecision.Bf16;
                var tokens = Throughput.BareTrainingTokensPerSecond(config, options.Batch, options.SeqLength, options.Seconds, warmupSeconds: 3, isBf16);
                var gflops = tokens * FlopCount.TrainingPerToken(config) / 1e9;
                var fraction = gflops / (isBf16 ? bf16 ?? peak : peak);
                train.Add(new TrainThroughput(Name(cell), layers, hidden, options.Batch, options.SeqLength, tokens, gflops, fraction) { Precision = precision.Name() });
            }
        }

        var sample = new List<SampleThroughput>();
        Inference.GenerationPrecision[] precisions = Inference.Int8Matrix.IsAccelerated
            ? [Inference.GenerationPrecision.Fp32, Inference.GenerationPrecision.Int8] : [Inference.GenerationPrecision.Fp32];
        foreach (var (cell, batch, precision) in from c in options.Cells from b in new[] { 1, 8 } from p in precisions select (c, b, p))
        {
            cancel.ThrowIfCancellationRequested();
            progress?.Report($"sample {Name(cell)} 2x512 batch {batch} {precision}");
            var config = Config(options, cell, 2, 512);
            var tokens = Throughput.SamplingTokensPerSecond(config, batch, options.Seconds, precision);
            var isInt8 = precision == Inference.GenerationPrecision.Int8;
            sample.Add(new SampleThroughput(Name(cell), 2, 512, options.Vocab, batch, tokens)
            {
                Precision = isInt8 ? "int8" : "fp32",
                FractionOfPeak = tokens * FlopCount.GenerationPerToken(config) / 1e9 / (isInt8 ? int8!.Value : peak),
            });
        }

        LoopComparison? loop = null;
        if (options.LoopSeconds > 0)
        {
            progress?.Report("training loop vs bare loop (default architecture)");
            loop = CompareLoops(options, cancel);
        }
        IReadOnlyList<CorpusThroughput> corpus = [];
        if (options.CorpusMegabytes > 0)
        {
            progress?.Report($"token cache on a generated {options.CorpusMegabytes} MB corpus");
            corpus = CorpusBenchmark.Run(options.CorpusMegabytes, options.Batch, options.SeqLength, options.Seconds, Enum.GetValues<Tokenization.TokenLevel>(), cancel);
        }
        return new BenchmarkReport(peak, train, sample, loop)
        {
            Bf16MatmulGflops = bf16,
            Int8Gops = int8,
            Cpu = CpuFeatures.ModelName,
            Corpus = corpus,
            MklVendor = CpuFeatures.MklVendor,
        };
    }

    /// <summary>
    /// The default architecture trained by <see cref="Trainer"/> on a generated corpus, against the bare loop.
    /// The trainer's figure covers everything but evaluation on the validation part: batching, the step, metrics,
    /// progress reports and checkpoints.
    /// </summary>
    public static LoopComparison CompareLoops(BenchmarkOptions options, CancellationToken cancel = default)
    {
        var defaults = new RecurrentNetConfig();
        var config = defaults with { VocabularySize = options.Vocab };
        var precision = TrainingPrecisions.Resolve(null, defaults.Cell); // what textgen train takes by default, on both sides
        var bare = Throughput.BareTrainingTokensPerSecond(config, options.Batch, options.SeqLength, options.LoopSeconds, warmupSeconds: 3, precision == TrainingPrecision.Bf16);

        var folder = Directory.CreateTempSubdirectory("textgen-bench-");
        try
        {
            var corpus = Path.Combine(folder.FullName, "generated.txt");
            File.WriteAllText(corpus, GeneratedText(2_000_000, options.Vocab));
            using var session = TrainingSession.Prepare(new TrainRequest
            {
                Corpora = [corpus],
                OutputPath = Path.Combine(folder.FullName, "bench.tgm"),
                Network = defaults,
                Training = new TrainingOptions
                {
                    BatchSize = options.Batch,
                    SequenceLength = options.SeqLength,
                    MaxTime = TimeSpan.FromSeconds(options.LoopSeconds),
                    Seed = 1,
                    Precision = precision,
                    SampleLength = 0, // the loop's speed is what is measured
                },
                Cache = new Data.TokenCache(folder.FullName),
            });
            var (result, cpu) = CpuTime.Measure(() => session.Run(new NullProgress(), cancel));
            var trainer = result.Summary.TokensPerSecond;
            return new LoopComparison(Name(defaults.Cell), defaults.Layers, defaults.Hidden, options.Batch, options.SeqLength, bare, trainer)
            {
                TrainerCpu = cpu,
                Precision = precision.Name(),
            };
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static string GeneratedText(int length, int alphabet)
    {
        var random = new Random(1);
        var symbols = Enumerable.Range(0, alphabet).Select(i => (char)('!' + i)).ToArray();
        return string.Create(length, random, (span, r) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = symbols[r.Next(symbols.Length)];
        });
    }

    internal static RecurrentNetConfig Config(BenchmarkOptions options, CellType cell, int layers, int hidden) =>
        new() { Cell = cell, Layers = layers, Hidden = hidden, Embedding = options.Embedding, VocabularySize = options.Vocab };

    public static string Name(CellType cell) => cell.ToString().ToLowerInvariant();

    /// <summary>A listener that does what the CLI's does per report, so the comparison includes it.</summary>
    private sealed class NullProgress : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => _ = value.TrainLoss.ToString("F3");
    }
}
