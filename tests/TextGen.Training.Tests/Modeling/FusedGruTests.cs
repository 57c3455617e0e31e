using TextGen.Modeling;
using TorchSharp;
using static TextGen.Tests.Modeling.LayerChecks;
using static TorchSharp.torch;

namespace TextGen.Tests.Modeling;

/// <summary>
/// The fused GRU against libtorch's nn.GRU (same seed: same weights, outputs, final state and every gradient), against
/// finite differences of its own loss, and its bf16 products against its float32 ones.
/// </summary>
public class FusedGruTests
{
    private static (FusedGru Fused, TorchSharp.Modules.GRU Reference) Pair(int input, int hidden, int layers, ScalarType type = ScalarType.Float32)
    {
        TextGen.Native.TorchRuntime.EnsureLoaded();
        manual_seed(7);
        var fused = new FusedGru(input, hidden, layers, dropout: 0);
        manual_seed(7);
        var reference = nn.GRU(input, hidden, layers, batchFirst: true);
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
    [InlineData(6, 20, 2, 3, 5, true)] // float64: every branch of the kernels in double
    public void MatchesNnGruInValuesAndGradients(int input, int hidden, int layers, int batch, int time, bool float64)
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
        var weights = randn(batch, time, hidden).to(type); // a loss that weights every output differently
        var xs = new[] { x.clone().requires_grad_(), x.clone().requires_grad_() };
        var h0s = new[] { h0.clone().requires_grad_(), h0.clone().requires_grad_() };

        var (y1, h1) = fused.call(xs[0], h0s[0]);
        var (y2, h2) = reference.call(xs[1], h0s[1]);
        AssertClose(y2, y1, tolerance / 10, "output");
        AssertClose(h2, h1, tolerance / 10, "final hidden state");

        ((y1 * weights).sum() + (h1 * h1).sum()).backward();
        ((y2 * weights).sum() + (h2 * h2).sum()).backward();
        AssertClose(xs[1].grad!, xs[0].grad!, tolerance, "input gradient");
        AssertClose(h0s[1].grad!, h0s[0].grad!, tolerance, "h0 gradient");
        foreach (var (name, value) in referenceParameters) AssertClose(value.grad!, fusedParameters[name].grad!, tolerance, $"{name} gradient");
    }

    [Fact]
    public void GradientsFromTheFinalStateAloneMatch()
    {
        var (fused, reference) = Pair(4, 9, 2);
        using var _ = fused;
        using var __ = reference;
        manual_seed(4);
        var x = randn(3, 6, 4);
        var xs = new[] { x.clone().requires_grad_(), x.clone().requires_grad_() };
        fused.call(xs[0], null).Hidden.sum().backward(); // the outputs' gradient is undefined, the final state's is not
        reference.call(xs[1], null).Item2.sum().backward();
        AssertClose(xs[1].grad!, xs[0].grad!, 1e-5, "input gradient through hT");
    }

    [Fact]
    public void WrongShapesAndTypesAreRefused()
    {
        TextGen.Native.TorchRuntime.EnsureLoaded();
        using var gru = new FusedGru(4, 8, 2, dropout: 0);
        Assert.Throws<ArgumentException>(() => gru.call(randn(2, 3, 5), null));
        Assert.Throws<ArgumentException>(() => gru.call(randn(2, 3), null));
        Assert.Throws<ArgumentException>(() => gru.call(randn(2, 3, 4).to(ScalarType.Float64), null));
        Assert.Throws<ArgumentException>(() => gru.call(randn(2, 3, 4), randn(1, 2, 8)));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var (fused, reference) = Pair(4, 6, 2, ScalarType.Float64);
        using var _ = fused;
        reference.Dispose();
        manual_seed(5);
        var x = randn(3, 5, 4).to(ScalarType.Float64);
        var weights = randn(3, 5, 6).to(ScalarType.Float64);
        Tensor Loss() => (fused.call(x, null).Output * weights).sum();

        LayerChecks.AssertGradientsMatchFiniteDifferences(fused.parameters().Append(x.requires_grad_()), Loss, step: 1e-5, tolerance: 1e-6);
    }

    [Fact]
    public void DropoutActsBetweenLayersOnlyWhileTraining()
    {
        TextGen.Native.TorchRuntime.EnsureLoaded();
        manual_seed(1);
        using var gru = new FusedGru(4, 8, 2, dropout: 0.5);
        var x = randn(2, 6, 4);
        gru.eval();
        var first = gru.call(x, null).Output;
        Assert.True(first.allclose(gru.call(x, null).Output, rtol: 0, atol: 0), "eval mode must be deterministic");
        gru.train();
        Assert.False(first.allclose(gru.call(x, null).Output), "training mode must drop units between layers");
    }

    [Theory]
    [InlineData(5, 7, 1, 3, 4)]
    [InlineData(24, 300, 2, 16, 9)]
    public void Bf16ProductsTrainCloseToFloat32AndLeaveEvaluationInFloat32(int input, int hidden, int layers, int batch, int time)
    {
        var (fused, reference) = Pair(input, hidden, layers);
        using var _ = fused;
        reference.Dispose();
        manual_seed(3);
        var x = randn(batch, time, input);
        var h0 = randn(layers, batch, hidden);
        var weights = randn(batch, time, hidden);
        (Tensor Output, Tensor Hidden, Tensor[] Gradients) Run(bool bf16)
        {
            fused.Bf16Products = bf16;
            var (xg, hg) = (x.clone().requires_grad_(), h0.clone().requires_grad_());
            foreach (var p in fused.parameters()) p.grad = null;
            var (y, h) = fused.call(xg, hg);
            Assert.Equal(ScalarType.Float32, y.dtype);
            ((y * weights).sum() + (h * h).sum()).backward();
            return (y.detach(), h.detach(), [xg.grad!, hg.grad!, .. fused.parameters().Select(p => p.grad!.clone())]);
        }

        var exact = Run(bf16: false);
        var mixed = Run(bf16: true);
        AssertRelative(exact.Output, mixed.Output, 0.02, "output");
        AssertRelative(exact.Hidden, mixed.Hidden, 0.02, "final hidden state");
        for (var i = 0; i < exact.Gradients.Length; i++) AssertRelative(exact.Gradients[i], mixed.Gradients[i], 0.03, $"gradient {i}");
        Assert.False(exact.Output.allclose(mixed.Output, rtol: 0, atol: 1e-6), "the bf16 products must round: this would be the float32 path");
        Assert.All(fused.parameters(), p => Assert.Equal(ScalarType.Float32, p.grad!.dtype));

        fused.eval();
        fused.Bf16Products = true;
        using var noGrad = no_grad();
        var evaluated = fused.call(x, h0).Output;
        fused.Bf16Products = false;
        Assert.True(evaluated.allclose(fused.call(x, h0).Output, rtol: 0, atol: 0), "eval mode must not take the bf16 products");
    }
}
