using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace TextGen.Generation;

/// <summary>
/// <see cref="IChatClient"/> over a <see cref="TextGenerator"/>, so .NET chat code can use a TextGen model as a drop-in.
/// Conversations are rendered with <see cref="ChatPromptFormat"/>; <see cref="ChatOptions"/> map to sampling options
/// (temperature, top-p, top-k, max output tokens, stop sequences, seed; frequency penalty becomes a repetition penalty).
/// </summary>
public sealed class TextGenChatClient : IChatClient
{
    private readonly TextGenerator _generator;
    private readonly bool _ownsGenerator;

    public TextGenChatClient(TextGenerator generator, string modelId, ChatPromptFormat? format = null, SamplingOptions? defaults = null, bool ownsGenerator = false)
    {
        _generator = generator;
        _ownsGenerator = ownsGenerator;
        ModelId = modelId;
        Format = format ?? new ChatPromptFormat();
        Defaults = defaults ?? new SamplingOptions { Length = 300 };
        Metadata = new ChatClientMetadata("textgen", null, modelId);
    }

    public string ModelId { get; }
    public ChatPromptFormat Format { get; }
    public SamplingOptions Defaults { get; }
    public ChatClientMetadata Metadata { get; }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var prompt = Format.Render(messages);
        var sampling = Sampling(options);
        return Task.Run(() =>
        {
            var result = _generator.Complete(prompt, sampling, cancellationToken);
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, result.Text.Trim()))
            {
                ModelId = ModelId,
                ResponseId = NewId(),
                CreatedAt = DateTimeOffset.UtcNow,
                FinishReason = result.Finish == FinishReason.Stop ? ChatFinishReason.Stop : ChatFinishReason.Length,
                Usage = Usage(result.PromptTokens, result.CompletionTokens),
            };
        }, cancellationToken);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prompt = Format.Render(messages);
        var id = NewId();
        var leading = true;
        await foreach (var update in _generator.RunAsync(prompt, Sampling(options), cancellationToken))
        {
            var text = leading ? update.Text.TrimStart() : update.Text;
            leading &= text.Length == 0;
            if (text.Length > 0 || update.Finish is not null)
            {
                yield return new ChatResponseUpdate(ChatRole.Assistant, text)
                {
                    ModelId = ModelId,
                    ResponseId = id,
                    CreatedAt = DateTimeOffset.UtcNow,
                    FinishReason = update.Finish switch
                    {
                        FinishReason.Stop => ChatFinishReason.Stop,
                        FinishReason.Length => ChatFinishReason.Length,
                        _ => null,
                    },
                };
            }
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? Metadata
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType.IsInstanceOfType(_generator) ? _generator
        : null;

    /// <summary>The sampling options for a request: the defaults, overridden by what the caller set, plus the turn-ending stops.</summary>
    public SamplingOptions Sampling(ChatOptions? options) => Defaults with
    {
        Temperature = options?.Temperature ?? Defaults.Temperature,
        TopP = options?.TopP ?? Defaults.TopP,
        TopK = options?.TopK ?? Defaults.TopK,
        Length = options?.MaxOutputTokens ?? Defaults.Length,
        Seed = options?.Seed is { } seed ? unchecked((int)seed) : Defaults.Seed,
        RepetitionPenalty = options?.FrequencyPenalty is > 0 and float penalty ? 1 + penalty : Defaults.RepetitionPenalty,
        StopSequences = [.. Defaults.StopSequences, .. Format.StopSequences, .. options?.StopSequences ?? []],
    };

    private static UsageDetails Usage(int prompt, int completion) =>
        new() { InputTokenCount = prompt, OutputTokenCount = completion, TotalTokenCount = prompt + completion };

    private static string NewId() => "chatcmpl-" + Guid.NewGuid().ToString("N")[..24];

    public void Dispose()
    {
        if (_ownsGenerator)
        {
            _generator.Dispose();
        }
    }
}
