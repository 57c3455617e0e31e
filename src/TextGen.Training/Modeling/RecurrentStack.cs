using TextGen.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextGen.Modeling;

/// <summary>
/// Stacked RNN/LSTM/GRU layers over batch-first input (batch, time, features), with dropout between layers.
/// The recurrent core shared by the text and forecasting models.
/// </summary>
public sealed class RecurrentStack : nn.Module<Tensor, RecurrentState?, (Tensor Output, RecurrentState State)>
{
    private readonly FusedLstm? lstm;
    private readonly FusedGru? gru;
    private readonly RNN? rnn;

    public RecurrentStack(CellType cell, int inputSize, int hidden, int layers, double dropout) : base("RecurrentStack")
    {
        // libtorch's settings (oneDNN off: OneDnnSwitch) must hold before any recurrent layer runs.
        TorchRuntime.EnsureLoaded();
        Cell = cell;
        var betweenLayers = layers > 1 ? dropout : 0;
        switch (cell)
        {
            case CellType.Lstm: lstm = new FusedLstm(inputSize, hidden, layers, betweenLayers); break;
            case CellType.Gru: gru = new FusedGru(inputSize, hidden, layers, betweenLayers); break;
            case CellType.Rnn: rnn = nn.RNN(inputSize, hidden, layers, batchFirst: true, dropout: betweenLayers); break;
            default: throw new ArgumentOutOfRangeException(nameof(cell), cell, null);
        }
        RegisterComponents();
    }

    public CellType Cell { get; }

    /// <summary>Bf16 products while training (<see cref="FusedLstm.Bf16Products"/>); LSTM and GRU layers, RNN runs libtorch's float32 layer.</summary>
    public bool Bf16Products
    {
        get => lstm?.Bf16Products ?? gru?.Bf16Products ?? false;
        set
        {
            if (value && lstm is null && gru is null) throw new NotSupportedException($"bf16 products are for LSTM and GRU layers, not {Cell}");
            if (lstm is not null) lstm.Bf16Products = value;
            if (gru is not null) gru.Bf16Products = value;
        }
    }

    /// <summary>Layer <paramref name="layer"/>'s input and recurrent weights and biases, in PyTorch's gate order.</summary>
    public (Tensor InputWeight, Tensor HiddenWeight, Tensor InputBias, Tensor HiddenBias) Layer(int layer)
    {
        nn.Module module = (nn.Module?)lstm ?? (nn.Module?)gru ?? rnn!;
        var named = module.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        return (named[$"weight_ih_l{layer}"], named[$"weight_hh_l{layer}"], named[$"bias_ih_l{layer}"], named[$"bias_hh_l{layer}"]);
    }

    public override (Tensor Output, RecurrentState State) forward(Tensor input, RecurrentState? state)
    {
        if (lstm is not null)
        {
            var lstmState = state is null ? ((Tensor, Tensor)?)null : (state.Hidden, state.Cell!);
            var (output, h, c) = lstm.call(input, lstmState);
            return (output, new RecurrentState(h, c));
        }
        var (result, hidden) = gru is not null ? gru.call(input, state?.Hidden) : rnn!.call(input, state?.Hidden);
        return (result, new RecurrentState(hidden, null));
    }
}
