namespace TextGen.Forecasting;

/// <summary>Guesses the date after the last one from the series' rhythm: monthly, weekly, business-daily or every N days.</summary>
public static class DateStep
{
    /// <summary>The next date; a series that ends where the calendar does (year 9999) is refused in one line.</summary>
    public static DateTime Next(IReadOnlyList<DateTime> dates)
    {
        try
        {
            return Guess(dates);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new TextGenException($"no date can follow {dates[^1]:yyyy-MM-dd} in the series' rhythm before the calendar ends (9999-12-31); " +
                                       "forecast fewer steps (--steps), or train on a CSV whose dates are right.");
        }
    }

    private static DateTime Guess(IReadOnlyList<DateTime> dates)
    {
        var last = dates[^1];
        if (dates.Count < 2)
        {
            return last.AddDays(1);
        }
        var recent = dates.Skip(Math.Max(0, dates.Count - 30)).ToArray();
        var gaps = recent.Zip(recent.Skip(1), (a, b) => (b - a).TotalDays).Order().ToArray();
        var median = gaps[gaps.Length / 2];
        if (median is >= 27 and <= 32)
        {
            return last.AddMonths(1);
        }
        if (median <= 1.5 && recent.All(d => d.DayOfWeek is not DayOfWeek.Saturday and not DayOfWeek.Sunday))
        {
            var next = last.AddDays(1);
            while (next.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday) next = next.AddDays(1);
            return next;
        }
        return last.AddDays(Math.Max(1, Math.Round(median)));
    }
}
