using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using TextGen.Tokenization;

namespace TextGen.Tests.Packaging;

/// <summary>
/// `textgen-serve` as `./test.sh` publishes it (trimmed and self-contained, into artifacts/textgen-serve): no training
/// code or libtorch inside, and every route answers, so trimming left out nothing a request needs. It is configured
/// as a container would configure it: the model, the key and the log format from the environment. Its Dockerfile
/// builds from every project the server is made of.
/// </summary>
public sealed class TrimmedServerTests : IDisposable
{
    private const string Key = "trimmed-server-test-key";
    private readonly TempDirectory _dir = new();

    private static string Repository()
    {
        var repo = new DirectoryInfo(AppContext.BaseDirectory);
        while (repo is not null && !File.Exists(Path.Combine(repo.FullName, "TextGen.sln"))) repo = repo.Parent;
        return repo?.FullName ?? throw new InvalidOperationException($"no TextGen.sln above {AppContext.BaseDirectory}");
    }

    private static string PublishedFolder()
    {
        var folder = Path.Combine(Repository(), "artifacts", "textgen-serve");
        Assert.True(File.Exists(Path.Combine(folder, "textgen-serve")),
            $"no server in {folder}: ./test.sh publishes it first (or run `dotnet publish src/TextGen.Serve -c Release -o {folder}`)");
        return folder;
    }

    [Fact]
    public void ThePublishedServerHoldsNoTrainingCodeNorLibtorch()
    {
        var files = Directory.GetFiles(PublishedFolder()).Select(Path.GetFileName).ToArray();
        Assert.DoesNotContain(files, f => f!.Contains("torch", StringComparison.OrdinalIgnoreCase) || f.StartsWith("TextGen.Training", StringComparison.Ordinal));
        Assert.Contains("TextGen.Runtime.dll", files);
        // Self-contained: the runtime is in the folder, so a container needs no .NET image.
        Assert.Contains("libcoreclr.so", files);
    }

    [Fact]
    public async Task ThePublishedServerAnswersEveryRoute()
    {
        // Subword level: the tokenizer library's code must survive trimming too.
        var corpus = _dir.Write("prose.txt", Corpora.Prose(8));
        var request = SmallModels.Request(corpus, _dir.File("trimmed.tgm"), epochs: 2) with { Level = TokenLevel.Bpe };
        var model = SmallModels.Train(request).ModelPath;

        var started = await Start(new() { ["TEXTGEN_MODEL"] = model, ["TEXTGEN_API_KEY"] = Key, ["TEXTGEN_LOG_FORMAT"] = "json" });
        using var server = started.Server;
        var (log, address) = (started.Log, started.Url);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(address) };

            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
            var refused = await http.GetAsync("/v1/models");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("invalid_api_key", Json(await refused.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("code").GetString());

            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            Assert.Contains("<html", await http.GetStringAsync("/"), StringComparison.OrdinalIgnoreCase);
            Assert.Equal("trimmed", Json(await http.GetStringAsync("/v1/models")).GetProperty("data")[0].GetProperty("id").GetString());
            Assert.Equal("trimmed", Json(await http.GetStringAsync("/v1/models/trimmed")).GetProperty("id").GetString());
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/textgen/model")).StatusCode);

            var completion = Json(await Post(http, "/v1/completions", """{"prompt": "The ", "max_tokens": 6, "logprobs": 2, "seed": 1}"""));
            var logprobs = completion.GetProperty("choices")[0].GetProperty("logprobs");
            Assert.Equal(completion.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), logprobs.GetProperty("tokens").GetArrayLength());
            Assert.All(logprobs.GetProperty("token_logprobs").EnumerateArray(), p => Assert.True(p.GetDouble() <= 0));

            var stream = await Post(http, "/v1/completions", """{"prompt": "The ", "max_tokens": 6, "stream": true}""");
            Assert.StartsWith("data: {", stream, StringComparison.Ordinal);
            Assert.EndsWith("data: [DONE]", stream.TrimEnd(), StringComparison.Ordinal);

            var chat = Json(await Post(http, "/v1/chat/completions",
                """{"messages": [{"role": "user", "content": "Who is there?"}], "max_tokens": 5, "logprobs": true, "top_logprobs": 2}"""));
            var choice = chat.GetProperty("choices")[0];
            Assert.Equal(JsonValueKind.String, choice.GetProperty("message").GetProperty("content").ValueKind);
            Assert.Equal(2, choice.GetProperty("logprobs").GetProperty("content")[0].GetProperty("top_logprobs").GetArrayLength());

            var tokens = Json(await Post(http, "/tokenize", """{"content": "the king"}""")).GetProperty("tokens");
            Assert.True(tokens.GetArrayLength() > 0);
            var text = Json(await Post(http, "/detokenize", $$"""{"tokens": {{tokens.GetRawText()}}}""")).GetProperty("content").GetString();
            Assert.Equal("the king", text);

            var malformed = await http.PostAsync("/v1/completions", new StringContent("{", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
            Assert.Equal(JsonValueKind.String, Json(await malformed.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("message").ValueKind);

            Assert.Matches(@"(?m)^textgen_requests_total\{.*route=""/v1/completions"".*status=""200"".*\} [1-9]", await http.GetStringAsync("/metrics"));

            // SIGTERM, as a container stops: a clean stop.
            await Terminate(server);
            using var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await server.WaitForExitAsync(stopped.Token);
            Assert.Equal(0, server.ExitCode);
        }
        finally
        {
            if (!server.HasExited) server.Kill();
        }
        server.WaitForExit(); // the last of stderr

        // One JSON object per request line, naming the route and the status, and never the key.
        var lines = Text(log).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var requests = lines.Where(l => l.StartsWith('{')).Select(Json).Where(e => e.TryGetProperty("State", out var s) && s.TryGetProperty("Route", out _)).ToArray();
        Assert.Contains(requests, e => e.GetProperty("State").GetProperty("Route").GetString() == "/v1/chat/completions"
                                       && e.GetProperty("State").GetProperty("Status").GetInt32() == 200);
        Assert.DoesNotContain(Key, Text(log), StringComparison.Ordinal);
    }

    /// <summary>
    /// A SIGTERM at any moment of start-up, as an orchestrator sends when it scales down: the server ends, never waits
    /// for a second signal. One arriving just as the port opened used to be taken by ASP.NET Core's own handler, which
    /// stopped the host while the command went on waiting.
    /// </summary>
    [Fact]
    public async Task ASigtermDuringStartUpEndsTheServer()
    {
        var corpus = _dir.Write("prose.txt", Corpora.Prose(2));
        var model = SmallModels.Train(SmallModels.Request(corpus, _dir.File("early.tgm"), epochs: 1)).ModelPath;
        // The window after the port opens is a few milliseconds wide: it is tried three times.
        foreach (var moment in (string[])["50 ms", "300 ms", "port open", "port open", "port open"])
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            using var server = Process.Start(new ProcessStartInfo(Path.Combine(PublishedFolder(), "textgen-serve"), ["--model", model, "--port", port.ToString(CultureInfo.InvariantCulture)])
            {
                RedirectStandardError = true,
            })!;
            var error = server.StandardError.ReadToEndAsync();
            try
            {
                if (moment == "port open") await PortOpen(port, server);
                else await Task.Delay(int.Parse(moment.Split(' ')[0], CultureInfo.InvariantCulture));
                await Terminate(server);
                await Task.WhenAny(server.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(20)));
                Assert.True(server.HasExited, $"SIGTERM at {moment}: the server still runs after 20 s:\n{(error.IsCompleted ? await error : "")}");
                // Before the runtime has set up its handlers a SIGTERM ends the process as the system does (143);
                // once the port is open, the server itself stops.
                if (moment == "port open") Assert.True(server.ExitCode == 0, $"SIGTERM at {moment}: exit code {server.ExitCode}:\n{await error}");
            }
            finally
            {
                if (!server.HasExited) server.Kill();
            }
        }
    }

    /// <summary>
    /// SIGTERM lets the requests in flight finish. A client that is not reading holds its stream open (the output
    /// fills the socket's buffers); it reads the rest only well after the signal, and must still get every token and
    /// the closing [DONE], from a server that then exits with 0. System.CommandLine's own handler used to end the
    /// process 2 s after the signal.
    /// </summary>
    [Fact]
    public async Task ASigtermLetsTheRequestsInFlightFinish()
    {
        var corpus = _dir.Write("prose.txt", Corpora.Prose(2));
        var model = SmallModels.Train(SmallModels.Request(corpus, _dir.File("drain.tgm"), epochs: 1)).ModelPath;
        var started = await Start(new() { ["TEXTGEN_MODEL"] = model });
        using var server = started.Server;
        var (log, address) = (started.Log, started.Url);
        try
        {
            var uri = new Uri(address);
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, uri.Port);
            var stream = client.GetStream();
            // 16 choices of 4,096 tokens as server-sent events: megabytes, more than the socket's buffers hold.
            var body = """{"prompt": "The ", "max_tokens": 4096, "n": 16, "stream": true, "seed": 1}""";
            var request = $"POST /v1/completions HTTP/1.1\r\nHost: {uri.Authority}\r\nContent-Type: application/json\r\n" +
                          $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
            var first = new byte[512];
            Assert.True(await stream.ReadAsync(first) > 0, $"no answer:\n{Text(log)}");

            await Terminate(server);
            await Task.Delay(TimeSpan.FromSeconds(3));
            using var rest = new MemoryStream();
            using var reading = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await stream.CopyToAsync(rest, reading.Token);
            var text = Encoding.UTF8.GetString(rest.ToArray());
            // The last event, then the chunked encoding's closing empty chunk: the response ended as it should.
            Assert.True(text.Contains("data: [DONE]", StringComparison.Ordinal) && text.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal),
                $"the stream was cut after SIGTERM; it ended with: {text[Math.Max(0, text.Length - 200)..]}\n{Text(log)}");
            using var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await server.WaitForExitAsync(stopped.Token);
            Assert.True(server.ExitCode == 0, $"exit code {server.ExitCode}:\n{Text(log)}");
        }
        finally
        {
            if (!server.HasExited) server.Kill();
        }
    }

    /// <summary>The published server, started with <paramref name="environment"/> on a free port; its stderr is collected.</summary>
    private static async Task<(Process Server, StringBuilder Log, string Url)> Start(Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(Path.Combine(PublishedFolder(), "textgen-serve"), ["--port", "0"]) { RedirectStandardError = true };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        var server = Process.Start(start)!;
        var log = new StringBuilder();
        var url = new TaskCompletionSource<string>();
        server.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (log) log.AppendLine(e.Data);
            if (Regex.Match(e.Data, @"^Serving .* on (http://\S+) ") is { Success: true } match) url.TrySetResult(match.Groups[1].Value);
        };
        server.BeginErrorReadLine();
        var started = await Task.WhenAny(url.Task, server.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        if (started != url.Task)
        {
            if (!server.HasExited) server.Kill();
            server.Dispose();
            Assert.Fail($"textgen-serve did not start:\n{Text(log)}");
        }
        return (server, log, await url.Task);
    }

    /// <summary>SIGTERM, as `docker stop` and Kubernetes send.</summary>
    private static async Task Terminate(Process server)
    {
        using var kill = Process.Start("kill", ["-TERM", server.Id.ToString(CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
    }

    private static async Task PortOpen(int port, Process server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !server.HasExited)
        {
            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(5);
            }
        }
        Assert.Fail($"textgen-serve did not open port {port}");
    }

    [Fact]
    public void TheDockerfileCopiesEveryProjectTheServerIsBuiltFrom()
    {
        var repo = Repository();
        var dockerfile = File.ReadAllText(Path.Combine(repo, "src", "TextGen.Serve", "Dockerfile"));
        var missing = new List<string>();
        foreach (var file in Directory.GetFiles(repo, "Directory.*").Append(Path.Combine(repo, "global.json")).Select(Path.GetFileName))
        {
            if (!Regex.IsMatch(dockerfile, $@"(?m)^COPY .*\b{Regex.Escape(file!)}\b")) missing.Add(file!);
        }
        foreach (var project in ProjectClosure(Path.Combine(repo, "src", "TextGen.Serve", "TextGen.Serve.csproj")))
        {
            var name = Path.GetFileNameWithoutExtension(project);
            foreach (var copy in (string[])[$"COPY src/{name}/{name}.csproj src/{name}/", $"COPY src/{name}/ src/{name}/"])
            {
                if (!dockerfile.Contains(copy, StringComparison.Ordinal)) missing.Add(copy);
            }
        }
        Assert.True(missing.Count == 0, "src/TextGen.Serve/Dockerfile lacks: " + string.Join("; ", missing));
    }

    /// <summary>The project and every project it references, directly or not.</summary>
    private static IEnumerable<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>();
        var pending = new Stack<string>([Path.GetFullPath(project)]);
        while (pending.TryPop(out var next))
        {
            if (!seen.Add(next)) continue;
            foreach (var reference in System.Xml.Linq.XDocument.Load(next).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")!.Value.Replace('\\', '/');
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(next)!, include)));
            }
        }
        return seen;
    }

    private static async Task<string> Post(HttpClient http, string route, string body)
    {
        using var response = await http.PostAsync(route, new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{route}: {(int)response.StatusCode} {text}");
        return text;
    }

    private static string Text(StringBuilder log)
    {
        lock (log) return log.ToString();
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    public void Dispose() => _dir.Dispose();
}
