namespace TextGen.Data;

/// <summary>A token stream cut into a training part and the validation part that follows it (the last fraction).</summary>
public sealed record TokenSplit(TokenIds Train, TokenIds Validation)
{
    /// <summary>The smallest validation part that still yields a next-token prediction.</summary>
    public const int MinimumValidationTokens = 2;

    public static TokenSplit LastFraction(TokenIds tokens, double validationFraction)
    {
        Settings.Declared<Training.TrainingOptions>.Named("val-fraction").Check(validationFraction);
        var validation = (long)Math.Round(tokens.Length * validationFraction);
        if (validation < MinimumValidationTokens)
        {
            throw new TextGenException($"the corpus is too short: {tokens.Length} tokens leave fewer than {MinimumValidationTokens} for validation ({validationFraction:P0}); " +
                                       "use a longer corpus or a larger validation fraction.");
        }
        return new TokenSplit(tokens.Slice(0, tokens.Length - validation), tokens.Slice(tokens.Length - validation, validation));
    }

    /// <summary>
    /// Tokens scored at each evaluation during training, at most. A larger held-out part is scored on a fixed sample:
    /// <see cref="SampleWindows"/> evenly spaced stretches of it, the same at every evaluation, so "best" compares
    /// like with like and an evaluation costs seconds however large the corpus (`textgen eval` scores all of it).
    /// 250,000 tokens is 10% of a 2.5 MB text: the sample applies only to corpora larger than that.
    /// </summary>
    public const int MaxValidationTokens = 250_000;

    public const int SampleWindows = 16;

    /// <summary>The part of <see cref="Validation"/> scored during training, in memory: all of it, or a fixed sample of <see cref="MaxValidationTokens"/>.</summary>
    public TokenIds ValidationSample()
    {
        if (Validation.Length <= MaxValidationTokens) return TokenIds.FromArray(Validation.ToArray(0, (int)Validation.Length));
        var window = MaxValidationTokens / SampleWindows;
        var stride = Validation.Length / SampleWindows;
        var sample = new int[window * SampleWindows];
        for (var w = 0; w < SampleWindows; w++)
        {
            Validation.Read(w * stride, sample.AsSpan(w * window, window));
        }
        return TokenIds.FromArray(sample);
    }
}
