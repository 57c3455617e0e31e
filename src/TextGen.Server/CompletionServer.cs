using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TextGen.Generation;

namespace TextGen.Server;

/// <summary>
/// OpenAI-compatible HTTP endpoints over a <see cref="TextGenerator"/>: POST /v1/completions, POST /v1/chat/completions
/// (both with "stream": true as server-sent events), GET /v1/models and GET /health.
/// </summary>
public sealed class CompletionServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrencyGate _gate;

    private CompletionServer(WebApplication app, ConcurrencyGate gate)
    {
        _app = app;
        _gate = gate;
    }

    /// <summary>The address the server listens on, e.g. http://127.0.0.1:8080.</summary>
    public string Url => _app.Urls.First();

    public static async Task<CompletionServer> StartAsync(TextGenerator generator, string modelId, ServerOptions options, CancellationToken cancel = default)
    {
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes);
        builder.WebHost.UseUrls($"http://{(options.Host.Contains(':') ? $"[{options.Host}]" : options.Host)}:{options.Port}");
        var app = builder.Build();
        var gate = new ConcurrencyGate(options.MaxConcurrent, options.MaxQueued);
        var chat = new TextGenChatClient(generator, modelId);
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        app.MapGet("/health", () => Results.Json(new { status = "ok", model = modelId }));
        app.MapGet("/v1/models", () => Results.Json(new
        {
            @object = "list",
            data = new[] { new { id = modelId, @object = "model", created, owned_by = "textgen" } },
        }));
        app.MapPost("/v1/completions", (HttpContext http) => Handle(http, options, gate, body => CompletionRequest.ParseCompletion(body, options),
            (request, context) => Completions.Write(context, generator, modelId, request)));
        app.MapPost("/v1/chat/completions", (HttpContext http) => Handle(http, options, gate, body => CompletionRequest.ParseChat(body, options),
            (request, context) => Completions.WriteChat(context, chat, modelId, request)));
        app.MapFallback((HttpContext http) => Error(http, new RequestError(404, $"no route {http.Request.Method} {http.Request.Path}; see /v1/models.", type: "not_found_error")));

        try
        {
            await app.StartAsync(cancel);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new TextGenException($"cannot listen on {options.Host}:{options.Port} ({e.Message}); choose another --port or --host.", e);
        }
        return new CompletionServer(app, gate);
    }

    public Task WaitForShutdownAsync(CancellationToken cancel) => _app.WaitForShutdownAsync(cancel);

    private static async Task Handle(HttpContext http, ServerOptions options, ConcurrencyGate gate,
        Func<JsonElement, CompletionRequest> parse, Func<CompletionRequest, HttpContext, Task> respond)
    {
        try
        {
            if (http.Request.ContentLength > options.MaxBodyBytes)
            {
                throw new RequestError(413, $"the request body is larger than {options.MaxBodyBytes} bytes.");
            }
            CompletionRequest request;
            try
            {
                using var document = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
                request = parse(document.RootElement.Clone());
            }
            catch (JsonException e)
            {
                throw new RequestError(400, $"the request body is not valid JSON ({e.Message.Split('.')[0]}).");
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                throw new RequestError(413, $"the request body is larger than {options.MaxBodyBytes} bytes.");
            }
            using var slot = await gate.EnterAsync(http.RequestAborted);
            await respond(request, http);
        }
        catch (RequestError e) when (!http.Response.HasStarted)
        {
            await Error(http, e);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
    }

    private static Task Error(HttpContext http, RequestError error)
    {
        http.Response.StatusCode = error.Status;
        return http.Response.WriteAsJsonAsync(error.Body);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _gate.Dispose();
    }
}
