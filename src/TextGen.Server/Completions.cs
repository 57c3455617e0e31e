using Microsoft.AspNetCore.Http;
using TextGen.Generation;

namespace TextGen.Server;

/// <summary>Generates the choices of a request and writes them in OpenAI's response or server-sent-event shapes.</summary>
internal static class Completions
{
    public static async Task Write(HttpContext http, TextGenerator generator, string modelId, CompletionRequest request)
    {
        var id = "cmpl-" + Guid.NewGuid().ToString("N")[..24];
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var jobs = request.Prompts.SelectMany(prompt => Enumerable.Range(0, request.Choices).Select(c => (prompt, options: request.Sampling.ForSample(c)))).ToArray();
        if (request.Stream)
        {
            StartEvents(http);
            for (var index = 0; index < jobs.Length; index++)
            {
                await foreach (var update in generator.RunAsync(jobs[index].prompt, jobs[index].options, http.RequestAborted))
                {
                    if (update.Text.Length == 0 && update.Finish is null) continue;
                    await Event(http, new
                    {
                        id, @object = "text_completion", created, model = modelId,
                        choices = new[] { new { text = update.Text, index, logprobs = (object?)null, finish_reason = Reason(update.Finish) } },
                    });
                }
            }
            await Done(http);
            return;
        }
        var results = await Task.Run(() => jobs.Select(job => generator.Complete(job.prompt, job.options, http.RequestAborted)).ToArray(), http.RequestAborted);
        await http.Response.WriteAsJsonAsync(new
        {
            id, @object = "text_completion", created, model = modelId,
            choices = results.Select((r, index) => new { text = r.Text, index, logprobs = (object?)null, finish_reason = Reason(r.Finish) }),
            usage = Usage(results),
        }, http.RequestAborted);
    }

    public static async Task WriteChat(HttpContext http, TextGenerator generator, TextGenChatClient chat, string modelId, CompletionRequest request)
    {
        var id = "chatcmpl-" + Guid.NewGuid().ToString("N")[..24];
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var prompt = chat.Format.Render(request.Messages!);
        var sampling = request.Sampling with { StopSequences = [.. request.Sampling.StopSequences, .. chat.Format.StopSequences] };
        if (request.Stream)
        {
            StartEvents(http);
            for (var index = 0; index < request.Choices; index++)
            {
                await Event(http, ChatChunk(id, created, modelId, index, new { role = "assistant", content = "" }, null));
                var leading = true;
                await foreach (var update in generator.RunAsync(prompt, sampling.ForSample(index), http.RequestAborted))
                {
                    var text = leading ? update.Text.TrimStart() : update.Text;
                    leading &= text.Length == 0;
                    if (text.Length > 0)
                    {
                        await Event(http, ChatChunk(id, created, modelId, index, new { content = text }, null));
                    }
                    if (update.Finish is { } finish)
                    {
                        await Event(http, ChatChunk(id, created, modelId, index, new { }, Reason(finish)));
                    }
                }
            }
            await Done(http);
            return;
        }
        var results = await Task.Run(() => Enumerable.Range(0, request.Choices).Select(c => generator.Complete(prompt, sampling.ForSample(c), http.RequestAborted)).ToArray(), http.RequestAborted);
        await http.Response.WriteAsJsonAsync(new
        {
            id, @object = "chat.completion", created, model = modelId,
            choices = results.Select((r, index) => new { index, message = new { role = "assistant", content = r.Text.Trim() }, finish_reason = Reason(r.Finish) }),
            usage = Usage(results),
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

    private static object Usage(IReadOnlyList<GenerationResult> results)
    {
        var prompt = results.Count > 0 ? results[0].PromptTokens : 0;
        var completion = results.Sum(r => r.CompletionTokens);
        return new { prompt_tokens = prompt, completion_tokens = completion, total_tokens = prompt + completion };
    }

    private static void StartEvents(HttpContext http)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
    }

    private static async Task Event(HttpContext http, object payload)
    {
        await http.Response.WriteAsync($"data: {System.Text.Json.JsonSerializer.Serialize(payload)}\n\n", http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }

    private static Task Done(HttpContext http) => http.Response.WriteAsync("data: [DONE]\n\n", http.RequestAborted);
}
