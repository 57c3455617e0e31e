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

    public TextGenChatClient(TextGenerator generator, string modelId, ChatPromptFormat? format = null, SamplingOptions? defaults = null)
    {
        _generator = generator;
        ModelId = modelId;
        Format = format ?? new ChatPromptFormat();
        Defaults = defaults ?? new SamplingOptions { Length = 300 };
        Metadata = new ChatClientMetadata("textgen", null, modelId);
    }

    public string ModelId { get; }
    public ChatPromptFormat Format { get; }
    public SamplingOptions Defaults { get; }
    public ChatClientMetadata Metadata { get; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = (await CompleteChoicesAsync(messages, Sampling(options), 1, cancellationToken))[0];
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, result.Text))
        {
            ModelId = ModelId,
            ResponseId = NewResponseId(),
            CreatedAt = DateTimeOffset.UtcNow,
            FinishReason = Reason(result.Finish),
            Usage = new UsageDetails { InputTokenCount = result.PromptTokens, OutputTokenCount = result.CompletionTokens, TotalTokenCount = result.PromptTokens + result.CompletionTokens },
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var id = NewResponseId();
        await foreach (var update in StreamChoicesAsync(messages, Sampling(options), 1, cancellationToken))
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, update.Text)
            {
                ModelId = ModelId,
                ResponseId = id,
                CreatedAt = DateTimeOffset.UtcNow,
                FinishReason = update.Finish is { } finish ? Reason(finish) : null,
            };
        }
    }

    /// <summary>
    /// <paramref name="choices"/> replies to the conversation generated together as one batch, as they are generated:
    /// reply i samples with <see cref="SamplingOptions.ForSample"/>(i), ends at the format's turn markers, and starts
    /// at its first non-blank character. Each update names its reply (<see cref="GenerationUpdate.Index"/>); updates
    /// with no text are left out except each reply's last, which says why it ended.
    /// </summary>
    public async IAsyncEnumerable<GenerationUpdate> StreamChoicesAsync(IEnumerable<ChatMessage> messages, SamplingOptions sampling, int choices,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prompt = Format.Render(messages);
        var turn = sampling with { StopSequences = [.. sampling.StopSequences, .. Format.StopSequences] };
        var leading = Enumerable.Repeat(true, choices).ToArray();
        await foreach (var update in _generator.RunAsync(TextGenerator.Samples(prompt, turn, choices), cancellationToken))
        {
            var text = leading[update.Index] ? update.Text.TrimStart() : update.Text;
            leading[update.Index] &= text.Length == 0;
            if (text.Length > 0 || update.Finish is not null || update.Logprob is not null)
            {
                yield return update with { Text = text };
            }
        }
    }

    /// <summary>
    /// The whole replies of <see cref="StreamChoicesAsync"/>, trailing blanks removed, in choice order;
    /// <paramref name="observe"/> sees each update as it comes (the server times the first token with it).
    /// </summary>
    public async Task<GenerationResult[]> CompleteChoicesAsync(IEnumerable<ChatMessage> messages, SamplingOptions sampling, int choices,
        CancellationToken cancellationToken = default, Action<GenerationUpdate>? observe = null)
    {
        var collector = new GenerationCollector(choices);
        await foreach (var update in StreamChoicesAsync(messages, sampling, choices, cancellationToken))
        {
            collector.Add(update);
            observe?.Invoke(update);
        }
        return collector.Results().Select(r => r with { Text = r.Text.TrimEnd() }).ToArray();
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? Metadata
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType.IsInstanceOfType(_generator) ? _generator
        : null;

    /// <summary>The sampling options for a request: the defaults, overridden by what the caller set.</summary>
    public SamplingOptions Sampling(ChatOptions? options) => Defaults with
    {
        Temperature = options?.Temperature ?? Defaults.Temperature,
        TopP = options?.TopP ?? Defaults.TopP,
        TopK = options?.TopK ?? Defaults.TopK,
        Length = options?.MaxOutputTokens ?? Defaults.Length,
        Seed = options?.Seed is { } seed ? unchecked((int)seed) : Defaults.Seed,
        RepetitionPenalty = options?.FrequencyPenalty is > 0 and var penalty ? SamplingOptions.RepetitionPenaltyForFrequencyPenalty(penalty) : Defaults.RepetitionPenalty,
        StopSequences = [.. Defaults.StopSequences, .. options?.StopSequences ?? []],
    };

    /// <summary>A new response id in OpenAI's chat form.</summary>
    public static string NewResponseId() => "chatcmpl-" + Guid.NewGuid().ToString("N")[..24];

    private static ChatFinishReason Reason(FinishReason finish) => finish == FinishReason.Stop ? ChatFinishReason.Stop : ChatFinishReason.Length;

    /// <summary>Nothing to release: the generator holds managed arrays only.</summary>
    public void Dispose()
    {
    }
}
