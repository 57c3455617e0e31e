namespace TextGen.Generation;

/// <summary>How to pick tokens when generating.</summary>
public sealed record SamplingOptions
{
    /// <summary>Softmax temperature: lower is more conservative; 0 always takes the most likely token.</summary>
    public double Temperature { get; init; } = 0.8;
    /// <summary>How many tokens to generate after the prefix.</summary>
    public int Length { get; init; } = 500;
    /// <summary>Seed for the sampler's random numbers; null for a fresh one each time.</summary>
    public int? Seed { get; init; }

    public void Validate()
    {
        if (Temperature < 0 || double.IsNaN(Temperature) || Temperature > 100)
            throw new TextGenException($"--temperature {Temperature} is out of range; use 0 (always the likeliest token) up to 100, e.g. 0.8.");
        if (Length is < 0 or > 10_000_000)
            throw new TextGenException($"--length {Length} is out of range; use 0 to 10000000.");
    }
}
