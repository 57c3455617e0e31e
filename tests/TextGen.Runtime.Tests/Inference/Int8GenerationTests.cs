using TextGen.Inference;

namespace TextGen.Tests.Inference;

/// <summary>
/// Int8 generation: products within what quantization allows and the trained model's predictions kept, on every
/// kernel path (test.sh reruns these without AVX-512, AVX2 and SIMD: VNNI, AVX2's 16-bit products, the plain loop).
/// </summary>
public class Int8GenerationTests(ProseModel shared) : IClassFixture<ProseModel>
{
    [Theory]
    [InlineData(64, 512)]
    [InlineData(37, 300)]  // rows not a multiple of 4, columns not of 32
    [InlineData(5, 17)]
    public void ProductsStayWithinTheQuantizationBound(int rows, int columns)
    {
        var random = new Random(rows * columns);
        var weights = Enumerable.Range(0, rows * columns).Select(_ => (float)(random.NextDouble() * 2 - 1) * 0.3f).ToArray();
        var inputs = Enumerable.Range(0, 3 * columns).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var matrix = new Int8Matrix(weights, rows, columns);
        var quantized = new byte[3 * matrix.PaddedColumns];
        Int8Matrix.QuantizeInputs(inputs, columns, quantized, matrix.PaddedColumns);
        var outputs = Enumerable.Repeat(0.5f, 3 * rows).ToArray(); // MultiplyAdd adds to what is there
        matrix.MultiplyAdd(quantized, outputs, batch: 3, rowStart: 0, rowEnd: rows);
        double squares = 0;
        for (var b = 0; b < 3; b++)
            for (var r = 0; r < rows; r++)
            {
                var row = weights.AsSpan(r * columns, columns);
                double exact = 0.5, largest = 0;
                for (var c = 0; c < columns; c++)
                {
                    exact += row[c] * (double)inputs[b * columns + c];
                    largest = Math.Max(largest, Math.Abs(row[c]));
                }
                // Each term is off by at most half a weight step times |x| plus |w| times half an input step: largest / 127.
                var error = Math.Abs(outputs[b * rows + r] - exact);
                Assert.True(error <= columns * largest / 127 + 1e-5, $"row {r}, input {b}: {outputs[b * rows + r]} vs {exact}");
                squares += error * error / (largest * largest * columns);
            }
        // Rounding errors are independent, so they mostly cancel: the typical error is far inside the bound.
        Assert.True(Math.Sqrt(squares / (3 * rows)) < 0.01, $"RMS error {Math.Sqrt(squares / (3 * rows))} of largest * sqrt(columns)");
    }

    [Fact]
    public void TheTrainedModelPredictsAsItDoesInFloat32()
    {
        var float32 = shared.Generator.Engine;
        var int8 = new InferenceEngine(shared.Generator.Model.Weights, GenerationPrecision.Int8);
        var ids = shared.Generator.Tokenizer.Encode(Corpora.Prose(3)).Ids;
        var (a, b) = (float32.NewState(), int8.NewState());
        var (la, lb) = (new float[float32.VocabularySize], new float[int8.VocabularySize]);
        double natsA = 0, natsB = 0;
        var (agree, decisive) = (0, 0);
        for (var t = 0; t + 1 < ids.Length; t++)
        {
            float32.Step([ids[t]], a, la);
            int8.Step([ids[t]], b, lb);
            natsA += Nats(la, ids[t + 1]);
            natsB += Nats(lb, ids[t + 1]);
            // The bigram head holds equal log counts for many pairs; a tie is broken by rounding, so only clear winners count.
            var ordered = la.OrderDescending().ToArray();
            if (ordered[0] - ordered[1] < 0.05f) continue;
            decisive++;
            agree += Array.IndexOf(la, la.Max()) == Array.IndexOf(lb, lb.Max()) ? 1 : 0;
        }
        var steps = ids.Length - 1;
        Assert.True(Math.Abs(natsB - natsA) / steps < 0.01, $"cross-entropy {natsA / steps:F4} (fp32) vs {natsB / steps:F4} (int8)");
        Assert.True(decisive >= steps / 3, $"only {decisive} of {steps} steps have a clear likeliest token");
        Assert.True(agree >= 0.99 * decisive, $"likeliest token agrees on {agree} of {decisive} steps with a clear one");
    }

    private static double Nats(float[] logits, int target)
    {
        var max = logits.Max();
        return max + Math.Log(logits.Sum(l => Math.Exp(l - max))) - logits[target];
    }
}
