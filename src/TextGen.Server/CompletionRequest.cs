using System.Text.Json;
using Microsoft.Extensions.AI;
using TextGen.Generation;
using TextGen.Settings;

namespace TextGen.Server;

/// <summary>
/// A parsed and validated OpenAI-style request. Unknown fields are ignored; known fields of the wrong type or out of
/// range are refused with 400 naming the field.
/// </summary>
public sealed record CompletionRequest(IReadOnlyList<string> Prompts, IReadOnlyList<ChatMessage>? Messages, SamplingOptions Sampling, int Choices, bool Stream, string? Model)
{
    /// <summary>"stream_options": {"include_usage": true}: a last chunk with no choices carries the usage (the OpenAI SDKs ask for it).</summary>
    public bool StreamUsage { get; init; }

    /// <summary>Completions' "echo": each choice's text starts with its prompt.</summary>
    public bool Echo { get; init; }

    /// <summary>The most alternatives completions' "logprobs" may ask for, as OpenAI's API allows.</summary>
    public const int MaxCompletionLogprobs = 5;

    /// <summary>
    /// Reads a body as JSON and parses it with <paramref name="parse"/> (<see cref="ParseCompletion"/> or
    /// <see cref="ParseChat"/>); anything malformed is a <see cref="RequestError"/> with a 4xx status.
    /// </summary>
    internal static async Task<T> ReadAsync<T>(Stream body, Func<JsonElement, T> parse, CancellationToken cancel)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(body, cancellationToken: cancel);
            return parse(document.RootElement.Clone());
        }
        catch (JsonException e)
        {
            throw new RequestError(400, $"the request body is not valid JSON ({e.Message.Split('.')[0]}).");
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json reads a lone surrogate (\ud800) or invalid UTF-8 inside a string only when asked for it.
            throw new RequestError(400, "the request body holds a string that is not valid Unicode (a lone surrogate or invalid UTF-8).");
        }
    }

    public static CompletionRequest ParseCompletion(JsonElement body, ServerOptions limits)
    {
        RequireObject(body);
        var prompts = body.TryGetProperty("prompt", out var prompt)
            ? prompt.ValueKind switch
            {
                JsonValueKind.String => [prompt.GetString()!],
                JsonValueKind.Array when prompt.GetArrayLength() > 0 && prompt.EnumerateArray().All(p => p.ValueKind == JsonValueKind.String)
                    => prompt.EnumerateArray().Select(p => p.GetString()!).ToArray(),
                _ => throw Invalid("prompt", "must be a string or a non-empty array of strings"),
            }
            : new[] { "" };
        var request = Common(body, limits, prompts, null);
        var logprobs = Integer(body, "logprobs");
        if (logprobs is < 0 or > MaxCompletionLogprobs) throw Invalid("logprobs", $"must be between 0 and {MaxCompletionLogprobs}");
        var echo = Boolean(body, "echo") ?? false;
        // The prompt's own tokens would need their log-probabilities too, which generation does not compute.
        if (echo && logprobs is not null) throw Invalid("echo", "cannot be combined with logprobs here; ask for one of them");
        return request with { Sampling = request.Sampling with { Logprobs = (int?)logprobs }, Echo = echo };
    }

    public static CompletionRequest ParseChat(JsonElement body, ServerOptions limits)
    {
        RequireObject(body);
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            throw Invalid("messages", "is required: a non-empty array of {role, content}");
        }
        var parsed = new List<ChatMessage>();
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
            {
                throw Invalid("messages", "each message needs a string role");
            }
            var chatRole = role.GetString() switch
            {
                "system" or "developer" => ChatRole.System,
                "user" => ChatRole.User,
                "assistant" => ChatRole.Assistant,
                var other => throw Invalid("messages", $"role '{other}' is not one of system, user, assistant"),
            };
            parsed.Add(new ChatMessage(chatRole, Content(message)));
        }
        var request = Common(body, limits, [], parsed);
        var logprobs = Boolean(body, "logprobs") ?? false;
        var top = Integer(body, "top_logprobs");
        if (top is < 0 or > SamplingOptions.MaxLogprobs) throw Invalid("top_logprobs", $"must be between 0 and {SamplingOptions.MaxLogprobs}");
        if (top is not null && !logprobs) throw Invalid("top_logprobs", "needs \"logprobs\": true");
        return logprobs ? request with { Sampling = request.Sampling with { Logprobs = (int)(top ?? 0) } } : request;
    }

    private static string Content(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null) return "";
        if (content.ValueKind == JsonValueKind.String) return content.GetString()!;
        if (content.ValueKind == JsonValueKind.Array)
        {
            return string.Concat(content.EnumerateArray().Select(part =>
                part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String
                    ? text.GetString()
                    : throw Invalid("messages", "content parts must be {\"type\": \"text\", \"text\": ...}")));
        }
        throw Invalid("messages", "content must be a string or an array of text parts");
    }

    private static CompletionRequest Common(JsonElement body, ServerOptions limits, IReadOnlyList<string> prompts, IReadOnlyList<ChatMessage>? messages)
    {
        // max_completion_tokens is the newer name of max_tokens. A request that gives neither gets the default, within the
        // server's limit: `serve --max-tokens 100` must not refuse requests for a length they never asked for.
        var maxTokens = Integer(body, "max_tokens") ?? Integer(body, "max_completion_tokens") ?? Math.Min(limits.DefaultMaxTokens, limits.MaxTokens);
        if (maxTokens < 0 || maxTokens > limits.MaxTokens) throw Invalid("max_tokens", $"must be between 0 and {limits.MaxTokens}");
        var temperature = Number(body, "temperature") ?? 1.0;
        Require("temperature", "temperature", temperature);
        var topP = Number(body, "top_p") ?? Defaults.TopP;
        Require("top_p", "top-p", topP);
        var topK = Integer(body, "top_k") ?? Defaults.TopK;
        if (topK > int.MaxValue) throw Invalid("top_k", $"must be {Declared<SamplingOptions>.Named("top-k").Range}, at most {int.MaxValue}");
        Require("top_k", "top-k", (int)topK);
        var choices = Integer(body, "n") ?? 1;
        if (choices < 1 || choices > limits.MaxChoices) throw Invalid("n", $"must be between 1 and {limits.MaxChoices}");
        // Every prompt x choice is a row of one generation batch: their number bounds what one request costs.
        if (prompts.Count * choices > limits.MaxChoices) throw Invalid(prompts.Count > 1 ? "prompt" : "n", $"asks for {prompts.Count} prompts x {choices} choices; at most {limits.MaxChoices} in all");
        var frequency = Number(body, "frequency_penalty") ?? 0;
        if (frequency is < -2 or > 2) throw Invalid("frequency_penalty", "must be between -2 and 2");
        var repetition = Number(body, "repetition_penalty") ?? SamplingOptions.RepetitionPenaltyForFrequencyPenalty(frequency);
        Require("repetition_penalty", "repetition-penalty", repetition);
        var seed = Integer(body, "seed");
        var stream = Boolean(body, "stream") ?? false;
        var model = body.TryGetProperty("model", out var m) ? m.ValueKind == JsonValueKind.String ? m.GetString() : throw Invalid("model", "must be a string") : null;
        var sampling = new SamplingOptions
        {
            Temperature = temperature,
            TopP = topP,
            TopK = (int)topK,
            Length = (int)maxTokens,
            RepetitionPenalty = repetition,
            StopSequences = Stops(body),
            Seed = seed is { } s ? unchecked((int)s) : null,
        };
        return new CompletionRequest(prompts, messages, sampling, (int)choices, stream, model) { StreamUsage = stream && IncludeUsage(body) };
    }

    private static readonly SamplingOptions Defaults = new();

    /// <summary>A request field in the range of the sampling setting it sets, or a 400 naming the field.</summary>
    private static void Require(string field, string setting, object value)
    {
        var declared = Declared<SamplingOptions>.Named(setting);
        if (declared.Problem(value) is not null) throw Invalid(field, $"must be {declared.Range}");
    }

    private static IReadOnlyList<string> Stops(JsonElement body)
    {
        if (!body.TryGetProperty("stop", out var stop) || stop.ValueKind == JsonValueKind.Null) return [];
        string[] stops = stop.ValueKind switch
        {
            JsonValueKind.String => [stop.GetString()!],
            JsonValueKind.Array when stop.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String) => stop.EnumerateArray().Select(s => s.GetString()!).ToArray(),
            _ => throw Invalid("stop", "must be a string or an array of strings"),
        };
        if (stops.Length > 4 || stops.Any(string.IsNullOrEmpty)) throw Invalid("stop", "takes at most 4 non-empty strings");
        return stops;
    }

    private static bool IncludeUsage(JsonElement body)
    {
        if (!body.TryGetProperty("stream_options", out var options) || options.ValueKind == JsonValueKind.Null) return false;
        if (options.ValueKind != JsonValueKind.Object) throw Invalid("stream_options", "must be an object");
        return Boolean(options, "include_usage") ?? false;
    }

    internal static void RequireObject(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new RequestError(400, "the request body must be a JSON object");
    }

    private static long? Integer(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var result) ? result : throw Invalid(name, "must be an integer");
    }

    private static double? Number(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw Invalid(name, "must be a number");
    }

    internal static bool? Boolean(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : throw Invalid(name, "must be true or false");
    }

    internal static RequestError Invalid(string param, string problem) => new(400, $"'{param}' {problem}.", param);
}
