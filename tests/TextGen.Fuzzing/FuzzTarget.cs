namespace TextGen.Fuzzing;

/// <summary>
/// One parser of outside bytes, and what a program does next with what it parsed. <see cref="Run"/> returns for every
/// input: true when the input was taken, false when it was refused the documented way (a one-line
/// <see cref="TextGenException"/>, a 4xx answer). Any other exception escaping it, or a hang, is a finding.
/// </summary>
public abstract class FuzzTarget
{
    public abstract string Name { get; }

    /// <summary>What the target reads, for the script's and the docs' listing.</summary>
    public abstract string Description { get; }

    public abstract bool Run(byte[] input);

    /// <summary>Inputs the target takes, small and varied: where afl-fuzz starts.</summary>
    public abstract IEnumerable<(string Name, byte[] Bytes)> Seeds();

    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new ModelFileTarget(), new WeightsTarget(), new TokenizerTarget(), new TokenCacheTarget(),
        new PriceCsvTarget(), new ForecastModelTarget(), new RequestBodyTarget(),
    ];

    public static FuzzTarget? Named(string name) => All.FirstOrDefault(t => t.Name == name);

    /// <summary>Runs <paramref name="action"/>; a one-line refusal is false, success true, anything else escapes.</summary>
    protected static bool Refusable(Action action)
    {
        try
        {
            action();
            return true;
        }
        catch (TextGenException)
        {
            return false;
        }
    }
}
