using TextGen.Settings;

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
    public double Temperature
    {
        get => Temperatures[0];
        init => Temperatures = [value];
    }

    /// <summary>Temperatures cycled across the samples of one request (sample i uses entry i mod count); one entry is <see cref="Temperature"/>.</summary>
    [Option("temperature", "Softmax temperature (0 = always the likeliest token); a list such as 0.5,1.0 is cycled across samples.", Min = 0, Max = 100, Example = "e.g. 0.8", Alias = "-t")]
    public double[] Temperatures { get; init; } = [0.8];

    /// <summary>How many tokens to generate at most after the prefix.</summary>
    [Option("length", "Tokens to generate per sample, at most.", Min = 0, Max = 10_000_000, Alias = "-l")]
    public int Length { get; init; } = 500;

    [Option("top-k", "Sample among the k likeliest tokens only; 0 for no limit.", Min = 0)]
    public int TopK { get; init; }

    [Option("top-p", "Nucleus sampling: the smallest set of likeliest tokens whose probability reaches p; 1 for no limit.", Min = 0, Max = 1, MinExclusive = true)]
    public double TopP { get; init; } = 1;

    /// <summary>Divides positive (multiplies negative) logits of tokens seen in the last <see cref="RepetitionWindow"/> tokens; 1 for none.</summary>
    [Option("repetition-penalty", "Divides positive (multiplies negative) logits of tokens among the last 64; 1 for none.", Min = 1, Max = 100, Example = "e.g. 1.2")]
    public double RepetitionPenalty { get; init; } = 1;

    /// <summary>Generation ends before the first occurrence of any of these; the stop text is not emitted.</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];
    /// <summary>
    /// Report each generated token's log-probability and this many likeliest alternatives (0 to
    /// <see cref="MaxLogprobs"/>) in <see cref="GenerationUpdate.Logprob"/>; null for none.
    /// </summary>
    public int? Logprobs { get; init; }

    /// <summary>The most alternatives <see cref="Logprobs"/> can ask for (OpenAI's limit for chat).</summary>
    public const int MaxLogprobs = 20;

    /// <summary>Seed for the sampler's random numbers; null for a fresh one each time.</summary>
    [Option("seed", "Seed for repeatable results.", Chosen = "random")]
    public int? Seed { get; init; }

    /// <summary>The options for sample <paramref name="index"/> of a request: its temperature from the cycle and seed + index.</summary>
    public SamplingOptions ForSample(int index) => this with
    {
        Temperature = Temperatures[index % Temperatures.Length],
        Seed = Seed is { } seed ? unchecked(seed + index) : null,
    };

    public void Validate()
    {
        if (Temperatures.Length == 0) throw new SettingException("temperature", "is an empty list; give one or more, e.g. 0.8.");
        Declared<SamplingOptions>.Validate(this);
        if (StopSequences.Any(string.IsNullOrEmpty))
            throw new SettingException("stop", "is empty; give non-empty text.");
        if (Logprobs is < 0 or > MaxLogprobs) throw new SettingException("logprobs", $"must be 0 to {MaxLogprobs}.");
    }
}
