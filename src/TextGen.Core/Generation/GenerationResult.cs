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
public sealed record GenerationUpdate(int Index, string Text, FinishReason? Finish, int PromptTokens, int CompletionTokens);

/// <summary>A whole generation.</summary>
public sealed record GenerationResult(string Text, FinishReason Finish, int PromptTokens, int CompletionTokens);
