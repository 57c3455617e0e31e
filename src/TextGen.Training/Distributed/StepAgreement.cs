namespace TextGen.Distributed;

/// <summary>
/// What the ranks settle together at every step, in one small all-reduce after the forward pass: how many targets the
/// step scores across all ranks and their summed loss (the mean over all of them is what each rank's gradient is
/// scaled to, so padded rows count as in one big batch), whether any rank was asked to stop (Ctrl-C or SIGTERM on any
/// of them stops all after this step), and how much of the time budget rank 0's clock has used, so every rank ends at
/// the same step. One rank alone settles nothing: its own signal and clock, read live.
/// </summary>
internal sealed class StepAgreement(TrainingRanks ranks, CancellationToken cancel, Func<double> timeUsed)
{
    private readonly double[] _values = new double[4];
    private bool _stop;
    private double _timeUsed;

    /// <summary>Whether training stops before the next step.</summary>
    public bool Stop => ranks.Size == 1 ? cancel.IsCancellationRequested : _stop;

    /// <summary>The time budget's fraction used, by rank 0's clock (as of the last step when there are several ranks).</summary>
    public double TimeUsed => ranks.Size == 1 ? timeUsed() : _timeUsed;

    /// <summary>Settles the stop and the clock before the first step: a budget spent while preparing trains no step on any rank.</summary>
    public void Begin() => Settle(0, 0);

    /// <summary>
    /// Settles a step whose forward pass scored <paramref name="targets"/> targets here with summed loss
    /// <paramref name="lossSum"/>: returns all ranks' targets and summed loss.
    /// </summary>
    public (long Targets, double LossSum) Settle(long targets, double lossSum)
    {
        if (ranks.Size == 1) return (targets, lossSum);
        _values[0] = targets;
        _values[1] = lossSum;
        _values[2] = cancel.IsCancellationRequested ? 1 : 0;
        _values[3] = ranks.IsLeader ? timeUsed() : 0;
        ranks.SumInPlace(_values);
        _stop = _values[2] > 0;
        _timeUsed = _values[3];
        return ((long)_values[0], _values[1]);
    }
}
