using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextGen.Modeling;

/// <summary>
/// The parameters of stacked LSTM or GRU layers as libtorch's <c>nn.LSTM</c> and <c>nn.GRU</c> make them: the same
/// names, shapes and order, each drawn uniform in ±1/√hidden, so the fused layers start from the same weights under
/// the same seed and read the same model files.
/// </summary>
internal static class RecurrentParameters
{
    /// <param name="gates">Gates per layer: 4 for LSTM, 3 for GRU.</param>
    public static IEnumerable<(string Name, Parameter Value)> Create(int gates, int inputSize, int hidden, int layers)
    {
        var bound = 1.0 / Math.Sqrt(hidden);
        for (var l = 0; l < layers; l++)
        {
            yield return Drawn($"weight_ih_l{l}", empty(gates * hidden, l == 0 ? inputSize : hidden));
            yield return Drawn($"weight_hh_l{l}", empty(gates * hidden, hidden));
            yield return Drawn($"bias_ih_l{l}", empty(gates * hidden));
            yield return Drawn($"bias_hh_l{l}", empty(gates * hidden));
        }
        (string, Parameter) Drawn(string name, Tensor value)
        {
            using (no_grad()) value.uniform_(-bound, bound);
            return (name, new Parameter(value));
        }
    }
}
