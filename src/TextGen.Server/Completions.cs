using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using TextGen.Generation;

namespace TextGen.Server;

/// <summary>
/// Writes OpenAI's response and server-sent-event shapes. The generation itself is the generator's (completions: every
/// prompt x choice as one batch) or the chat client's (chat: its prompt format, stops and reply trimming).
/// </summary>
internal static class Completions
{
    public static async Task Write(HttpContext http, TextGenerator generator, string modelId, CompletionRequest request, RequestRecord record)
    {
        var id = "cmpl-" + Guid.NewGuid().ToString("N")[..24];
        record.ChoicesPerPrompt = request.Choices;
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        // Row p * n + c is choice c of prompt p, and its index in the response, as OpenAI numbers them.
        var rows = request.Prompts.SelectMany(prompt => TextGenerator.Samples(prompt, request.Sampling, request.Choices)).ToArray();
        string Echoed(int row) => request.Echo ? rows[row].Prompt : "";
        if (request.Stream)
        {
            StartEvents(http);
            for (var row = 0; row < rows.Length && request.Echo; row++)
            {
                await Event(http, new CompletionResponse(id, created, modelId, [new CompletionChoice(Echoed(row), row, null)], null), OpenAiJson.Default.CompletionResponse);
            }
            var streamed = new GenerationCollector(rows.Length);
            var offsets = new int[rows.Length];
            await foreach (var update in generator.RunAsync(rows, http.RequestAborted))
            {
                streamed.Add(update);
                record.Observe(update);
                if (update.Text.Length == 0 && update.Finish is null && update.Logprob is null) continue;
                var logprobs = update.Logprob is { } token ? LogprobShapes.Completion([token], offsets[update.Index]) : null;
                offsets[update.Index] += update.Logprob?.Token.Length ?? 0;
                var choice = new CompletionChoice(update.Text, update.Index, Reason(update.Finish)) { Logprobs = logprobs };
                await Event(http, new CompletionResponse(id, created, modelId, [choice], null), OpenAiJson.Default.CompletionResponse);
                InjectedFault.At("serve stream");
            }
            var usage = CountUsage(streamed.Results(), request.Choices, record);
            if (request.StreamUsage)
            {
                await Event(http, new CompletionResponse(id, created, modelId, [], usage), OpenAiJson.Default.CompletionResponse);
            }
            await Done(http);
            return;
        }
        var tokens = rows.Select(_ => new List<TokenLogprob>()).ToArray();
        var results = await Task.Run(() => generator.Complete(rows, http.RequestAborted, update =>
        {
            record.Observe(update);
            if (update.Logprob is { } token) tokens[update.Index].Add(token);
        }), http.RequestAborted);
        var choices = results.Select((r, index) => new CompletionChoice(Echoed(index) + r.Text, index, Reason(r.Finish))
        {
            Logprobs = request.Sampling.Logprobs is null ? null : LogprobShapes.Completion(tokens[index], 0),
        }).ToArray();
        await http.Response.WriteAsJsonAsync(new CompletionResponse(id, created, modelId, choices, CountUsage(results, request.Choices, record)),
            OpenAiJson.Default.CompletionResponse, cancellationToken: http.RequestAborted);
    }

    public static async Task WriteChat(HttpContext http, TextGenChatClient chat, string modelId, CompletionRequest request, RequestRecord record)
    {
        var id = TextGenChatClient.NewResponseId();
        record.ChoicesPerPrompt = request.Choices;
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (request.Stream)
        {
            StartEvents(http);
            for (var index = 0; index < request.Choices; index++)
            {
                await Chunk(http, id, created, modelId, index, new ChatDelta("assistant", ""), null);
            }
            var streamed = new GenerationCollector(request.Choices);
            await foreach (var update in chat.StreamChoicesAsync(request.Messages!, request.Sampling, request.Choices, http.RequestAborted))
            {
                streamed.Add(update);
                record.Observe(update);
                if (update.Text.Length > 0 || update.Logprob is not null)
                {
                    var logprobs = update.Logprob is { } token ? LogprobShapes.Chat([token]) : null;
                    await Chunk(http, id, created, modelId, update.Index, new ChatDelta(null, update.Text), null, logprobs);
                }
                if (update.Finish is { } finish)
                {
                    await Chunk(http, id, created, modelId, update.Index, new ChatDelta(null, null), Reason(finish));
                }
            }
            var usage = CountUsage(streamed.Results(), request.Choices, record);
            if (request.StreamUsage)
            {
                await Event(http, new ChatChunk(id, created, modelId, [], usage), OpenAiJson.Default.ChatChunk);
            }
            await Done(http);
            return;
        }
        var tokens = Enumerable.Range(0, request.Choices).Select(_ => new List<TokenLogprob>()).ToArray();
        var results = await chat.CompleteChoicesAsync(request.Messages!, request.Sampling, request.Choices, http.RequestAborted, update =>
        {
            record.Observe(update);
            if (update.Logprob is { } token) tokens[update.Index].Add(token);
        });
        var choices = results.Select((r, index) => new ChatChoice(index, new ChatMessageOut("assistant", r.Text), Reason(r.Finish))
        {
            Logprobs = request.Sampling.Logprobs is null ? null : LogprobShapes.Chat(tokens[index]),
        }).ToArray();
        await http.Response.WriteAsJsonAsync(new ChatCompletionResponse(id, created, modelId, choices, CountUsage(results, request.Choices, record)),
            OpenAiJson.Default.ChatCompletionResponse, cancellationToken: http.RequestAborted);
    }

    private static Task Chunk(HttpContext http, string id, long created, string model, int index, ChatDelta delta, string? finish, ChatLogprobs? logprobs = null) =>
        Event(http, new ChatChunk(id, created, model, [new ChatChunkChoice(index, delta, finish) { Logprobs = logprobs }], null), OpenAiJson.Default.ChatChunk);

    private static string? Reason(FinishReason? finish) => finish switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        _ => null,
    };

    /// <summary>
    /// OpenAI's usage: each prompt's tokens once (not once per choice), and every choice's completion tokens; also what
    /// the request's log line and the metrics report.
    /// </summary>
    private static Usage CountUsage(IReadOnlyList<GenerationResult> results, int choicesPerPrompt, RequestRecord record)
    {
        var prompt = results.Where((_, row) => row % choicesPerPrompt == 0).Sum(r => r.PromptTokens);
        var completion = results.Sum(r => r.CompletionTokens);
        record.Ended(results.Select(r => r.Finish), prompt, completion);
        return new Usage(prompt, completion, prompt + completion);
    }

    private static void StartEvents(HttpContext http)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
    }

    /// <summary>The last event of a stream that failed after it began: OpenAI's error shape, which its SDKs raise as an error.</summary>
    public static Task ErrorEvent(HttpContext http, RequestError error) => Event(http, error.Body, OpenAiJson.Default.ErrorBody);

    private static Task Event<T>(HttpContext http, T payload, JsonTypeInfo<T> shape) => Send(http, $"data: {JsonSerializer.Serialize(payload, shape)}\n\n");

    private static Task Done(HttpContext http) => Send(http, "data: [DONE]\n\n");

    /// <summary>
    /// A client that stops reading makes writes wait once the socket buffers are full, and generation waits with them,
    /// holding a slot. A write that cannot complete within <see cref="StalledWriteTimeout"/> ends the connection, which
    /// cancels the generation and frees the slot.
    /// </summary>
    private static async Task Send(HttpContext http, string text)
    {
        using var stalled = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        stalled.CancelAfter(StalledWriteTimeout);
        try
        {
            await http.Response.WriteAsync(text, stalled.Token);
            await http.Response.Body.FlushAsync(stalled.Token);
        }
        catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested)
        {
            http.Abort();
            throw new ClientStalledException();
        }
    }

    /// <summary>How long one write may wait for a client that does not read (a reader on a slow link takes a few ms per event).</summary>
    public static readonly TimeSpan StalledWriteTimeout = TimeSpan.FromSeconds(10);
}

/// <summary>The client stopped reading and its connection was ended; nothing more to answer.</summary>
internal sealed class ClientStalledException() : Exception("the client stopped reading");
