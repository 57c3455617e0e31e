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

    /// <summary>The same state with the rows of the batch marked in <paramref name="rows"/> set to zero (rows that start another text).</summary>
    public RecurrentState WithRowsZeroed(bool[] rows)
    {
        using var keep = tensor(rows.Select(zero => zero ? 0f : 1f).ToArray()).reshape(1, -1, 1).to_type(Hidden.dtype);
        return new RecurrentState(Hidden * keep, Cell is { } cell ? cell * keep : null);
    }

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
