using System.Diagnostics;
using TextGen.Modeling;
using static TorchSharp.torch;

namespace TextGen.Benchmarking;

/// <summary>Measurements on generated weights and data: no corpus needed.</summary>
public static class Throughput
{
    /// <summary>Best of several float32 square matrix products, in GFLOP/s: the machine's practical peak.</summary>
    public static double MatmulGflops(int size = 1024, double seconds = 2, ScalarType type = ScalarType.Float32)
    {
        using var scope = NewDisposeScope();
        var a = randn(size, size).to(type);
        var b = randn(size, size).to(type);
        mm(a, b).Dispose();
        var best = 0.0;
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds)
        {
            var clock = Stopwatch.StartNew();
            using var c = mm(a, b);
            c.sum().to(ScalarType.Float32).item<float>();
            best = Math.Max(best, 2.0 * size * size * size / clock.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    /// <summary>
    /// The bf16 matrix-product peak (oneDNN, switched on for the measurement), where the CPU has bf16 instructions
    /// (avx512_bf16 or AMX); null elsewhere, where libtorch would emulate bf16 at a fraction of the fp32 speed.
    /// </summary>
    public static double? Bf16MatmulGflops(int size = 1024, double seconds = 2) =>
        CpuFeatures.HasBf16 ? Native.OneDnnSwitch.WithOneDnn(() => MatmulGflops(size, seconds, ScalarType.BFloat16)) : null;

    /// <summary>
    /// The int8 dot-product peak in GOP/s (a multiply and an add per byte pair) that the generation engine's kernel can
    /// reach: AVX-VNNI's vpdpbusd on registers, on every core; null where the CPU lacks it.
    /// </summary>
    public static double? Int8Gops(double seconds = 1)
    {
        if (!Inference.Int8Matrix.IsAccelerated) return null;
        const int rounds = 1 << 22; // tens of milliseconds per core: the hand-off to the pool threads is lost in it
        double Call()
        {
            var clock = Stopwatch.StartNew();
            Parallel.For(0, Environment.ProcessorCount, _ => Inference.Int8Matrix.DotProductLoop(rounds));
            return Environment.ProcessorCount * (double)rounds * Inference.Int8Matrix.DotProductLoopOps / clock.Elapsed.TotalSeconds / 1e9;
        }
        Call(); // warm-up: the JIT's optimised code and awake pool threads
        var best = 0.0; // best of, as the matmul peaks
        for (var total = Stopwatch.StartNew(); total.Elapsed.TotalSeconds < seconds;) best = Math.Max(best, Call());
        return best;
    }

    /// <summary>
    /// A bare training loop (random windows, Adam, clipping; nothing else) on random tokens, for at least
    /// <paramref name="seconds"/> after at least <paramref name="warmupSeconds"/> of warm-up steps. The bench and the width
    /// probe (ModelSizing.ProbeWarmupSeconds) warm up for seconds: the tiered JIT, the heap and oneDNN's bf16 kernels
    /// need them to reach their steady state (docs/training.md).
    /// </summary>
    public static double BareTrainingTokensPerSecond(RecurrentNetConfig config, int batch, int seqLength, double seconds, double warmupSeconds = 0.5, bool bf16Products = false)
    {
        manual_seed(1);
        using var model = new LanguageNetwork(config);
        model.Recurrent.Bf16Products = bf16Products;
        var parameters = model.parameters().ToArray();
        using var optimizer = new Training.Adam(parameters, 2e-3);
        var random = new Random(1);
        var inputs = new long[batch * seqLength];
        var targets = new long[batch * seqLength];
        var shape = new long[] { batch, seqLength };

        void Step()
        {
            for (var i = 0; i < inputs.Length; i++)
            {
                inputs[i] = random.Next(config.VocabularySize);
                targets[i] = random.Next(config.VocabularySize);
            }
            using var scope = NewDisposeScope();
            var (logits, _) = model.call(tensor(inputs, shape), null);
            var loss = nn.functional.cross_entropy(logits.reshape(-1, config.VocabularySize), tensor(targets));
            optimizer.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(parameters, 1.0);
            optimizer.step();
            loss.item<float>();
        }

        return Timed(Step, warmup: 2, seconds, warmupSeconds) * batch * seqLength;
    }

    /// <summary>Tokens per second generating with the SIMD engine (<see cref="Inference.InferenceEngine"/>) and the sampler, <paramref name="batch"/> streams.</summary>
    public static double SamplingTokensPerSecond(RecurrentNetConfig config, int batch, double seconds, Inference.GenerationPrecision precision = Inference.GenerationPrecision.Fp32)
    {
        manual_seed(1);
        using var model = new LanguageNetwork(config);
        var engine = new Inference.InferenceEngine(model.ToWeights(), precision);
        var state = engine.NewState(batch);
        var logits = new float[batch * config.VocabularySize];
        var next = new int[batch];
        var random = new Random(1);
        var options = new Generation.SamplingOptions { Temperature = 1 };

        void Step()
        {
            engine.Step(next, state, logits);
            for (var b = 0; b < batch; b++)
            {
                next[b] = Generation.Sampler.Next(logits.AsSpan(b * config.VocabularySize, config.VocabularySize), options, random, []);
            }
        }

        return Timed(Step, warmup: 20, seconds) * batch;
    }

    /// <summary>
    /// Calls per second of <paramref name="step"/> after warm-up (the given calls, and at least
    /// <paramref name="warmupSeconds"/> so the JIT has promoted the hot code), measured for at least the given time and 3 calls.
    /// </summary>
    public static double Timed(Action step, int warmup, double seconds, double warmupSeconds = 0.5)
    {
        var warming = Stopwatch.StartNew();
        for (var i = 0; i < warmup || warming.Elapsed.TotalSeconds < warmupSeconds; i++) step();
        var clock = Stopwatch.StartNew();
        var calls = 0;
        while (calls < 3 || clock.Elapsed.TotalSeconds < seconds)
        {
            step();
            calls++;
        }
        return calls / clock.Elapsed.TotalSeconds;
    }
}
