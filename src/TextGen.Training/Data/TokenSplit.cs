namespace TextGen.Data;

/// <summary>A token stream cut into a training part and the validation part that follows it (the last fraction).</summary>
public sealed record TokenSplit(ReadOnlyMemory<int> Train, ReadOnlyMemory<int> Validation)
{
    /// <summary>The smallest validation part that still yields a next-token prediction.</summary>
    public const int MinimumValidationTokens = 2;

    public static TokenSplit LastFraction(int[] tokens, double validationFraction)
    {
        Training.TrainingSettings.ValidationFraction.Check(validationFraction);
        var validation = (int)Math.Round(tokens.Length * validationFraction);
        if (validation < MinimumValidationTokens)
        {
            throw new TextGenException($"the corpus is too short: {tokens.Length} tokens leave fewer than {MinimumValidationTokens} for validation ({validationFraction:P0}); use a longer corpus or a larger validation fraction.");
        }
        var memory = tokens.AsMemory();
        return new TokenSplit(memory[..^validation], memory[^validation..]);
    }
}
