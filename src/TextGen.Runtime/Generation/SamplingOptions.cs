namespace TextGen.Generation;

/// <summary>Every sampling setting, declared once: the library, the CLI's flags and the server's checks use them.</summary>
public static class SamplingSettings
{
    public static readonly Setting<double> Temperature = new("temperature", "Softmax temperature: 0 always takes the likeliest token; higher is more adventurous.", 0.8, 0, 100, Example: "e.g. 0.8");
    public static readonly Setting<int> Length = new("length", "Tokens to generate per sample, at most.", 500, 0, 10_000_000);
    public static readonly Setting<int> TopK = new("top-k", "Sample among the k likeliest tokens only; 0 for no limit.", 0, 0);
    public static readonly Setting<double> TopP = new("top-p", "Nucleus sampling: the smallest set of likeliest tokens whose probability reaches p; 1 for no limit.", 1, 0, 1, MinExclusive: true);
    public static readonly Setting<int> Count = new("n", "Number of samples, generated together as one batch.", 1, 1, 100_000);
    public static readonly Setting<double> RepetitionPenalty = new("repetition-penalty", $"Divides positive (multiplies negative) logits of tokens among the last {SamplingOptions.RepetitionWindow}; 1 for none.", 1, 1, 100, Example: "e.g. 1.2");
}

/// <summary>How to pick tokens when generating. The defaults sample the model's distribution at temperature 0.8.</summary>
public sealed record SamplingOptions
{
    /// <summary>Tokens considered by the repetition penalty: the most recent of the prefix and the output.</summary>
    public const int RepetitionWindow = 64;

    /// <summary>
    /// OpenAI's frequency penalty (-2 to 2) as a <see cref="RepetitionPenalty"/>: a positive value p divides repeated
    /// tokens' positive logits by 1 + p; zero and negative values leave them alone.
    /// </summary>
    public static double RepetitionPenaltyForFrequencyPenalty(double frequencyPenalty) => 1 + Math.Max(0, frequencyPenalty);

    /// <summary>Softmax temperature: lower is more conservative; 0 always takes the most likely token.</summary>
    public double Temperature { get; init; } = SamplingSettings.Temperature.Default;
    /// <summary>Temperatures cycled across the samples of one request (sample i uses entry i mod count); null uses <see cref="Temperature"/>.</summary>
    public IReadOnlyList<double>? Temperatures { get; init; }
    /// <summary>How many tokens to generate at most after the prefix.</summary>
    public int Length { get; init; } = SamplingSettings.Length.Default;
    /// <summary>Sample only among the k likeliest tokens; 0 for no limit.</summary>
    public int TopK { get; init; } = SamplingSettings.TopK.Default;
    /// <summary>Sample only among the smallest set of likeliest tokens whose probability reaches p; 1 for no limit.</summary>
    public double TopP { get; init; } = SamplingSettings.TopP.Default;
    /// <summary>Divides positive (multiplies negative) logits of tokens seen in the last <see cref="RepetitionWindow"/> tokens; 1 for none.</summary>
    public double RepetitionPenalty { get; init; } = SamplingSettings.RepetitionPenalty.Default;
    /// <summary>Generation ends before the first occurrence of any of these; the stop text is not emitted.</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];
    /// <summary>Seed for the sampler's random numbers; null for a fresh one each time.</summary>
    public int? Seed { get; init; }

    /// <summary>The options for sample <paramref name="index"/> of a request: its temperature from the cycle and seed + index.</summary>
    public SamplingOptions ForSample(int index) => this with
    {
        Temperature = Temperatures is { Count: > 0 } cycle ? cycle[index % cycle.Count] : Temperature,
        Temperatures = null,
        Seed = Seed is { } seed ? unchecked(seed + index) : null,
    };

    public void Validate()
    {
        foreach (var t in Temperatures ?? [Temperature])
        {
            SamplingSettings.Temperature.Check(t);
        }
        SamplingSettings.Length.Check(Length);
        SamplingSettings.TopK.Check(TopK);
        SamplingSettings.TopP.Check(TopP);
        SamplingSettings.RepetitionPenalty.Check(RepetitionPenalty);
        if (StopSequences.Any(string.IsNullOrEmpty))
            throw new SettingException("stop", "is empty; give non-empty text.");
    }
}
