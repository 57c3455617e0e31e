namespace TextGen.Generation;

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
    public double Temperature { get; init; } = 0.8;
    /// <summary>Temperatures cycled across the samples of one request (sample i uses entry i mod count); null uses <see cref="Temperature"/>.</summary>
    public IReadOnlyList<double>? Temperatures { get; init; }
    /// <summary>How many tokens to generate at most after the prefix.</summary>
    public int Length { get; init; } = 500;
    /// <summary>Sample only among the k likeliest tokens; 0 for no limit.</summary>
    public int TopK { get; init; }
    /// <summary>Sample only among the smallest set of likeliest tokens whose probability reaches p; 1 for no limit.</summary>
    public double TopP { get; init; } = 1;
    /// <summary>Divides positive (multiplies negative) logits of tokens seen in the last <see cref="RepetitionWindow"/> tokens; 1 for none.</summary>
    public double RepetitionPenalty { get; init; } = 1;
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
            if (t < 0 || double.IsNaN(t) || t > 100)
                throw new TextGenException($"--temperature {t} is out of range; use 0 (always the likeliest token) up to 100, e.g. 0.8.");
        }
        if (Length is < 0 or > 10_000_000)
            throw new TextGenException($"--length {Length} is out of range; use 0 to 10000000.");
        if (TopK < 0)
            throw new TextGenException($"--top-k {TopK} is out of range; use 0 (no limit) or more.");
        if (TopP is <= 0 or > 1 || double.IsNaN(TopP))
            throw new TextGenException($"--top-p {TopP} is out of range; use a value in (0, 1].");
        if (RepetitionPenalty is < 1 or > 100 || double.IsNaN(RepetitionPenalty))
            throw new TextGenException($"--repetition-penalty {RepetitionPenalty} is out of range; use 1 (none) to 100, e.g. 1.2.");
        if (StopSequences.Any(string.IsNullOrEmpty))
            throw new TextGenException("a stop sequence is empty; give non-empty text.");
    }
}
