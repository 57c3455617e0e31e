using System.ClientModel;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenAI;
using TextGen.Server;

namespace TextGen.Tests.Server;

/// <summary>What an operator relies on: the key, the request log and /metrics.</summary>
public sealed class ServerOperationsTests(ProseModel model) : IClassFixture<ProseModel>
{
    private const string Key = "k-3f9a1c";
    private const string Prompt = "Call me Ishmael, secretly";

    [Fact]
    public async Task EveryRouteButThePageAndHealthNeedsTheKey()
    {
        await using var server = await CompletionServer.StartAsync(model.Generator, "prose", new ServerOptions { Port = 0, ApiKey = Key }, log: new CapturedLog());
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode);
        foreach (var path in new[] { "/v1/models", "/v1/models/prose", "/textgen/model", "/metrics", "/nowhere" })
        {
            using var refused = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("Bearer", refused.Headers.WwwAuthenticate.Single().Scheme);
            var error = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
            Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
            Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        }
        foreach (var wrong in new[] { "Bearer k-3f9a1", "Bearer k-3f9a1cc", "Basic " + Key, Key })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = JsonContent.Create(new { prompt = "x", max_tokens = 2 }) };
            request.Headers.TryAddWithoutValidation("Authorization", wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(request)).StatusCode);
        }
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync("/v1/completions", new { prompt = "x", max_tokens = 2 })).StatusCode);

        // The official SDK sends its key the same way.
        var client = new OpenAIClient(new ApiKeyCredential(Key), new OpenAIClientOptions { Endpoint = new Uri(server.Url + "/v1") }).GetChatClient("prose");
        var reply = await client.CompleteChatAsync([new OpenAI.Chat.UserChatMessage("Hello")], new OpenAI.Chat.ChatCompletionOptions { MaxOutputTokenCount = 5 });
        Assert.Equal(5, reply.Value.Usage.OutputTokenCount);
        var wrongKey = new OpenAIClient(new ApiKeyCredential("nope"), new OpenAIClientOptions { Endpoint = new Uri(server.Url + "/v1") }).GetChatClient("prose");
        var failure = await Assert.ThrowsAsync<ClientResultException>(() => wrongKey.CompleteChatAsync([new OpenAI.Chat.UserChatMessage("Hello")]));
        Assert.Equal(401, failure.Status);
    }

    [Fact]
    public void TheKeyComesFromTheOptionOrTheFirstLineOfAFileAndIsNeverBlank()
    {
        Assert.Null(new ServerOptions().Key());
        Assert.Equal(Key, new ServerOptions { ApiKey = $" {Key} " }.Key());
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, Key + "\nsecond line\n");
            Assert.Equal(Key, new ServerOptions { ApiKeyFile = file }.Key());
            Assert.Contains("both set", Assert.Throws<SettingException>(() => new ServerOptions { ApiKey = Key, ApiKeyFile = file }.Validate()).Message);
            File.WriteAllText(file, new string('k', ServerOptions.MaxKeyLength + 1));
            Assert.Contains("longer than", Assert.Throws<SettingException>(() => new ServerOptions { ApiKeyFile = file }.Key()).Message);
            File.WriteAllText(file, "\n");
            Assert.Contains("blank", Assert.Throws<SettingException>(() => new ServerOptions { ApiKeyFile = file }.Key()).Message);
        }
        finally
        {
            File.Delete(file);
        }
        Assert.Contains("cannot be read", Assert.Throws<SettingException>(() => new ServerOptions { ApiKeyFile = file }.Key()).Message);
        Assert.Contains("blank", Assert.Throws<SettingException>(() => new ServerOptions { ApiKey = "  " }.Validate()).Message);
        Assert.Contains("control", Assert.Throws<SettingException>(() => new ServerOptions { ApiKey = "a\u0001b" }.Key()).Message);
    }

    [Fact]
    public async Task EachRequestIsLoggedInOneLineWithItsTokensAndTimesButNotWhatTheClientSent()
    {
        var log = new CapturedLog();
        await using var server = await CompletionServer.StartAsync(model.Generator, "prose", new ServerOptions { Port = 0, ApiKey = Key, LogLevel = LogLevel.Debug }, log: log);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using var answered = await http.PostAsJsonAsync("/v1/completions", new { prompt = Prompt, max_tokens = 30, n = 2, seed = 1 });
        using var streamed = await http.PostAsJsonAsync("/v1/chat/completions", new { messages = new[] { new { role = "user", content = Prompt } }, max_tokens = 7, stream = true });
        _ = await streamed.Content.ReadAsStringAsync();
        using var refused = await http.PostAsJsonAsync("/v1/completions", new { prompt = Prompt, max_tokens = -1 });
        await http.GetAsync("/health");

        // A request's line is written once it has ended, which can be just after its client has the answer.
        var lines = await Eventually(() => log.Entries.Where(e => e.Category == "TextGen.Server").ToArray(), found => found.Length >= 4);
        var completion = lines.Single(e => (string?)e.State["Route"] == "/v1/completions" && Equals(e.State["Status"], 200));
        Assert.Equal(LogLevel.Information, completion.Level);
        Assert.Equal(answered.Headers.GetValues("X-Request-Id").Single(), completion.State["RequestId"]);
        Assert.Equal("POST", completion.State["Method"]);
        Assert.Equal(60L, completion.State["CompletionTokens"]);
        Assert.True((long)completion.State["PromptTokens"]! > 0);
        var first = (double)completion.State["FirstTokenMs"]!;
        Assert.InRange(first, 0.0, (double)completion.State["TotalMs"]!);
        Assert.Equal("length", completion.State["Finish"]);

        var chat = lines.Single(e => (string?)e.State["Route"] == "/v1/chat/completions");
        Assert.Equal(7L, chat.State["CompletionTokens"]);
        Assert.NotNull(chat.State["FirstTokenMs"]);
        Assert.Contains(lines, e => (string?)e.State["Route"] == "/v1/completions" && Equals(e.State["Status"], 400));
        Assert.Equal(LogLevel.Debug, lines.Single(e => (string?)e.State["Route"] == "/health").Level);
        foreach (var entry in log.Entries)
        {
            Assert.DoesNotContain("secretly", entry.Message);
            Assert.DoesNotContain(Key, entry.Message);
        }
    }

    [Fact]
    public async Task AClientThatLeavesMidStreamIsLoggedAsCancelledWithTheTokensItGot()
    {
        var log = new CapturedLog();
        // Far more tokens than the socket buffers hold, so the stream cannot end before the client leaves.
        await using var server = await CompletionServer.StartAsync(model.Generator, "prose", new ServerOptions { Port = 0, MaxTokens = 5_000_000 }, log: log);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = JsonContent.Create(new { prompt = "Call me", max_tokens = 5_000_000, stream = true }) })
        using (var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            for (var events = 0; events < 20;)
            {
                if ((await reader.ReadLineAsync())!.StartsWith("data: ")) events++;
            }
        }
        var line = await Eventually(() => log.Entries.FirstOrDefault(e => (string?)e.State.GetValueOrDefault("Route") == "/v1/completions"), found => found is not null);
        Assert.NotNull(line);
        Assert.Equal("cancelled", line.State["Finish"]);
        Assert.Equal((long)model.Generator.EncodePrefix("Call me").Ids.Length, line.State["PromptTokens"]);
        Assert.InRange((long)line.State["CompletionTokens"]!, 20, 4_999_999);
    }

    [Fact]
    public async Task MetricsCountRequestsTokensAndTimesInPrometheusTextFormat()
    {
        await using var server = await CompletionServer.StartAsync(model.Generator, "prose", new ServerOptions { Port = 0, MaxConcurrent = 3 }, log: new CapturedLog());
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var before = await Scrape(http);
        Assert.Equal("counter", before.Types["textgen_requests_total"]);
        Assert.Equal("histogram", before.Types["textgen_time_to_first_token_seconds"]);
        Assert.Equal(3, before.Value("textgen_slots"));
        Assert.Equal(0, before.Value("textgen_slots_busy"));
        Assert.Equal(0, before.Value("textgen_queue_length"));

        using var answered = await http.PostAsJsonAsync("/v1/completions", new { prompt = "Call me", max_tokens = 25, n = 2 });
        answered.EnsureSuccessStatusCode();
        using var streamed = await http.PostAsJsonAsync("/v1/completions", new { prompt = "Call me", max_tokens = 5, stream = true });
        _ = await streamed.Content.ReadAsStringAsync();
        await http.PostAsJsonAsync("/v1/completions", new { prompt = 3 });
        // Requests are counted once they have ended, which can be just after their clients have the answers.
        var after = await Eventually(() => Scrape(http), scrape => scrape.Value("textgen_requests_total", ("route", "/v1/completions"), ("status", "400")) == 1);

        double Delta(string name, params (string, string)[] labels) => (after.Value(name, labels) ?? 0) - (before.Value(name, labels) ?? 0);
        Assert.Equal(2, Delta("textgen_requests_total", ("route", "/v1/completions"), ("status", "200")));
        Assert.Equal(1, Delta("textgen_requests_total", ("route", "/v1/completions"), ("status", "400")));
        Assert.True(Delta("textgen_requests_total", ("route", "/metrics"), ("status", "200")) >= 1); // the first scrape, and any polls

        Assert.Equal(55, Delta("textgen_generated_tokens_total"));
        Assert.True(Delta("textgen_prompt_tokens_total") > 0);
        // One observation per request (the first has two choices); the refused one generated nothing.
        Assert.Equal(2, Delta("textgen_time_to_first_token_seconds_count"));
        Assert.Equal(2, Delta("textgen_tokens_per_second_count"));
        Assert.Equal(0, after.Value("textgen_slots_busy"));
    }

    [Fact]
    public async Task BindingBeyondLoopbackWithoutAKeyWarns()
    {
        var log = new CapturedLog();
        await using (await CompletionServer.StartAsync(model.Generator, "prose", new ServerOptions { Host = "0.0.0.0", Port = 0 }, log: log))
        {
            Assert.Contains(log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("no API key"));
        }
        var quiet = new CapturedLog();
        await using (await CompletionServer.StartAsync(model.Generator, "prose", new ServerOptions { Host = "0.0.0.0", Port = 0, ApiKey = Key }, log: quiet))
        {
            Assert.DoesNotContain(quiet.Entries, e => e.Level >= LogLevel.Warning);
        }
    }

    [Fact]
    public async Task CompletionsReportLogprobsAndEchoThePrompt()
    {
        await using var server = await CompletionServer.StartAsync(model.Generator, "prose", new ServerOptions { Port = 0 }, log: new CapturedLog());
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var choice = (await (await http.PostAsJsonAsync("/v1/completions", new { prompt = "Call me", max_tokens = 20, logprobs = 2, seed = 4 }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("choices")[0];
        var logprobs = choice.GetProperty("logprobs");
        var tokens = logprobs.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()).ToArray();
        Assert.Equal(20, tokens.Length);
        Assert.Equal(choice.GetProperty("text").GetString(), string.Concat(tokens));
        var offsets = logprobs.GetProperty("text_offset").EnumerateArray().Select(o => o.GetInt32()).ToArray();
        Assert.Equal(Enumerable.Range(0, 20).Select(i => tokens[..i].Sum(t => t!.Length)), offsets);
        var top = logprobs.GetProperty("top_logprobs").EnumerateArray().ToArray();
        var chosen = logprobs.GetProperty("token_logprobs").EnumerateArray().Select(l => l.GetDouble()).ToArray();
        for (var i = 0; i < 20; i++)
        {
            var alternatives = top[i].EnumerateObject().ToArray();
            Assert.InRange(alternatives.Length, 1, 2);
            Assert.InRange(chosen[i], double.NegativeInfinity, 0);
            // The chosen token is either among the two likeliest, with the same log-probability, or less likely than both.
            var listed = alternatives.FirstOrDefault(a => a.Name == tokens[i]);
            if (listed.Value.ValueKind == JsonValueKind.Number) Assert.Equal(listed.Value.GetDouble(), chosen[i], 5);
            else Assert.All(alternatives, a => Assert.True(a.Value.GetDouble() >= chosen[i]));
        }

        var echoed = (await (await http.PostAsJsonAsync("/v1/completions", new { prompt = "Call me", max_tokens = 5, seed = 4, echo = true }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("choices")[0];
        Assert.StartsWith("Call me", echoed.GetProperty("text").GetString());
        Assert.Equal(JsonValueKind.Null, echoed.GetProperty("logprobs").ValueKind);
        var streamed = await (await http.PostAsJsonAsync("/v1/completions", new { prompt = "Call me", max_tokens = 5, seed = 4, echo = true, stream = true })).Content.ReadAsStringAsync();
        var text = string.Concat(streamed.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).SkipLast(1)
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("choices")[0].GetProperty("text").GetString()));
        Assert.Equal(echoed.GetProperty("text").GetString(), text);

        foreach (var bad in new object[] { new { prompt = "x", logprobs = 6 }, new { prompt = "x", logprobs = 1, echo = true }, new { prompt = "x", echo = "yes" } })
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync("/v1/completions", bad)).StatusCode);
        }
        var chat = new { messages = new[] { new { role = "user", content = "x" } }, top_logprobs = 2 };
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync("/v1/chat/completions", chat)).StatusCode);
        var tooMany = new { messages = new[] { new { role = "user", content = "x" } }, logprobs = true, top_logprobs = 21 };
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync("/v1/chat/completions", tooMany)).StatusCode);
    }

    [Fact]
    public async Task TokenizeAndDetokenizeAnswerInLlamaCppsShapesAndAgreeWithTheUsage()
    {
        await using var server = await CompletionServer.StartAsync(model.Generator, "prose", new ServerOptions { Port = 0 }, log: new CapturedLog());
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var tokens = (await (await http.PostAsJsonAsync("/tokenize", new { content = "Call me Ishmael." })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tokens");
        var ids = tokens.EnumerateArray().Select(t => t.GetInt32()).ToArray();
        Assert.Equal(model.Generator.EncodePrefix("Call me Ishmael.").Ids, ids);
        var usage = (await (await http.PostAsJsonAsync("/v1/completions", new { prompt = "Call me Ishmael.", max_tokens = 1 })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("usage");
        Assert.Equal(ids.Length, usage.GetProperty("prompt_tokens").GetInt32());

        var pieces = (await (await http.PostAsJsonAsync("/tokenize", new { content = "Call me", with_pieces = true })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tokens");
        Assert.Equal("Call me", string.Concat(pieces.EnumerateArray().Select(p => p.GetProperty("piece").GetString())));
        Assert.Equal(model.Generator.Tokenizer.TokenText(pieces[0].GetProperty("id").GetInt32()), pieces[0].GetProperty("piece").GetString());

        var text = await (await http.PostAsJsonAsync("/detokenize", new { tokens = ids })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Call me Ishmael.", text.GetProperty("content").GetString());

        var vocabulary = model.Generator.Tokenizer.VocabularySize;
        object[] refusals = [new { tokens = new[] { 0, vocabulary } }, new { tokens = new[] { -1 } }, new { tokens = "1 2" }, new { tokens = new object[] { 1.5 } }, new { content = 1 }];
        foreach (var bad in refusals)
        {
            using var refused = await http.PostAsJsonAsync(bad.GetType().GetProperty("content") is null ? "/detokenize" : "/tokenize", bad);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("invalid_request_error", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("type").GetString());
        }
        using var wrongType = await http.PostAsync("/tokenize", new StringContent("{\"content\": \"x\"}"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
    }

    private static Task<T> Eventually<T>(Func<T> read, Func<T, bool> done) => Eventually(() => Task.FromResult(read()), done);

    private static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var value = await read();
        for (var wait = 0; !done(value) && wait < 100; wait++)
        {
            await Task.Delay(50);
            value = await read();
        }
        return value;
    }

    private static async Task<PrometheusText.Scrape> Scrape(HttpClient http)
    {
        using var response = await http.GetAsync("/metrics");
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.MediaType);
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Every log event, with its structured fields.</summary>
    private sealed class CapturedLog : ILoggerProvider
    {
        public sealed record Entry(string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> State, Exception? Exception);

        private readonly ConcurrentQueue<Entry> _entries = new();

        public IReadOnlyList<Entry> Entries => [.. _entries];

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<Entry> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs ? pairs.ToDictionary(p => p.Key, p => p.Value) : [];
                entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), fields, exception));
            }
        }
    }
}
