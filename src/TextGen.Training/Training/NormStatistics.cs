using TextGen.Data;
using TextGen.Modeling;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextGen.Training;

/// <summary>
/// Batch normalisation's running statistics for the weights that are evaluated and saved. Those are the weight
/// average (<see cref="WeightAverage"/>), while the running statistics were gathered under the live weights and with
/// dropout on, so scoring the average with them costs a lot (measured: docs/training.md#dense-layers). Before each
/// evaluation the statistics are gathered afresh, as stochastic weight averaging's <c>update_bn</c> does: an equal-weight
/// mean over <see cref="Batches"/> training batches, read with the averaged weights and dropout off.
/// </summary>
internal static class NormStatistics
{
    public const int Batches = 8;

    /// <summary>PyTorch's default momentum, restored for training.</summary>
    private const double TrainingMomentum = 0.1;

    public static void Refresh(LanguageNetwork network, ITrainingBatches batches, long epoch)
    {
        var norms = network.modules().OfType<BatchNorm1d>().ToList();
        if (norms.Count == 0) return;
        var wasTraining = network.training;
        using var noGrad = no_grad();
        network.eval();
        foreach (var norm in norms)
        {
            norm.reset_running_stats();
            norm.momentum = null; // a cumulative mean
            norm.train();
        }
        var inputs = new long[batches.TokensPerStep];
        var targets = new long[batches.TokensPerStep];
        RecurrentState? state = null;
        try
        {
            for (var step = 0; step < Math.Min(Batches, batches.StepsPerEpoch); step++)
            {
                batches.Fill(epoch, step, inputs, targets);
                using var scope = NewDisposeScope();
                var start = state is not null && batches.FreshRows is { } fresh ? state.WithRowsZeroed(fresh) : state;
                var (_, next) = network.call(tensor(inputs, new long[] { batches.BatchSize, batches.SequenceLength }), start);
                state?.Dispose();
                state = batches.CarriesState ? next.MoveToOuterDisposeScope() : null;
            }
        }
        finally
        {
            state?.Dispose();
            foreach (var norm in norms) norm.momentum = TrainingMomentum;
            network.train(wasTraining);
        }
    }
}
