using TorchSharp;
using static TorchSharp.torch;

namespace TextGen.Modeling;

/// <summary>
/// Stacked GRU layers over batch-first input, a drop-in for <c>nn.GRU(batchFirst: true)</c>: the same parameters under
/// the same names, drawn from the random generator in the same order, the same dropout between layers, and each layer
/// one <see cref="GruLayerFunction"/> (docs/training.md has its speed against nn.GRU).
/// </summary>
public sealed class FusedGru : nn.Module<Tensor, Tensor?, (Tensor Output, Tensor Hidden)>
{
    private readonly int _layers;
    private readonly double _dropout;

    public FusedGru(int inputSize, int hidden, int layers, double dropout) : base("FusedGru")
    {
        Hidden = hidden;
        _layers = layers;
        _dropout = dropout;
        foreach (var (name, value) in RecurrentParameters.Create(3, inputSize, hidden, layers)) register_parameter(name, value);
    }

    public int Hidden { get; }

    /// <summary>Whether training runs the products in bf16, as <see cref="FusedLstm.Bf16Products"/> does.</summary>
    public bool Bf16Products { get; set; }

    public override (Tensor Output, Tensor Hidden) forward(Tensor input, Tensor? state)
    {
        using var scope = NewDisposeScope();
        Check(input, state);
        var h0 = state ?? zeros(_layers, input.shape[0], Hidden, input.dtype);
        var sequence = input.transpose(0, 1).contiguous(); // time-major inside: each step's rows are contiguous
        var finalHidden = new Tensor[_layers];
        for (var l = 0; l < _layers; l++)
        {
            if (l > 0) sequence = CounterDropout.Apply(sequence, _dropout, training);
            var results = GruLayerFunction.apply(sequence, h0[l].contiguous(),
                get_parameter($"weight_ih_l{l}"), get_parameter($"weight_hh_l{l}"), get_parameter($"bias_ih_l{l}"), get_parameter($"bias_hh_l{l}"),
                Bf16Products && training && input.dtype == ScalarType.Float32);
            (sequence, finalHidden[l]) = (results[0], results[1]);
        }
        var output = sequence.transpose(0, 1).contiguous();
        return (output.MoveToOuterDisposeScope(), stack(finalHidden).MoveToOuterDisposeScope());
    }

    /// <summary>What nn.GRU would refuse, refused here too: the layer's kernels read memory by these shapes.</summary>
    private void Check(Tensor input, Tensor? state)
    {
        var inputWeight = get_parameter("weight_ih_l0")!;
        var dtype = inputWeight.dtype;
        if (dtype is not (ScalarType.Float32 or ScalarType.Float64)) throw new NotSupportedException($"the fused GRU computes in float32 or float64, not {dtype}");
        if (input.dim() != 3 || input.dtype != dtype || input.device_type != DeviceType.CPU)
            throw new ArgumentException($"input must be a (batch, time, features) {dtype} CPU tensor, got {input.dtype} of shape [{string.Join(", ", input.shape)}]");
        if (input.shape[2] != inputWeight.shape[1]) throw new ArgumentException($"input has {input.shape[2]} features, the layer takes {inputWeight.shape[1]}");
        long[] expected = [_layers, input.shape[0], Hidden];
        if (state is not null && (!state.shape.SequenceEqual(expected) || state.dtype != dtype))
            throw new ArgumentException($"the state must be ({string.Join(", ", expected)}) {dtype}, got {state.dtype} of shape [{string.Join(", ", state.shape)}]");
    }
}
