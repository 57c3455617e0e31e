using TorchSharp;
using static TorchSharp.torch;

namespace TextGen.Modeling;

/// <summary>
/// Stacked LSTM layers over batch-first input, a drop-in for <c>nn.LSTM(batchFirst: true)</c>: the same parameters
/// under the same names, drawn from the random generator in the same order, the same dropout between layers, and
/// each layer one <see cref="LstmLayerFunction"/> (docs/training.md has its speed against nn.LSTM).
/// </summary>
public sealed class FusedLstm : nn.Module<Tensor, (Tensor, Tensor)?, (Tensor Output, Tensor Hidden, Tensor Cell)>
{
    private readonly int _layers;
    private readonly double _dropout;

    public FusedLstm(int inputSize, int hidden, int layers, double dropout) : base("FusedLstm")
    {
        Hidden = hidden;
        _layers = layers;
        _dropout = dropout;
        foreach (var (name, value) in RecurrentParameters.Create(4, inputSize, hidden, layers)) register_parameter(name, value);
    }

    public int Hidden { get; }

    /// <summary>
    /// Whether training runs the products in bf16 (<see cref="LstmLayerFunction"/>'s mixed precision: float32 weights,
    /// gate arithmetic, states and gradients). Evaluation mode and float64 always compute in the weights' type.
    /// </summary>
    public bool Bf16Products { get; set; }

    public override (Tensor Output, Tensor Hidden, Tensor Cell) forward(Tensor input, (Tensor, Tensor)? state)
    {
        using var scope = NewDisposeScope();
        Check(input, state);
        long batch = input.shape[0];
        var (h0, c0) = state ?? (zeros(_layers, batch, Hidden, input.dtype), zeros(_layers, batch, Hidden, input.dtype));
        var sequence = input.transpose(0, 1).contiguous(); // time-major inside: each step's rows are contiguous
        var finalHidden = new Tensor[_layers];
        var finalCell = new Tensor[_layers];
        for (var l = 0; l < _layers; l++)
        {
            if (l > 0) sequence = CounterDropout.Apply(sequence, _dropout, training);
            // Looked up by name on each call: Module.to(dtype) replaces the parameters.
            var results = LstmLayerFunction.apply(sequence, h0[l].contiguous(), c0[l].contiguous(),
                get_parameter($"weight_ih_l{l}"), get_parameter($"weight_hh_l{l}"), get_parameter($"bias_ih_l{l}"), get_parameter($"bias_hh_l{l}"),
                Bf16Products && training && input.dtype == ScalarType.Float32);
            (sequence, finalHidden[l], finalCell[l]) = (results[0], results[1], results[2]);
        }
        var output = sequence.transpose(0, 1).contiguous();
        return (output.MoveToOuterDisposeScope(), stack(finalHidden).MoveToOuterDisposeScope(), stack(finalCell).MoveToOuterDisposeScope());
    }

    /// <summary>What nn.LSTM would refuse, refused here too: the layer's kernels read memory by these shapes.</summary>
    private void Check(Tensor input, (Tensor Hidden, Tensor Cell)? state)
    {
        var inputWeight = get_parameter("weight_ih_l0")!;
        var dtype = inputWeight.dtype;
        if (dtype is not (ScalarType.Float32 or ScalarType.Float64)) throw new NotSupportedException($"the fused LSTM computes in float32 or float64, not {dtype}");
        if (input.dim() != 3 || input.dtype != dtype || input.device_type != DeviceType.CPU)
            throw new ArgumentException($"input must be a (batch, time, features) {dtype} CPU tensor, got {input.dtype} of shape [{string.Join(", ", input.shape)}]");
        if (input.shape[2] != inputWeight.shape[1]) throw new ArgumentException($"input has {input.shape[2]} features, the layer takes {inputWeight.shape[1]}");
        if (state is not { } s) return;
        long[] expected = [_layers, input.shape[0], Hidden];
        foreach (var tensor in new[] { s.Hidden, s.Cell })
        {
            if (!tensor.shape.SequenceEqual(expected) || tensor.dtype != dtype)
                throw new ArgumentException($"the state must be ({string.Join(", ", expected)}) {dtype}, got {tensor.dtype} of shape [{string.Join(", ", tensor.shape)}]");
        }
    }
}
