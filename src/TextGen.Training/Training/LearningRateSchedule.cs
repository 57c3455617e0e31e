namespace TextGen.Training;

/// <summary>
/// Linear warm-up, then cosine decay to a tenth of the peak by the end of the budget. Progress is the larger of
/// steps done / steps budgeted and time spent / time budgeted, so the schedule fits whichever budget ends first.
/// </summary>
public static class LearningRateSchedule
{
    /// <summary>Shorter ramps were worse or unstable at the peak rate (docs/training.md).</summary>
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
