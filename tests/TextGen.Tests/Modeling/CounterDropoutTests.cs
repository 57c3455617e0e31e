using TextGen.Modeling;
using static TorchSharp.torch;

namespace TextGen.Tests.Modeling;

public class CounterDropoutTests
{
    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    public void KeepsOneMinusPOfTheElementsScaledAndPassesGradientsThroughTheMask(double p)
    {
        TextGen.Native.TorchRuntime.EnsureLoaded();
        manual_seed(2);
        var x = ones(64, 50, 257).requires_grad_(); // an odd width: the scalar tail after the vector lanes
        var y = CounterDropout.Apply(x, p, training: true);
        var kept = (y != 0).to(ScalarType.Float64).mean().item<double>();
        var n = x.numel();
        Assert.InRange(kept, 1 - p - 5 * Math.Sqrt(p * (1 - p) / n), 1 - p + 5 * Math.Sqrt(p * (1 - p) / n));
        Assert.Equal(1 / (1 - p), y.max().item<float>(), 4);
        y.sum().backward();
        Assert.True(x.grad!.allclose(y.detach(), rtol: 0, atol: 0), "the gradient is the mask");
        // Neighbouring elements and rows are independent: the keep rate of pairs is the square of the rate.
        var keptMask = (y != 0).to(ScalarType.Float64).reshape(-1);
        var pairs = (keptMask[..^1] * keptMask[1..]).mean().item<double>();
        Assert.InRange(pairs, kept * kept - 0.01, kept * kept + 0.01);
    }

    [Fact]
    public void TheSeedDecidesTheMaskAndEachCallDrawsANewOne()
    {
        TextGen.Native.TorchRuntime.EnsureLoaded();
        var x = ones(8, 100);
        manual_seed(5);
        var first = CounterDropout.Apply(x, 0.3, training: true);
        var second = CounterDropout.Apply(x, 0.3, training: true);
        manual_seed(5);
        Assert.True(first.allclose(CounterDropout.Apply(x, 0.3, training: true), rtol: 0, atol: 0));
        Assert.False(first.allclose(second));
    }

    [Fact]
    public void OutsideTrainingItIsTheIdentity()
    {
        TextGen.Native.TorchRuntime.EnsureLoaded();
        var x = randn(4, 9);
        using var dropout = new CounterDropout(0.5);
        dropout.eval();
        Assert.True(x.allclose(dropout.call(x), rtol: 0, atol: 0));
        Assert.True(x.allclose(CounterDropout.Apply(x, 0, training: true), rtol: 0, atol: 0));
    }
}
