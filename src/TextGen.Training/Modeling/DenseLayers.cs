using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextGen.Modeling;

/// <summary>
/// Dense ReLU layers after the recurrent stack, for the text and the forecasting networks alike: each is linear →
/// batch normalisation (optional) → ReLU → dropout. Held as <c>dense</c>, their state-dict names are <c>dense.linear.i</c> and
/// <c>dense.norm.i</c> (the runtime's <c>LanguageModelWeights</c> reads them). Batch normalisation normalises each feature over every
/// row of the batch (all time steps of all sequences), as PyTorch's BatchNorm1d does, with its defaults (momentum 0.1,
/// epsilon 1e-5); its running statistics are saved with the weights and used in evaluation.
/// </summary>
public sealed class DenseLayers : nn.Module<Tensor, Tensor>
{
    public const double Epsilon = 1e-5;

    private readonly ModuleList<Linear> linear = new();
    private readonly ModuleList<BatchNorm1d> norm = new();
    private readonly CounterDropout dropout;

    public DenseLayers(int input, IReadOnlyList<int> widths, bool batchNorm, double dropoutProbability) : base("DenseLayers")
    {
        foreach (var width in widths)
        {
            linear.Add(nn.Linear(input, width));
            if (batchNorm) norm.Add(nn.BatchNorm1d(width, eps: Epsilon));
            input = width;
        }
        dropout = new CounterDropout(dropoutProbability);
        RegisterComponents();
    }

    /// <summary>A batch of one row has no variance to normalise by (a forecast's last, partial batch): it is normalised as in evaluation.</summary>
    private static Tensor WithRunningStatistics(BatchNorm1d norm, Tensor rows) =>
        nn.functional.batch_norm(rows, norm.running_mean, norm.running_var, norm.weight, norm.bias, training: false, eps: Epsilon);

    /// <summary>Features (..., input) → (..., last width): every leading dimension is a row of the batch.</summary>
    public override Tensor forward(Tensor features)
    {
        using var scope = NewDisposeScope();
        var shape = features.shape;
        var rows = features.reshape(-1, shape[^1]);
        for (var i = 0; i < linear.Count; i++)
        {
            rows = linear[i].call(rows);
            if (norm.Count > 0) rows = training && rows.shape[0] < 2 ? WithRunningStatistics(norm[i], rows) : norm[i].call(rows);
            rows = CounterDropout.Apply(nn.functional.relu(rows), dropout.Probability, training);
        }
        shape[^1] = rows.shape[^1];
        return rows.reshape(shape).MoveToOuterDisposeScope();
    }
}
