using TextGen.Inference;
using TextGen.Modeling;
using static TorchSharp.torch;

namespace TextGen.Tests.Inference;

/// <summary>The SIMD generation path must give the same logits as TorchSharp's forward pass, step after step.</summary>
public class CpuLanguageModelTests
{
    [Theory]
    [InlineData(CellType.Lstm, false)]
    [InlineData(CellType.Gru, false)]
    [InlineData(CellType.Rnn, false)]
    [InlineData(CellType.Lstm, true)]
    [InlineData(CellType.Gru, true)]
    public void LogitsMatchTheTorchSharpForwardPassFor200Steps(CellType cell, bool oneHot)
    {
        manual_seed(42);
        var config = new RecurrentNetConfig { Cell = cell, Layers = 2, Hidden = 96, Embedding = 24, OneHot = oneHot, VocabularySize = 37 };
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

    [Fact]
    public void BatchedStepsEqualSeparateStreams()
    {
        manual_seed(3);
        using var model = new LanguageModel(new RecurrentNetConfig { Cell = CellType.Lstm, Layers = 2, Hidden = 40, Embedding = 8, VocabularySize = 11 });
        var engine = new CpuLanguageModel(model);
        var batched = engine.NewState(3);
        var single = Enumerable.Range(0, 3).Select(_ => engine.NewState()).ToArray();
        var batchLogits = new float[3 * 11];
        var oneLogits = new float[11];
        var random = new Random(1);
        for (var step = 0; step < 50; step++)
        {
            var tokens = new[] { random.Next(11), random.Next(11), random.Next(11) };
            engine.Step(tokens, batched, batchLogits);
            for (var s = 0; s < 3; s++)
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
