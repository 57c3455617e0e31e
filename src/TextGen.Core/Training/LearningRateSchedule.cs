namespace TextGen.Training;

/// <summary>
/// Linear warm-up, then cosine decay to a tenth of the peak by the end of the budget. Progress is the larger of
/// steps done / steps budgeted and time spent / time budgeted, so the schedule fits whichever budget ends first.
/// </summary>
public static class LearningRateSchedule
{
    /// <summary>
    /// 10 steps helped the slow seeds on tiny-shakespeare (5 minutes: 1.5082 -> 1.4734, 1.5254 -> 1.4791) but sent a
    /// Moby-Dick run into a plateau (2 minutes, same seed: 1.9615 vs 1.6784 with 50): the early phase at the peak
    /// rate is at the edge of stability either way. Kept at 50 until both are tuned on several seeds and corpora.
    /// </summary>
    public const int WarmupSteps = 50;
    public const double FinalFraction = 0.1;

    public static double At(double peak, long step, double progress)
    {
        var warmup = Math.Min(1.0, (step + 1) / (double)WarmupSteps);
        var p = Math.Clamp(progress, 0, 1);
        var cosine = FinalFraction + (1 - FinalFraction) * 0.5 * (1 + Math.Cos(Math.PI * p));
        return peak * warmup * cosine;
    }
}
