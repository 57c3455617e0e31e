namespace TextGen.Generation;

/// <summary>Why generation ended: a stop sequence, or the length limit.</summary>
public enum FinishReason
{
    Stop,
    Length,
}

/// <summary>One step of a generation: the text it releases, and, on the last one, why it ended.</summary>
public sealed record GenerationUpdate(string Text, FinishReason? Finish, int PromptTokens, int CompletionTokens);

/// <summary>A whole generation.</summary>
public sealed record GenerationResult(string Text, FinishReason Finish, int PromptTokens, int CompletionTokens);
