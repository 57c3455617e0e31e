using Microsoft.AspNetCore.Http;
using TextGen.Generation;

namespace TextGen.Server;

/// <summary>
/// Writes OpenAI's response and server-sent-event shapes. The generation itself is the generator's (completions: every
/// prompt x choice as one batch) or the chat client's (chat: its prompt format, stops and reply trimming).
/// </summary>
internal static class Completions
{
    public static async Task Write(HttpContext http, TextGenerator generator, string modelId, CompletionRequest request)
    {
        var id = "cmpl-" + Guid.NewGuid().ToString("N")[..24];
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        // Row p * n + c is choice c of prompt p, and its index in the response, as OpenAI numbers them.
        var rows = request.Prompts.SelectMany(prompt => TextGenerator.Samples(prompt, request.Sampling, request.Choices)).ToArray();
        if (request.Stream)
        {
            StartEvents(http);
            var streamed = new GenerationCollector(rows.Length);
            await foreach (var update in generator.RunAsync(rows, http.RequestAborted))
            {
                streamed.Add(update);
                if (update.Text.Length == 0 && update.Finish is null) continue;
                await Event(http, new
                {
                    id, @object = "text_completion", created, model = modelId,
                    choices = new[] { new { text = update.Text, index = update.Index, logprobs = (object?)null, finish_reason = Reason(update.Finish) } },
                });
                InjectedFault.At("serve stream");
            }
            if (request.StreamUsage)
            {
                await Event(http, new { id, @object = "text_completion", created, model = modelId, choices = Array.Empty<object>(), usage = Usage(streamed.Results(), request.Choices) });
            }
            await Done(http);
            return;
        }
        var results = await Task.Run(() => generator.Complete(rows, http.RequestAborted), http.RequestAborted);
        await http.Response.WriteAsJsonAsync(new
        {
            id, @object = "text_completion", created, model = modelId,
            choices = results.Select((r, index) => new { text = r.Text, index, logprobs = (object?)null, finish_reason = Reason(r.Finish) }),
            usage = Usage(results, request.Choices),
        }, http.RequestAborted);
    }

    public static async Task WriteChat(HttpContext http, TextGenChatClient chat, string modelId, CompletionRequest request)
    {
        var id = TextGenChatClient.NewResponseId();
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (request.Stream)
        {
            StartEvents(http);
            for (var index = 0; index < request.Choices; index++)
            {
                await Event(http, ChatChunk(id, created, modelId, index, new { role = "assistant", content = "" }, null));
            }
            var streamed = new GenerationCollector(request.Choices);
            await foreach (var update in chat.StreamChoicesAsync(request.Messages!, request.Sampling, request.Choices, http.RequestAborted))
            {
                streamed.Add(update);
                if (update.Text.Length > 0)
                {
                    await Event(http, ChatChunk(id, created, modelId, update.Index, new { content = update.Text }, null));
                }
                if (update.Finish is { } finish)
                {
                    await Event(http, ChatChunk(id, created, modelId, update.Index, new { }, Reason(finish)));
                }
            }
            if (request.StreamUsage)
            {
                await Event(http, new { id, @object = "chat.completion.chunk", created, model = modelId, choices = Array.Empty<object>(), usage = Usage(streamed.Results(), request.Choices) });
            }
            await Done(http);
            return;
        }
        var results = await chat.CompleteChoicesAsync(request.Messages!, request.Sampling, request.Choices, http.RequestAborted);
        await http.Response.WriteAsJsonAsync(new
        {
            id, @object = "chat.completion", created, model = modelId,
            choices = results.Select((r, index) => new { index, message = new { role = "assistant", content = r.Text }, finish_reason = Reason(r.Finish) }),
            usage = Usage(results, request.Choices),
        }, http.RequestAborted);
    }

    private static object ChatChunk(string id, long created, string model, int index, object delta, string? finish) => new
    {
        id, @object = "chat.completion.chunk", created, model,
        choices = new[] { new { index, delta, finish_reason = finish } },
    };

    private static string? Reason(FinishReason? finish) => finish switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        _ => null,
    };

    /// <summary>OpenAI's usage: each prompt's tokens once (not once per choice), and every choice's completion tokens.</summary>
    private static object Usage(IReadOnlyList<GenerationResult> results, int choicesPerPrompt)
    {
        var prompt = results.Where((_, row) => row % choicesPerPrompt == 0).Sum(r => r.PromptTokens);
        var completion = results.Sum(r => r.CompletionTokens);
        return new { prompt_tokens = prompt, completion_tokens = completion, total_tokens = prompt + completion };
    }

    private static void StartEvents(HttpContext http)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
    }

    /// <summary>The last event of a stream that failed after it began: OpenAI's error shape, which its SDKs raise as an error.</summary>
    public static Task ErrorEvent(HttpContext http, RequestError error) => Event(http, error.Body);

    private static Task Event(HttpContext http, object payload) => Send(http, $"data: {System.Text.Json.JsonSerializer.Serialize(payload)}\n\n");

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
