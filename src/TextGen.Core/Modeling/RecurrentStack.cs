using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextGen.Modeling;

/// <summary>
/// Stacked RNN/LSTM/GRU layers over batch-first input (batch, time, features), with dropout between layers.
/// The recurrent core shared by the text and forecasting models.
/// </summary>
public sealed class RecurrentStack : nn.Module<Tensor, RecurrentState?, (Tensor Output, RecurrentState State)>
{
    private readonly LSTM? lstm;
    private readonly GRU? gru;
    private readonly RNN? rnn;

    public RecurrentStack(CellType cell, int inputSize, int hidden, int layers, double dropout) : base("RecurrentStack")
    {
        Cell = cell;
        var betweenLayers = layers > 1 ? dropout : 0;
        switch (cell)
        {
            case CellType.Lstm: lstm = nn.LSTM(inputSize, hidden, layers, batchFirst: true, dropout: betweenLayers); break;
            case CellType.Gru: gru = nn.GRU(inputSize, hidden, layers, batchFirst: true, dropout: betweenLayers); break;
            case CellType.Rnn: rnn = nn.RNN(inputSize, hidden, layers, batchFirst: true, dropout: betweenLayers); break;
            default: throw new ArgumentOutOfRangeException(nameof(cell), cell, null);
        }
        RegisterComponents();
    }

    public CellType Cell { get; }

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
