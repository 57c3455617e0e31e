using System.Runtime.InteropServices;
using TextGen.Modeling;
using TorchSharp;
using static TextGen.Tests.Modeling.LayerChecks;
using static TorchSharp.torch;

namespace TextGen.Tests.Modeling;

/// <summary>
/// The fused LSTM against libtorch's nn.LSTM (same seed: same weights, outputs, final states and every gradient) and
/// against finite differences of its own loss.
/// </summary>
public class FusedLstmTests
{
    private static (FusedLstm Fused, TorchSharp.Modules.LSTM Reference) Pair(int input, int hidden, int layers, ScalarType type = ScalarType.Float32)
    {
        TextGen.Native.TorchRuntime.EnsureLoaded();
        manual_seed(7);
        var fused = new FusedLstm(input, hidden, layers, dropout: 0);
        manual_seed(7);
        var reference = nn.LSTM(input, hidden, layers, batchFirst: true);
        fused.to(type);
        reference.to(type);
        return (fused, reference);
    }

    private static Dictionary<string, Tensor> Parameters(nn.Module module) =>
        module.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);

    [Theory]
    [InlineData(5, 16, 1, 3, 7, false)]
    [InlineData(24, 300, 2, 4, 9, false)] // a width that is no multiple of any vector length
    [InlineData(3, 7, 3, 2, 1, false)]
    [InlineData(6, 20, 2, 3, 5, true)] // float64, the parity tests' reference: every branch of the kernels in double
    public void MatchesNnLstmInValuesAndGradients(int input, int hidden, int layers, int batch, int time, bool float64)
    {
        var type = float64 ? ScalarType.Float64 : ScalarType.Float32;
        var tolerance = float64 ? 1e-12 : 1e-4;
        var (fused, reference) = Pair(input, hidden, layers, type);
        using var _ = fused;
        using var __ = reference;
        var fusedParameters = Parameters(fused);
        var referenceParameters = Parameters(reference);
        Assert.Equal(referenceParameters.Keys.Order(), fusedParameters.Keys.Order());
        foreach (var (name, value) in referenceParameters) Assert.True(value.allclose(fusedParameters[name], rtol: 0, atol: 0), $"{name} initialised differently");

        manual_seed(3);
        var x = randn(batch, time, input).to(type);
        var h0 = randn(layers, batch, hidden).to(type);
        var c0 = randn(layers, batch, hidden).to(type);
        var weights = randn(batch, time, hidden).to(type); // a loss that weights every output differently
        var xs = new[] { x.clone().requires_grad_(), x.clone().requires_grad_() };
        var h0s = new[] { h0.clone().requires_grad_(), h0.clone().requires_grad_() };
        var c0s = new[] { c0.clone().requires_grad_(), c0.clone().requires_grad_() };

        var (y1, h1, c1) = fused.call(xs[0], (h0s[0], c0s[0]));
        var (y2, h2, c2) = reference.call(xs[1], (h0s[1], c0s[1]));
        AssertClose(y2, y1, tolerance / 10, "output");
        AssertClose(h2, h1, tolerance / 10, "final hidden state");
        AssertClose(c2, c1, tolerance / 10, "final cell state");

        ((y1 * weights).sum() + h1.sum() * 0.5 + (c1 * c1).sum()).backward();
        ((y2 * weights).sum() + h2.sum() * 0.5 + (c2 * c2).sum()).backward();
        AssertClose(xs[1].grad!, xs[0].grad!, tolerance, "input gradient");
        AssertClose(h0s[1].grad!, h0s[0].grad!, tolerance, "h0 gradient");
        AssertClose(c0s[1].grad!, c0s[0].grad!, tolerance, "c0 gradient");
        foreach (var (name, value) in referenceParameters) AssertClose(value.grad!, fusedParameters[name].grad!, tolerance, $"{name} gradient");
    }

    [Fact]
    public void GradientsFromTheFinalStateAloneAndFromARetainedGraphMatch()
    {
        var (fused, reference) = Pair(4, 9, 2);
        using var _ = fused;
        using var __ = reference;
        manual_seed(4);
        var x = randn(3, 6, 4);
        var xs = new[] { x.clone().requires_grad_(), x.clone().requires_grad_() };
        // Only hT reaches the loss: the outputs' gradient is undefined, the final state's is not.
        var fusedLoss = fused.call(xs[0], null).Hidden.sum();
        reference.call(xs[1], null).Item2.sum().backward();
        fusedLoss.backward(retain_graph: true);
        AssertClose(xs[1].grad!, xs[0].grad!, 1e-5, "input gradient through hT");
        // A retained graph gives the same gradient again (they add up).
        fusedLoss.backward();
        AssertClose(xs[1].grad! * 2, xs[0].grad!, 1e-5, "second pass through the retained graph");
    }

    [Fact]
    public void WrongShapesAndTypesAreRefused()
    {
        TextGen.Native.TorchRuntime.EnsureLoaded();
        using var lstm = new FusedLstm(4, 8, 2, dropout: 0);
        Assert.Throws<ArgumentException>(() => lstm.call(randn(2, 3, 5), null));
        Assert.Throws<ArgumentException>(() => lstm.call(randn(2, 3), null));
        Assert.Throws<ArgumentException>(() => lstm.call(randn(2, 3, 4).to(ScalarType.Float64), null));
        Assert.Throws<ArgumentException>(() => lstm.call(randn(2, 3, 4), (randn(1, 2, 8), randn(1, 2, 8))));
        Assert.Throws<ArgumentException>(() => lstm.call(randn(2, 3, 4), (randn(2, 3, 8), randn(2, 3, 8))));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var (fused, reference) = Pair(4, 6, 2);
        using var _ = fused;
        reference.Dispose();
        manual_seed(5);
        var x = randn(3, 5, 4);
        var weights = randn(3, 5, 6);
        Tensor Loss() => (fused.call(x, null).Output * weights).sum();

        LayerChecks.AssertGradientsMatchFiniteDifferences(fused.parameters().Append(x.requires_grad_()), Loss, step: 1e-2, tolerance: 2e-3);
    }

    [Fact]
    public void OneLayerHasNoDropoutAnywhere()
    {
        TextGen.Native.TorchRuntime.EnsureLoaded();
        manual_seed(1);
        using var lstm = new FusedLstm(4, 8, 1, dropout: 0.5);
        var x = randn(2, 6, 4);
        lstm.eval();
        var expected = lstm.call(x, null).Output;
        lstm.train();
        Assert.True(expected.allclose(lstm.call(x, null).Output, rtol: 0, atol: 0), "dropout acts between layers only, not on the input or the last output");
    }

    [Fact]
    public void DropoutActsBetweenLayersOnlyWhileTraining()
    {
        TextGen.Native.TorchRuntime.EnsureLoaded();
        manual_seed(1);
        using var lstm = new FusedLstm(4, 8, 2, dropout: 0.5);
        var x = randn(2, 6, 4);
        lstm.eval();
        var first = lstm.call(x, null).Output;
        Assert.True(first.allclose(lstm.call(x, null).Output, rtol: 0, atol: 0), "eval mode must be deterministic");
        lstm.train();
        Assert.False(first.allclose(lstm.call(x, null).Output), "training mode must drop units between layers");
    }

    [Theory]
    [InlineData(5, 7, 1, 3, 4)] // every kernel's scalar tail
    [InlineData(24, 300, 2, 16, 9)]
    public void Bf16ProductsTrainCloseToFloat32AndLeaveEvaluationInFloat32(int input, int hidden, int layers, int batch, int time)
    {
        var (fused, reference) = Pair(input, hidden, layers);
        using var _ = fused;
        reference.Dispose();
        manual_seed(3);
        var x = randn(batch, time, input);
        var h0 = randn(layers, batch, hidden);
        var c0 = randn(layers, batch, hidden);
        var weights = randn(batch, time, hidden);
        (Tensor Output, Tensor Hidden, Tensor Cell, Tensor[] Gradients) Run(bool bf16)
        {
            fused.Bf16Products = bf16;
            var (xg, hg, cg) = (x.clone().requires_grad_(), h0.clone().requires_grad_(), c0.clone().requires_grad_());
            foreach (var p in fused.parameters()) p.grad = null;
            var (y, h, c) = fused.call(xg, (hg, cg));
            Assert.Equal(ScalarType.Float32, y.dtype);
            ((y * weights).sum() + h.sum() * 0.5 + (c * c).sum()).backward();
            return (y.detach(), h.detach(), c.detach(), [xg.grad!, hg.grad!, cg.grad!, .. fused.parameters().Select(p => p.grad!.clone())]);
        }

        var exact = Run(bf16: false);
        var mixed = Run(bf16: true);
        // bfloat16 keeps 8 significant bits (relative rounding 2^-9 ≈ 0.2%); errors grow through the steps but stay small.
        AssertRelative(exact.Output, mixed.Output, 0.02, "output");
        AssertRelative(exact.Hidden, mixed.Hidden, 0.02, "final hidden state");
        AssertRelative(exact.Cell, mixed.Cell, 0.02, "final cell state");
        for (var i = 0; i < exact.Gradients.Length; i++) AssertRelative(exact.Gradients[i], mixed.Gradients[i], 0.03, $"gradient {i}");
        Assert.False(exact.Output.allclose(mixed.Output, rtol: 0, atol: 1e-6), "the bf16 products must round: this would be the float32 path");
        Assert.All(fused.parameters(), p => Assert.Equal(ScalarType.Float32, p.grad!.dtype));

        fused.eval(); // evaluation keeps float32 products
        fused.Bf16Products = true;
        using var noGrad = no_grad();
        var evaluated = fused.call(x, (h0, c0)).Output;
        fused.Bf16Products = false;
        Assert.True(evaluated.allclose(fused.call(x, (h0, c0)).Output, rtol: 0, atol: 0), "eval mode must not take the bf16 products");
    }

    [Fact]
    public void Bf16ConversionRoundsAsLibtorchDoes()
    {
        TextGen.Native.TorchRuntime.EnsureLoaded();
        manual_seed(2);
        // 93 values: 64 through the 512-bit loop, 16 through the 256-bit one, 13 scalar; specials, ties and values near overflow among them.
        var values = (randn(93) * 100).data<float>().ToArray();
        float[] specials = [0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.MaxValue, -float.MaxValue, float.Epsilon,
            BitConverter.UInt32BitsToSingle(0x3F80_8000), BitConverter.UInt32BitsToSingle(0x3F81_8000), BitConverter.UInt32BitsToSingle(0x7F7F_FFFF), 1e-40f];
        specials.CopyTo(values, 30);
        var narrowed = new ushort[values.Length];
        BFloat16Rows.Narrow(values, narrowed);
        var expected = MemoryMarshal.Cast<byte, ushort>(tensor(values).to(ScalarType.BFloat16).bytes).ToArray();
        for (var i = 0; i < values.Length; i++)
        {
            if (float.IsNaN(values[i])) Assert.True((narrowed[i] & 0x7F80) == 0x7F80 && (narrowed[i] & 0x7F) != 0, "NaN must stay NaN");
            else Assert.True(expected[i] == narrowed[i], $"{values[i]:R}: libtorch {expected[i]:X4}, here {narrowed[i]:X4}");
        }
        var widened = new float[values.Length];
        BFloat16Rows.Widen(narrowed, widened);
        var back = tensor(values).to(ScalarType.BFloat16).to(ScalarType.Float32).data<float>().ToArray();
        for (var i = 0; i < values.Length; i++) Assert.Equal(BitConverter.SingleToUInt32Bits(back[i]) | (float.IsNaN(back[i]) ? 0xFFFF_FFFF : 0),
            BitConverter.SingleToUInt32Bits(widened[i]) | (float.IsNaN(widened[i]) ? 0xFFFF_FFFF : 0));
    }
}
