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
        var x = ones(64, 50, 257).requires_grad_();
        var y = CounterDropout.Apply(x, p, training: true);
        var keptMask = (y != 0).to(ScalarType.Float64).reshape(-1);
        var kept = keptMask.mean().item<double>();
        var n = x.numel();
        Assert.InRange(kept, 1 - p - 5 * Math.Sqrt(p * (1 - p) / n), 1 - p + 5 * Math.Sqrt(p * (1 - p) / n));
        Assert.Equal(1 / (1 - p), y.max().item<float>(), 4);
        y.sum().backward();
        Assert.True(x.grad!.allclose(y.detach(), rtol: 0, atol: 0), "the gradient is the mask");
        // Neighbours, rows and calls are independent: pairs are kept at the square of the rate (within 5 sigma).
        var sigma = 5 * Math.Sqrt(kept * kept * (1 - kept * kept) / n);
        foreach (var lag in new[] { 1, 257, 50 * 257 })
        {
            var pairs = (keptMask[..^lag] * keptMask[lag..]).mean().item<double>();
            Assert.InRange(pairs, kept * kept - sigma, kept * kept + sigma);
        }
        var again = (CounterDropout.Apply(x.detach(), p, training: true) != 0).to(ScalarType.Float64).reshape(-1);
        Assert.InRange((keptMask * again).mean().item<double>(), kept * kept - sigma, kept * kept + sigma);
    }

    [Fact]
    public void TheVectorLanesAndTheScalarTailDrawTheSameMask()
    {
        // 1,003 elements: vector lanes, then a tail; float64 takes the scalar path for every element.
        var single = new float[1003];
        var wide = new double[1003];
        CounterDropout.Fill<float>(single, 12345, 0.3);
        CounterDropout.Fill<double>(wide, 12345, 0.3);
        Assert.Equal(wide.Select(v => v != 0), single.Select(v => v != 0));
        Assert.InRange(single.Count(v => v == 0), 230, 370);
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
