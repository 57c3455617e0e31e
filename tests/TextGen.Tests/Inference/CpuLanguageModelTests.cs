using TextGen.Inference;
using TextGen.Modeling;
using static TorchSharp.torch;

namespace TextGen.Tests.Inference;

/// <summary>The SIMD generation path must give the same logits as TorchSharp's forward pass, step after step.</summary>
public class CpuLanguageModelTests
{
    [Theory]
    [InlineData(CellType.Lstm, false, 96)]
    [InlineData(CellType.Gru, false, 96)]
    [InlineData(CellType.Rnn, false, 96)]
    [InlineData(CellType.Lstm, true, 96)]
    [InlineData(CellType.Gru, true, 96)]
    [InlineData(CellType.Lstm, false, 300)] // large enough to split rows across cores; 300 is not a multiple of 8
    [InlineData(CellType.Gru, false, 300)]
    [InlineData(CellType.Rnn, false, 600)]
    public void LogitsMatchTheTorchSharpForwardPassFor200Steps(CellType cell, bool oneHot, int hidden)
    {
        manual_seed(42);
        var config = new RecurrentNetConfig { Cell = cell, Layers = 2, Hidden = hidden, Embedding = 24, OneHot = oneHot, VocabularySize = 37 };
        using var model = new LanguageModel(config);
        model.eval();
        RandomizeBiases(model);
        var engine = new CpuLanguageModel(model);
        var state = engine.NewState();
        var fast = new float[config.VocabularySize];
        var random = new Random(7);
        RecurrentState? reference = null;
        using var noGrad = no_grad();
        for (var step = 0; step < 200; step++)
        {
            var token = random.Next(config.VocabularySize);
            engine.Step([token], state, fast);
            using var scope = NewDisposeScope();
            var (logits, next) = model.call(tensor(new long[] { token }, new long[] { 1, 1 }), reference);
            reference?.Dispose();
            reference = next.MoveToOuterDisposeScope();
            var expected = logits.data<float>().ToArray();
            for (var v = 0; v < expected.Length; v++)
            {
                Assert.True(Math.Abs(expected[v] - fast[v]) <= 1e-4, $"step {step}, token {v}: {expected[v]} vs {fast[v]}");
            }
        }
        reference?.Dispose();
    }

    [Theory]
    [InlineData(40, 3)]
    [InlineData(260, 5)] // split across cores, four streams at a time plus one
    public void BatchedStepsEqualSeparateStreams(int hidden, int streams)
    {
        manual_seed(3);
        using var model = new LanguageModel(new RecurrentNetConfig { Cell = CellType.Lstm, Layers = 2, Hidden = hidden, Embedding = 8, VocabularySize = 11 });
        var engine = new CpuLanguageModel(model);
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

    /// <summary>PyTorch initialises biases small; larger ones make the test sensitive to mixing up gate biases.</summary>
    private static void RandomizeBiases(LanguageModel model)
    {
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (name.Contains("bias")) parameter.uniform_(-1, 1);
        }
    }
}
