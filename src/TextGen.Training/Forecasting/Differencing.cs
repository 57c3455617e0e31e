namespace TextGen.Forecasting;

/// <summary>How prices are turned into the values the network sees (the Keras guide's advice: difference first).</summary>
public enum DiffMode
{
    /// <summary>Raw prices.</summary>
    None,
    /// <summary>Absolute change x[t] - x[t-1].</summary>
    Abs,
    /// <summary>Percentage change x[t] / x[t-1] - 1.</summary>
    Pct,
    /// <summary>Log return ln(x[t] / x[t-1]).</summary>
    Log,
}

/// <summary>Differencing and its exact inverse. Value k of the differenced series belongs to price k + <see cref="Lag"/>.</summary>
public static class Differencing
{
    public static int Lag(DiffMode mode) => mode == DiffMode.None ? 0 : 1;

    /// <summary>The mode names the settings accept: none, abs, pct, log.</summary>
    public static readonly string[] ModeNames = Enum.GetNames<DiffMode>().Select(n => n.ToLowerInvariant()).ToArray();

    public static DiffMode Parse(string name) =>
        ModeNames.Contains(name.Trim().ToLowerInvariant()) && Enum.TryParse<DiffMode>(name.Trim(), ignoreCase: true, out var mode)
            ? mode
            : throw new SettingException("diff", $"{name} is not a mode; use {string.Join(", ", ModeNames)}.");

    public static double[] Apply(IReadOnlyList<double> prices, DiffMode mode, IReadOnlyList<DateTime>? dates = null)
    {
        if (mode is DiffMode.Pct or DiffMode.Log)
        {
            for (var i = 0; i < prices.Count; i++)
            {
                if (prices[i] <= 0)
                {
                    var when = dates is null ? $"value {i + 1}" : $"{dates[i]:yyyy-MM-dd}";
                    throw new SettingException("diff", $"{mode.ToString().ToLowerInvariant()} needs positive prices, but {when} is {prices[i]}; use abs.");
                }
            }
        }
        if (mode == DiffMode.None)
        {
            return prices.ToArray();
        }
        var changes = new double[Math.Max(0, prices.Count - 1)];
        for (var i = 1; i < prices.Count; i++)
        {
            changes[i - 1] = Change(prices[i - 1], prices[i], mode);
        }
        return changes;
    }

    public static double Change(double previous, double current, DiffMode mode) => mode switch
    {
        DiffMode.None => current,
        DiffMode.Abs => current - previous,
        DiffMode.Pct => current / previous - 1,
        DiffMode.Log => Math.Log(current / previous),
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    /// <summary>The price that <paramref name="value"/> (a differenced value) leads to from <paramref name="previous"/>.</summary>
    public static double Invert(double previous, double value, DiffMode mode) => mode switch
    {
        DiffMode.None => value,
        DiffMode.Abs => previous + value,
        DiffMode.Pct => previous * (1 + value),
        DiffMode.Log => previous * Math.Exp(value),
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };
}
