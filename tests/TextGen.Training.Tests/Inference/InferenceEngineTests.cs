using TextGen.Generation;
using TextGen.Inference;
using TextGen.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace TextGen.Tests.Inference;

/// <summary>
/// The SIMD generation path and TorchSharp's float32 forward pass must both follow a float64 run of the same weights,
/// step after step, within what float32 rounding allows.
/// </summary>
public class InferenceEngineTests
{
    /// <summary>Unit roundoff of float32.</summary>
    private const double Roundoff = 1.0 / (1 << 24);

    [Theory]
    [InlineData(CellType.Lstm, false, 96)]
    [InlineData(CellType.Gru, false, 96)]
    [InlineData(CellType.Rnn, false, 96)]
    [InlineData(CellType.Lstm, true, 96)]
    [InlineData(CellType.Gru, true, 96)]
    [InlineData(CellType.Lstm, false, 300)] // large enough to split rows across cores; 300 is not a multiple of 8
    [InlineData(CellType.Lstm, false, 100)] // widths of 1-16 past a multiple of 32 met oneDNN's faulty kernel on Zen 5
    [InlineData(CellType.Gru, false, 300)]
    [InlineData(CellType.Rnn, false, 600)]
    public void LogitsFollowAFloat64RunOfTheSameWeightsFor200Steps(CellType cell, bool oneHot, int hidden)
    {
        var config = new RecurrentNetConfig { Cell = cell, Layers = 2, Hidden = hidden, Embedding = 24, OneHot = oneHot, VocabularySize = 37 };
        var (model, exact) = ModelAndFloat64Copy(config, seed: 42);
        using var disposeModel = model;
        using var disposeExact = exact;
        var engine = new InferenceEngine(model.ToWeights());
        var (headWeight, headBias) = exact.Head;
        var tolerance = ForwardErrorBound(config);

        var state = engine.NewState();
        var fast = new float[config.VocabularySize];
        var random = new Random(7);
        RecurrentState? single = null, reference = null;
        using var noGrad = no_grad();
        for (var step = 0; step < 200; step++)
        {
            var token = random.Next(config.VocabularySize);
            engine.Step([token], state, fast);
            using var scope = NewDisposeScope();
            var input = tensor(new long[] { token }, new long[] { 1, 1 });
            var (torchLogits, nextSingle) = model.call(input, single);
            var (exactLogits, nextReference) = exact.call(input, reference);
            single?.Dispose();
            reference?.Dispose();
            single = nextSingle.MoveToOuterDisposeScope();
            reference = nextReference.MoveToOuterDisposeScope();
            // What rounding can move logit v by: the dot products along the way, scaled by the magnitudes they sum.
            var lastHidden = reference.Hidden[^1].reshape(-1);
            var scale = (headWeight.abs().matmul(lastHidden.abs()) + headBias.abs()).data<double>().ToArray();
            var expected = exactLogits.reshape(-1).data<double>().ToArray();
            var libtorch = torchLogits.reshape(-1).data<float>().ToArray();
            for (var v = 0; v < expected.Length; v++)
            {
                var allowed = tolerance * Math.Max(scale[v], 1);
                Assert.True(Math.Abs(fast[v] - expected[v]) <= allowed, $"SIMD engine, step {step}, token {v}: {fast[v]} vs float64 {expected[v]} (allowed {allowed:E2})");
                Assert.True(Math.Abs(libtorch[v] - expected[v]) <= allowed, $"libtorch float32, step {step}, token {v}: {libtorch[v]} vs float64 {expected[v]} (allowed {allowed:E2})");
            }
        }
        single?.Dispose();
        reference?.Dispose();
    }

    /// <summary>
    /// Text sampled through the SIMD engine is the text a float64 run of the same weights samples with the same seed;
    /// test.sh runs this again with AVX-512, AVX2 and all SIMD switched off, so every instruction set the kernels
    /// dispatch to must produce the same text.
    /// </summary>
    [Theory]
    [InlineData(CellType.Lstm, 300)]
    [InlineData(CellType.Gru, 96)]
    public void SampledTokensAreThoseOfAFloat64Run(CellType cell, int hidden)
    {
        var config = new RecurrentNetConfig { Cell = cell, Layers = 2, Hidden = hidden, Embedding = 24, VocabularySize = 37 };
        var (model, exact) = ModelAndFloat64Copy(config, seed: 5);
        using var disposeModel = model;
        using var disposeExact = exact;
        var engine = new InferenceEngine(model.ToWeights());
        var fastTokens = new List<int> { 1 };
        var exactTokens = new List<int> { 1 };
        var sampling = new SamplingOptions { Temperature = 0.8 };
        var fastRandom = new Random(11);
        var exactRandom = new Random(11);
        var state = engine.NewState();
        var logits = new float[config.VocabularySize];
        RecurrentState? reference = null;
        using var noGrad = no_grad();
        for (var step = 0; step < 300; step++)
        {
            engine.Step([fastTokens[^1]], state, logits);
            fastTokens.Add(Sampler.Next(logits, sampling, fastRandom, []));
            using var scope = NewDisposeScope();
            var (exactLogits, next) = exact.call(tensor(new long[] { exactTokens[^1] }, new long[] { 1, 1 }), reference);
            reference?.Dispose();
            reference = next.MoveToOuterDisposeScope();
            var rounded = exactLogits.reshape(-1).data<double>().Select(x => (float)x).ToArray();
            exactTokens.Add(Sampler.Next(rounded, sampling, exactRandom, []));
        }
        reference?.Dispose();
        Assert.Equal(exactTokens, fastTokens);
    }

    /// <summary>
    /// Higham's bound for float32 dot products, n u / (1 - n u), with n the length of every product on the way from a
    /// token to a logit (each layer's input and recurrent products, then the head), relative to the sum of magnitudes.
    /// A worst case: over 200 steps both float32 paths stay under 0.3% of it in every case here, while libtorch's oneDNN
    /// LSTM kernel on Zen 5 (before OneDnnSwitch) went 96 and 346 times past it at widths 300 and 100.
    /// </summary>
    private static double ForwardErrorBound(RecurrentNetConfig config)
    {
        var input = config.OneHot ? config.VocabularySize : config.Embedding;
        var length = config.Hidden + input + config.Hidden + (config.Layers - 1) * 2 * config.Hidden;
        var nu = length * Roundoff;
        return nu / (1 - nu);
    }

    [Theory]
    [InlineData(40, 3)]
    [InlineData(260, 5)] // split across cores, four streams at a time plus one
    public void BatchedStepsEqualSeparateStreams(int hidden, int streams)
    {
        manual_seed(3);
        using var model = new LanguageNetwork(new RecurrentNetConfig { Cell = CellType.Lstm, Layers = 2, Hidden = hidden, Embedding = 8, VocabularySize = 11 });
        var engine = new InferenceEngine(model.ToWeights());
        var batched = engine.NewState(streams);
        var single = Enumerable.Range(0, streams).Select(_ => engine.NewState()).ToArray();
        var batchLogits = new float[streams * 11];
        var oneLogits = new float[11];
        var random = new Random(1);
        for (var step = 0; step < 50; step++)
        {
            var tokens = Enumerable.Range(0, streams).Select(_ => random.Next(11)).ToArray();
            engine.Step(tokens, batched, batchLogits);
            for (var s = 0; s < streams; s++)
            {
                engine.Step([tokens[s]], single[s], oneLogits);
                for (var v = 0; v < 11; v++) Assert.True(Math.Abs(oneLogits[v] - batchLogits[s * 11 + v]) < 1e-5, $"step {step}, stream {s}");
            }
        }
    }

    /// <summary>A float32 model in eval mode with random biases, and a float64 copy of the same weights.</summary>
    private static (LanguageNetwork Model, LanguageNetwork Exact) ModelAndFloat64Copy(RecurrentNetConfig config, int seed)
    {
        manual_seed(seed);
        var model = new LanguageNetwork(config);
        model.eval();
        RandomizeBiases(model);
        var exact = new LanguageNetwork(config);
        using (no_grad())
        {
            foreach (var ((_, target), (_, source)) in exact.named_parameters().Zip(model.named_parameters())) target.copy_(source);
        }
        exact.to(ScalarType.Float64).eval();
        return (model, exact);
    }

    /// <summary>PyTorch initialises biases small; larger ones make the test sensitive to mixing up gate biases.</summary>
    private static void RandomizeBiases(LanguageNetwork model)
    {
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (name.Contains("bias")) parameter.uniform_(-1, 1);
        }
    }
}
