namespace TextGen.Forecasting;

/// <summary>Standardisation (x - mean) / std with statistics fitted on the training part only.</summary>
public sealed record StandardScaler(double Mean, double Std)
{
    public static StandardScaler Fit(ReadOnlySpan<double> values)
    {
        if (values.Length == 0)
        {
            throw new ArgumentException("cannot fit a scaler on no values", nameof(values));
        }
        double mean = 0;
        foreach (var v in values) mean += v;
        mean /= values.Length;
        double variance = 0;
        foreach (var v in values) variance += (v - mean) * (v - mean);
        var std = Math.Sqrt(variance / values.Length);
        return new StandardScaler(mean, std > 1e-12 ? std : 1);
    }

    public double Transform(double value) => (value - Mean) / Std;

    public double Inverse(double value) => value * Std + Mean;
}
