namespace TextGen.Generation;

/// <summary>Why generation ended: a stop sequence, or the length limit.</summary>
public enum FinishReason
{
    Stop,
    Length,
}

/// <summary>One row of a generation batch: a prompt and how to sample its continuation.</summary>
public sealed record GenerationRequest(string Prompt, SamplingOptions Options);

/// <summary>
/// One step of row <paramref name="Index"/> of a generation: the text it releases, and, on the row's last one, why it
/// ended; token counts so far.
/// </summary>
public sealed record GenerationUpdate(int Index, string Text, FinishReason? Finish, int PromptTokens, int CompletionTokens)
{
    /// <summary>The token this update generated, with its log-probability, where <see cref="SamplingOptions.Logprobs"/> asked for them.</summary>
    public TokenLogprob? Logprob { get; init; }
}

/// <summary>A generated token's text and log-probability (<see cref="Sampler.LogProbabilities"/>), and the likeliest alternatives, likeliest first.</summary>
public sealed record TokenLogprob(int Id, string Token, float Logprob, IReadOnlyList<TokenAlternative> Top);

/// <summary>One alternative at a generated token's place.</summary>
public sealed record TokenAlternative(int Id, string Token, float Logprob);

/// <summary>A whole generation.</summary>
public sealed record GenerationResult(string Text, FinishReason Finish, int PromptTokens, int CompletionTokens);

/// <summary>Gathers a batch's updates into each row's text so far and, once the row ends, its result.</summary>
public sealed class GenerationCollector(int rows)
{
    private readonly System.Text.StringBuilder[] _texts = Enumerable.Range(0, rows).Select(_ => new System.Text.StringBuilder()).ToArray();
    private readonly GenerationResult?[] _results = new GenerationResult?[rows];

    public void Add(GenerationUpdate update)
    {
        _texts[update.Index].Append(update.Text);
        if (update.Finish is { } finish)
        {
            _results[update.Index] = new GenerationResult(_texts[update.Index].ToString(), finish, update.PromptTokens, update.CompletionTokens);
        }
    }

    /// <summary>Row <paramref name="row"/>'s text so far, finished or not.</summary>
    public string Text(int row) => _texts[row].ToString();

    /// <summary>Every row's result; only once every row has ended.</summary>
    public GenerationResult[] Results() =>
        _results.Select((r, i) => r ?? throw new InvalidOperationException($"row {i} has not ended")).ToArray();
}
