using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TextGen.Generation;

namespace TextGen.Server;

/// <summary>
/// OpenAI-compatible HTTP endpoints over a <see cref="TextGenerator"/>: POST /v1/completions, POST /v1/chat/completions
/// (both with "stream": true as server-sent events), GET /v1/models, GET /v1/models/{id} and GET /health.
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
        var addresses = Addresses(options.Host);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            if (IsLocalhost(options.Host) && options.Port != 0) kestrel.ListenLocalhost(options.Port); // 127.0.0.1 and ::1 where it exists
            else Listen(kestrel, addresses, options.Port);
        });
        var app = builder.Build();
        var gate = new ConcurrencyGate(options.MaxConcurrent, options.MaxQueued);
        var loopbackOnly = addresses.All(IPAddress.IsLoopback);
        var chat = new TextGenChatClient(generator, modelId);
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        app.Use(LastLineOfDefence);
        var health = new Health("ok", modelId, generator.Precision.Name);
        app.MapGet("/health", () => Results.Json(health, OpenAiJson.Default.Health));
        var modelObject = new ModelObject(modelId, created);
        app.MapGet("/v1/models", () => Results.Json(new ModelList([modelObject]), OpenAiJson.Default.ModelList));
        app.MapGet("/v1/models/{id}", (string id) => id == modelId
            ? Results.Json(modelObject, OpenAiJson.Default.ModelObject)
            : Results.Json(new RequestError(404, $"no model '{id}'; this server serves '{modelId}'.", "model", "not_found_error").Body, OpenAiJson.Default.ErrorBody, statusCode: 404));
        app.MapPost("/v1/completions", (HttpContext http) => Handle(http, options, loopbackOnly, gate, body => CompletionRequest.ParseCompletion(body, options),
            (request, context) => Completions.Write(context, generator, modelId, request)));
        app.MapPost("/v1/chat/completions", (HttpContext http) => Handle(http, options, loopbackOnly, gate, body => CompletionRequest.ParseChat(body, options),
            (request, context) => Completions.WriteChat(context, chat, modelId, request)));
        var page = Playground.Page();
        app.MapGet("/", (HttpContext http) =>
        {
            http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'";
            http.Response.Headers.XContentTypeOptions = "nosniff";
            return Results.Bytes(page, "text/html; charset=utf-8");
        });
        var summary = Playground.ModelJson(generator, modelId, options);
        app.MapGet("/textgen/model", (HttpContext http) => loopbackOnly && !AddressedToLoopback(http.Request)
            ? Results.Json(NotAddressedToLoopback(http.Request).Body, OpenAiJson.Default.ErrorBody, statusCode: 403)
            : Results.Text(summary, "application/json"));
        app.MapFallback((HttpContext http) => Error(http, new RequestError(404, $"no route {http.Request.Method} {http.Request.Path}; see /v1/models.", type: "not_found_error")));

        try
        {
            await app.StartAsync(cancel);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            await app.DisposeAsync();
            throw new TextGenException($"cannot listen on {options.Host}:{options.Port} ({e.Message}); use a free port and an address of this machine (e.g. 127.0.0.1).", e);
        }
        return new CompletionServer(app, gate);
    }

    public Task WaitForShutdownAsync(CancellationToken cancel) => _app.WaitForShutdownAsync(cancel);

    /// <summary>
    /// The addresses <paramref name="host"/> names, to be bound exactly: an IP address as given, localhost as the IPv4
    /// loopback, another name as the addresses it resolves to. Kestrel given a name other than localhost would bind
    /// every interface, wider than asked.
    /// </summary>
    private static IPAddress[] Addresses(string host)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address)) return [address];
        if (IsLocalhost(host)) return [IPAddress.Loopback];
        try
        {
            var resolved = Dns.GetHostAddresses(host);
            return resolved.Length > 0 ? resolved : throw new TextGenException($"cannot listen on {host}: the name has no addresses; use an address of this machine (e.g. 127.0.0.1).");
        }
        catch (SocketException e)
        {
            throw new TextGenException($"cannot listen on {host}: the name does not resolve ({e.Message}); use an address of this machine (e.g. 127.0.0.1).", e);
        }
    }

    private static bool IsLocalhost(string host) => string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase);

    /// <summary>Binds each address; with port 0 only the first, so that the server has one port.</summary>
    private static void Listen(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel, IPAddress[] addresses, int port)
    {
        foreach (var address in port == 0 ? addresses[..1] : addresses)
        {
            kestrel.Listen(address, port);
        }
    }

    private static async Task Handle(HttpContext http, ServerOptions options, bool loopbackOnly, ConcurrencyGate gate,
        Func<JsonElement, CompletionRequest> parse, Func<CompletionRequest, HttpContext, Task> respond)
    {
        try
        {
            if (http.Request.ContentLength > options.MaxBodyBytes)
            {
                throw new RequestError(413, $"the request body is larger than {options.MaxBodyBytes} bytes.");
            }
            RefuseCrossSite(http.Request, loopbackOnly);
            CompletionRequest request;
            try
            {
                request = await CompletionRequest.ReadAsync(http.Request.Body, parse, http.RequestAborted);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                throw new RequestError(413, $"the request body is larger than {options.MaxBodyBytes} bytes.");
            }
            catch (BadHttpRequestException e)
            {
                // A malformed chunk, a truncated or too slow body: the client's fault, not an internal error.
                throw new RequestError(e.StatusCode, $"the request body could not be read ({e.Message.TrimEnd('.')}); send it whole, as JSON.");
            }
            using var slot = await gate.EnterAsync(http.RequestAborted);
            InjectedFault.At("serve request");
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
        catch (ClientStalledException)
        {
            // The client stopped reading and the connection was ended (Completions.Send).
        }
    }

    /// <summary>
    /// Any web page can make a browser POST to a server on this machine; a "simple" cross-site request carries
    /// text/plain or a form type and no preflight. Requiring JSON forces the browser's CORS preflight, which this
    /// server does not grant, and a request whose Origin is another site is refused outright.
    /// </summary>
    private static void RefuseCrossSite(HttpRequest request, bool loopbackOnly)
    {
        // A page on another site can point its own name at 127.0.0.1 (DNS rebinding) and then be "same-origin": a
        // server on loopback only answers requests that address it as this machine.
        if (loopbackOnly && !AddressedToLoopback(request))
        {
            throw NotAddressedToLoopback(request);
        }
        var type = request.ContentType is { } contentType ? contentType.Split(';')[0].Trim() : "";
        if (!type.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw new RequestError(415, $"send the request body as JSON with 'Content-Type: application/json' (got '{type}').");
        }
        if (request.Headers.Origin is { Count: > 0 } origin && Uri.TryCreate(origin.ToString(), UriKind.Absolute, out var site)
            && !string.Equals(site.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase))
        {
            throw new RequestError(403, $"cross-site requests are refused (Origin {site.GetLeftPart(UriPartial.Authority)}).");
        }
    }

    private static RequestError NotAddressedToLoopback(HttpRequest request) =>
        new(403, $"this server listens on loopback and answers only requests addressed to localhost, not to '{request.Host.Host}'.");

    private static bool AddressedToLoopback(HttpRequest request) =>
        IsLocalhost(request.Host.Host) || IPAddress.TryParse(request.Host.Host.Trim('[', ']'), out var literal) && IPAddress.IsLoopback(literal);

    /// <summary>
    /// An exception no check foresaw, in any route: the full trace goes to a report (its path on the server's stderr),
    /// the client gets a 500 in OpenAI's error shape (or, mid-stream, an error event ending the stream), and the server keeps serving.
    /// </summary>
    private static async Task LastLineOfDefence(HttpContext http, RequestDelegate next)
    {
        try
        {
            await next(http);
        }
        catch (Exception e) when (!http.RequestAborted.IsCancellationRequested && e is not BadHttpRequestException)
        {
            // A client that went away, or sent a body Kestrel could not read, is not an internal error (and must not be
            // able to fill the disk with reports).
            var line = InternalError.Record(e);
            Console.Error.WriteLine($"textgen serve: {http.Request.Method} {http.Request.Path}: {line}");
            var error = new RequestError(500, $"internal error ({e.GetType().Name}); the server logged a report, and keeps serving.", type: "server_error");
            if (http.Response.HasStarted)
            {
                // A stream that failed midway ends with an error event (OpenAI's SDKs raise it) and no [DONE]; anything
                // else that had begun is cut off.
                if (http.Response.ContentType != "text/event-stream" || !await TryEndStreamWith(http, error)) http.Abort();
                return;
            }
            http.Response.Clear();
            await Error(http, error);
        }
    }

    /// <summary>
    /// Sends the error as the stream's last event and ends the response; false when the client is gone or not reading.
    /// (Ending the connection instead would lose the event: a reset drops what the client has not read yet.)
    /// </summary>
    private static async Task<bool> TryEndStreamWith(HttpContext http, RequestError error)
    {
        try
        {
            await Completions.ErrorEvent(http, error);
            await http.Response.CompleteAsync();
            return true;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ClientStalledException or ObjectDisposedException)
        {
            return false;
        }
    }

    private static Task Error(HttpContext http, RequestError error)
    {
        http.Response.StatusCode = error.Status;
        if (error.Status == StatusCodes.Status413PayloadTooLarge)
        {
            // The unread body makes Kestrel close the connection; saying so keeps clients from reusing it for the next
            // request, which would then fail (seen in the soak test: "the response ended prematurely").
            http.Response.Headers.Connection = "close";
        }
        return http.Response.WriteAsJsonAsync(error.Body, OpenAiJson.Default.ErrorBody);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _gate.Dispose();
    }
}
