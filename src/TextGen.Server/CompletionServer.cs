using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Prometheus;
using TextGen.Generation;

namespace TextGen.Server;

/// <summary>
/// OpenAI-compatible HTTP endpoints over a <see cref="TextGenerator"/>: POST /v1/completions, POST /v1/chat/completions
/// (both with "stream": true as server-sent events), GET /v1/models, GET /v1/models/{id}, GET /health, GET /metrics
/// (Prometheus), and POST /tokenize and /detokenize (llama.cpp's shapes). Every request is logged in one line (<see cref="ServerOptions.LogFormat"/>), and every route but the
/// playground and /health requires the key where one is set (<see cref="ServerOptions.Key"/>).
/// </summary>
public sealed class CompletionServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrencyGate _gate;
    private readonly ServerMetrics _metrics;

    private CompletionServer(WebApplication app, ConcurrencyGate gate, ServerMetrics metrics)
    {
        _app = app;
        _gate = gate;
        _metrics = metrics;
    }

    /// <summary>The address the server listens on, e.g. http://127.0.0.1:8080.</summary>
    public string Url => _app.Urls.First();

    /// <param name="log">Where the log goes instead of stderr (a library caller's own logging); the options' level applies.</param>
    public static async Task<CompletionServer> StartAsync(TextGenerator generator, string modelId, ServerOptions options, CancellationToken cancel = default,
        ILoggerProvider? log = null)
    {
        options.Validate();
        var key = options.Key();
        // ASP.NET Core's defaults read appsettings.json from the current directory and watch that directory's whole
        // tree for changes: seconds of start-up where that tree is large (docs/deploy.md), and a stray appsettings.json
        // there could rebind the server. The program's own folder holds no such file, and nothing is watched. The
        // addresses come from the options alone: ASPNETCORE_URLS and ASPNETCORE_HTTP_PORTS (which .NET's container
        // images set) are cleared, or Kestrel would warn at each start that it overrides them.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false", "--urls=", "--http_ports=", "--https_ports="],
        });
        ConfigureLogging(builder.Logging, options, log);
        builder.Services.AddSingleton<IHostLifetime, CallerOwnsSignals>();
        var addresses = Addresses(options.Host);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            if (IsLocalhost(options.Host) && options.Port != 0) kestrel.ListenLocalhost(options.Port); // 127.0.0.1 and ::1 where it exists
            else Listen(kestrel, addresses, options.Port);
        });
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("TextGen.Server");
        var gate = new ConcurrencyGate(options.MaxConcurrent, options.MaxQueued);
        var metrics = new ServerMetrics(gate);
        var loopbackOnly = addresses.All(IPAddress.IsLoopback);
        var chat = new TextGenChatClient(generator, modelId);
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        app.Use((http, next) => RequestLog(http, next, logger, metrics));
        app.Use((http, next) => LastLineOfDefence(http, next, logger));
        if (key is not null) app.Use(RequireKey(key));
        app.MapMetrics("/metrics", metrics.Registry);
        var health = new Health("ok", modelId, generator.Precision.Name);
        app.MapGet("/health", () => Results.Json(health, OpenAiJson.Default.Health));
        var modelObject = new ModelObject(modelId, created);
        app.MapGet("/v1/models", () => Results.Json(new ModelList([modelObject]), OpenAiJson.Default.ModelList));
        app.MapGet("/v1/models/{id}", (string id) => id == modelId
            ? Results.Json(modelObject, OpenAiJson.Default.ModelObject)
            : Results.Json(new RequestError(404, $"no model '{id}'; this server serves '{modelId}'.", "model", "not_found_error").Body, OpenAiJson.Default.ErrorBody, statusCode: 404));
        app.MapPost("/v1/completions", (HttpContext http) => Handle(http, options, loopbackOnly, gate, body => CompletionRequest.ParseCompletion(body, options),
            (request, context, record) => Completions.Write(context, generator, modelId, request, record)));
        app.MapPost("/v1/chat/completions", (HttpContext http) => Handle(http, options, loopbackOnly, gate, body => CompletionRequest.ParseChat(body, options),
            (request, context, record) => Completions.WriteChat(context, chat, modelId, request, record)));
        app.MapPost("/tokenize", (HttpContext http) => Handle(http, options, loopbackOnly, null, TokenRoutes.ParseTokenize,
            (request, context, _) => TokenRoutes.WriteTokenize(context, generator, request)));
        app.MapPost("/detokenize", (HttpContext http) => Handle(http, options, loopbackOnly, null, body => TokenRoutes.ParseDetokenize(body, generator.Tokenizer.VocabularySize),
            (ids, context, _) => TokenRoutes.WriteDetokenize(context, generator, ids)));
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
            metrics.Dispose();
            throw new TextGenException($"cannot listen on {options.Host}:{options.Port} ({e.Message}); use a free port and an address of this machine (e.g. 127.0.0.1).", e);
        }
        if (!loopbackOnly && key is null)
        {
            logger.LogWarning("Listening on {Host} beyond this machine with no API key: anyone who reaches the port can generate. Set --api-key-file or TEXTGEN_API_KEY.", options.Host);
        }
        return new CompletionServer(app, gate, metrics);
    }

    /// <summary>
    /// The console log on stderr (stdout stays free), or the caller's provider; ASP.NET Core's own events only from
    /// warnings up, as its per-request lines would repeat ours.
    /// </summary>
    private static void ConfigureLogging(ILoggingBuilder logging, ServerOptions options, ILoggerProvider? log)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(options.LogLevel);
        logging.AddFilter("Microsoft", (LogLevel)Math.Max((int)LogLevel.Warning, (int)options.LogLevel));
        if (log is not null)
        {
            logging.AddProvider(log);
            return;
        }
        if (options.LogFormat == LogFormat.Json)
        {
            logging.AddJsonConsole(json =>
            {
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            logging.AddSimpleConsole(text =>
            {
                text.SingleLine = true;
                text.UseUtcTimestamp = true;
                text.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }
        logging.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
    }

    /// <summary>
    /// One log line and one count per request, written when it has ended: its id (also sent back as X-Request-Id),
    /// method, route, status and time, and for generation its tokens, time to first token and why it ended. Nothing the
    /// client sent (prompts, keys) goes in. /health and /metrics, which probes call every few seconds, log at debug.
    /// </summary>
    private static async Task RequestLog(HttpContext http, RequestDelegate next, ILogger logger, ServerMetrics metrics)
    {
        var record = new RequestRecord();
        http.Features.Set(record);
        http.Response.Headers["X-Request-Id"] = http.TraceIdentifier;
        try
        {
            await next(http);
        }
        finally
        {
            var aborted = http.RequestAborted.IsCancellationRequested;
            // 499, as nginx logs it: the client left before any answer.
            var status = aborted && !http.Response.HasStarted ? 499 : http.Response.StatusCode;
            if (aborted) record.Cancelled();
            var route = RouteOf(http);
            metrics.Request(route, status);
            if (record.Generates)
            {
                metrics.Generation(record);
                logger.LogInformation("{RequestId} {Method} {Route} {Status} {TotalMs} ms: prompt {PromptTokens} tokens, completion {CompletionTokens} tokens, " +
                                      "first token {FirstTokenMs} ms, finish {Finish}", http.TraceIdentifier, http.Request.Method, route, status,
                    Milliseconds(record.Elapsed), record.PromptTokens, record.CompletionTokens, record.FirstToken is { } first ? Milliseconds(first) : null, record.Finish);
            }
            else
            {
                logger.Log(route is "/health" or "/metrics" ? LogLevel.Debug : LogLevel.Information, "{RequestId} {Method} {Route} {Status} {TotalMs} ms",
                    http.TraceIdentifier, http.Request.Method, route, status, Milliseconds(record.Elapsed));
            }
        }
    }

    private static double Milliseconds(TimeSpan time) => Math.Round(time.TotalMilliseconds, 1);

    /// <summary>The route's pattern (/v1/models/{id}), so that a log or a metric label never holds what a client typed.</summary>
    private static string RouteOf(HttpContext http) =>
        http.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } pattern } && pattern.StartsWith('/') ? pattern : "other";

    /// <summary>
    /// Every route but the playground page and /health needs 'Authorization: Bearer KEY'. The hashes are compared, in
    /// constant time, so neither the key's content nor its length leaks through timing.
    /// </summary>
    private static Func<HttpContext, RequestDelegate, Task> RequireKey(string key)
    {
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        return (http, next) =>
        {
            if (http.Request.Path.Value is "/" or "/health") return next(http);
            var header = http.Request.Headers.Authorization.ToString();
            const string scheme = "Bearer ";
            var presented = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : null;
            if (presented is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), expected)) return next(http);
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Error(http, new RequestError(401, presented is null
                ? "this server needs an API key; send it as 'Authorization: Bearer KEY'."
                : "the API key is not this server's; send the key it was started with.", type: "invalid_request_error", code: "invalid_api_key"));
        };
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

    /// <summary>
    /// A POST route's common part: the body's size, type and origin, its parse, and for generation (a
    /// <paramref name="gate"/>) a slot; refusals answer in OpenAI's error shape.
    /// </summary>
    private static async Task Handle<T>(HttpContext http, ServerOptions options, bool loopbackOnly, ConcurrencyGate? gate,
        Func<JsonElement, T> parse, Func<T, HttpContext, RequestRecord, Task> respond)
    {
        var record = http.Features.Get<RequestRecord>()!;
        record.Generates = gate is not null;
        try
        {
            if (http.Request.ContentLength > options.MaxBodyBytes)
            {
                throw new RequestError(413, $"the request body is larger than {options.MaxBodyBytes} bytes.");
            }
            RefuseCrossSite(http.Request, loopbackOnly);
            T request;
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
            using var slot = gate is null ? null : await gate.EnterAsync(http.RequestAborted);
            InjectedFault.At("serve request");
            await respond(request, http, record);
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
    private static async Task LastLineOfDefence(HttpContext http, RequestDelegate next, ILogger logger)
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
            logger.LogError(e, "{RequestId} {Method} {Route}: {Report}", http.TraceIdentifier, http.Request.Method, RouteOf(http), line);
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

    /// <summary>
    /// The host's default lifetime takes SIGTERM and Ctrl-C for itself: it stops the server but leaves the caller,
    /// which cannot see that, waiting (a SIGTERM just after start-up hung `textgen serve`). A server inside a program
    /// leaves the signals to the program, which stops it by disposing it.
    /// </summary>
    private sealed class CallerOwnsSignals : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _gate.Dispose();
        _metrics.Dispose();
    }
}
