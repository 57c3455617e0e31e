using static TorchSharp.torch;

namespace TextGen.Modeling;

/// <summary>
/// The recurrent state between calls: hidden state (layers, batch, hidden) and, for LSTM, the cell state.
/// </summary>
public sealed class RecurrentState : IDisposable
{
    public RecurrentState(Tensor hidden, Tensor? cell)
    {
        Hidden = hidden;
        Cell = cell;
    }

    public Tensor Hidden { get; }
    public Tensor? Cell { get; }

    /// <summary>The same values cut from the autograd graph, for truncated back-propagation through time.</summary>
    public RecurrentState Detach() => new(Hidden.detach(), Cell?.detach());

    /// <summary>Moves the tensors out of the innermost dispose scope so the state outlives one training step.</summary>
    public RecurrentState MoveToOuterDisposeScope()
    {
        Hidden.MoveToOuterDisposeScope();
        Cell?.MoveToOuterDisposeScope();
        return this;
    }

    public void Dispose()
    {
        Hidden.Dispose();
        Cell?.Dispose();
    }
}
