using static TorchSharp.torch;

namespace TextGen.Tests.Modeling;

/// <summary>The comparisons the fused recurrent layers' tests share.</summary>
internal static class LayerChecks
{
    /// <summary>
    /// Each tensor's gradient from backward, along a random direction, against central differences of the loss:
    /// the directional derivative both ways must agree within <paramref name="tolerance"/> (relative, at least 1).
    /// </summary>
    public static void AssertGradientsMatchFiniteDifferences(IEnumerable<Tensor> tensors, Func<Tensor> loss, double step, double tolerance)
    {
        foreach (var tensor in tensors)
        {
            tensor.grad?.zero_();
            loss().backward();
            var analytic = tensor.grad!.clone();
            var direction = randn_like(tensor);
            double Shifted(double by)
            {
                using var d = no_grad();
                tensor.add_(direction * by);
                var value = loss().to(ScalarType.Float64).item<double>();
                tensor.add_(direction * -by);
                return value;
            }
            var numeric = (Shifted(step) - Shifted(-step)) / (2 * step);
            var expected = (analytic * direction).sum().to(ScalarType.Float64).item<double>();
            Assert.True(Math.Abs(numeric - expected) <= tolerance * Math.Max(1, Math.Abs(expected)), $"directional derivative {expected} by backward, {numeric} by finite differences");
        }
    }

    public static void AssertRelative(Tensor expected, Tensor actual, double tolerance, string what)
    {
        var error = ((expected - actual).norm() / expected.norm()).item<float>();
        Assert.True(error <= tolerance, $"{what}: relative difference {error:G3}");
    }

    public static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        var error = (expected - actual).abs().max().to(ScalarType.Float64).item<double>();
        var scale = Math.Max(1, expected.abs().max().to(ScalarType.Float64).item<double>());
        Assert.True(error <= tolerance * scale, $"{what}: largest difference {error:G3} (scale {scale:G3})");
    }
}
