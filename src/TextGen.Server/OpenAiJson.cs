using System.Text.Json.Serialization;

namespace TextGen.Server;

// OpenAI's response shapes, as the server writes them. Property names become snake_case (finish_reason); a null
// is written as null (OpenAI's clients expect "finish_reason": null and "logprobs": null), except where a property is
// marked to be left out.

internal sealed record Usage(int PromptTokens, int CompletionTokens, int TotalTokens);

internal sealed record CompletionChoice(string Text, int Index, string? FinishReason)
{
    /// <summary>With "logprobs": N, the choice's tokens (or, streamed, this chunk's); null otherwise.</summary>
    public CompletionLogprobs? Logprobs { get; init; }
}

/// <summary>The legacy completions' logprobs: parallel lists, one entry per generated token.</summary>
internal sealed record CompletionLogprobs(IReadOnlyList<string> Tokens, IReadOnlyList<float> TokenLogprobs,
    IReadOnlyList<IReadOnlyDictionary<string, float>> TopLogprobs, IReadOnlyList<int> TextOffset);

/// <summary>Chat's logprobs: one entry per generated token, with its UTF-8 bytes.</summary>
internal sealed record ChatLogprobs(IReadOnlyList<ChatTokenLogprob> Content);

internal sealed record ChatTokenLogprob(string Token, float Logprob, IReadOnlyList<int> Bytes, IReadOnlyList<ChatTopLogprob> TopLogprobs);

internal sealed record ChatTopLogprob(string Token, float Logprob, IReadOnlyList<int> Bytes);

internal sealed record CompletionResponse(string Id, long Created, string Model, IReadOnlyList<CompletionChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage)
{
    public string Object => "text_completion";
}

internal sealed record ChatMessageOut(string Role, string Content);

internal sealed record ChatChoice(int Index, ChatMessageOut Message, string? FinishReason)
{
    public ChatLogprobs? Logprobs { get; init; }
}

internal sealed record ChatCompletionResponse(string Id, long Created, string Model, IReadOnlyList<ChatChoice> Choices, Usage Usage)
{
    public string Object => "chat.completion";
}

/// <summary>What a chunk adds to a choice: its role first, then text; the last chunk of a choice adds nothing.</summary>
internal sealed record ChatDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content);

internal sealed record ChatChunkChoice(int Index, ChatDelta Delta, string? FinishReason)
{
    public ChatLogprobs? Logprobs { get; init; }
}

internal sealed record ChatChunk(string Id, long Created, string Model, IReadOnlyList<ChatChunkChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage)
{
    public string Object => "chat.completion.chunk";
}

internal sealed record ModelObject(string Id, long Created)
{
    public string Object => "model";
    public string OwnedBy => "textgen";
}

internal sealed record ModelList(IReadOnlyList<ModelObject> Data)
{
    public string Object => "list";
}

internal sealed record Health(string Status, string Model, string Precision);

internal sealed record ErrorDetail(string Message, string Type, string? Param, string? Code);

internal sealed record ErrorBody(ErrorDetail Error);

internal sealed record TokenIds(IReadOnlyList<int> Tokens);

internal sealed record TokenPiece(int Id, string Piece);

internal sealed record TokenPieces(IReadOnlyList<TokenPiece> Tokens);

internal sealed record DetokenizedText(string Content);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CompletionResponse))]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(ChatChunk))]
[JsonSerializable(typeof(ModelObject))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(Health))]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(TokenIds))]
[JsonSerializable(typeof(TokenPieces))]
[JsonSerializable(typeof(DetokenizedText))]
internal sealed partial class OpenAiJson : JsonSerializerContext;
