using TextGen.Training;

namespace TextGen.Tests.Training;

public class LearningRateScheduleTests
{
    [Fact]
    public void RampsUpOverTheWarmUpThenDecaysToATenthAtTheEnd()
    {
        const double peak = 0.015;
        Assert.Equal(peak / LearningRateSchedule.WarmupSteps, LearningRateSchedule.At(peak, 0, 0), 12);
        Assert.Equal(peak, LearningRateSchedule.At(peak, LearningRateSchedule.WarmupSteps - 1, 0), 12);
        Assert.Equal(peak * (0.1 + 0.9 * 0.5), LearningRateSchedule.At(peak, 500, 0.5), 12);
        Assert.Equal(peak * LearningRateSchedule.FinalFraction, LearningRateSchedule.At(peak, 1000, 1), 12);
        Assert.Equal(peak * LearningRateSchedule.FinalFraction, LearningRateSchedule.At(peak, 1000, 1.5), 12);
    }
}
