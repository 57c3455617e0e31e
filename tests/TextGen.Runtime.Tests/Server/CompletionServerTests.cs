using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using TextGen.Server;

namespace TextGen.Tests.Server;

/// <summary>Real HTTP against Kestrel on a loopback port.</summary>
public sealed class CompletionServerTests(ProseModel model) : IClassFixture<ProseModel>, IAsyncLifetime
{
    private CompletionServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await CompletionServer.StartAsync(model.Generator, "prose", new ServerOptions { Port = 0, MaxTokens = 500, MaxConcurrent = 4, MaxBodyBytes = 10_000 });
        _http = new HttpClient { BaseAddress = new Uri(_server.Url) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task HealthAndModels()
    {
        var health = await _http.GetFromJsonAsync<JsonElement>("/health");
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Contains(health.GetProperty("precision").GetString(), new[] { "fp32", "int8" });
        var models = await _http.GetFromJsonAsync<JsonElement>("/v1/models");
        Assert.Equal("prose", models.GetProperty("data")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task ThePlaygroundAndItsModelDescriptionAreServed()
    {
        using var page = await _http.GetAsync("/");
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        foreach (var id in new[] { "prompt", "generate", "stop-button", "mode-chat", "temperature", "top_k", "top_p", "repetition_penalty", "max_tokens", "stop", "seed", "\"n\"", "curve" })
        {
            Assert.Contains($"id={(id.StartsWith('"') ? id : $"\"{id}\"")}", html);
        }
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", "")); // nothing from elsewhere: works offline
        Assert.Contains("script-src 'unsafe-inline'", page.Headers.GetValues("Content-Security-Policy").Single());

        var description = await _http.GetFromJsonAsync<JsonElement>("/textgen/model");
        Assert.Equal("prose", description.GetProperty("id").GetString());
        Assert.Equal(500, description.GetProperty("max_tokens").GetInt32());
        Assert.Equal(model.Generator.Model.Metadata.Network.Hidden, description.GetProperty("hidden").GetInt32());
        Assert.True(description.GetProperty("training").GetProperty("history").GetArrayLength() > 0);
    }

    [Fact]
    public async Task CompletionsAnswerInOpenAiShape()
    {
        var response = await Post("/v1/completions", new { prompt = "Call me", max_tokens = 30, temperature = 0.7, seed = 1, n = 2 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("text_completion", body.GetProperty("object").GetString());
        var choices = body.GetProperty("choices");
        Assert.Equal(2, choices.GetArrayLength());
        Assert.Equal("length", choices[0].GetProperty("finish_reason").GetString());
        Assert.Equal(model.Generator.Generate("Call me", new() { Temperature = 0.7, Length = 30, Seed = 1 }), choices[0].GetProperty("text").GetString());
        Assert.Equal(60, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task StreamingSendsServerSentEventsThatAddUpToTheText()
    {
        var response = await Post("/v1/completions", new { prompt = "Call me", max_tokens = 40, temperature = 1, seed = 5, stream = true });
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("choices")[0]).ToArray();
        Assert.True(chunks.Length > 5);
        Assert.Equal(model.Generator.Generate("Call me", new() { Temperature = 1, Length = 40, Seed = 5 }), string.Concat(chunks.Select(c => c.GetProperty("text").GetString())));
        Assert.Equal("length", chunks[^1].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task ChatCompletionsAnswerAndStream()
    {
        var request = new { messages = new[] { new { role = "user", content = "Call me Ishmael." } }, max_tokens = 50, seed = 2 };
        var whole = await (await Post("/v1/chat/completions", request)).Content.ReadFromJsonAsync<JsonElement>();
        var message = whole.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal("assistant", message.GetProperty("role").GetString());

        var streamed = await Post("/v1/chat/completions", new { request.messages, request.max_tokens, request.seed, stream = true });
        var deltas = (await streamed.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[..^1]
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("choices")[0].GetProperty("delta"))
            .Select(d => d.TryGetProperty("content", out var c) ? c.GetString() : "");
        Assert.Equal(message.GetProperty("content").GetString(), string.Concat(deltas).Trim());
    }

    [Fact]
    public async Task ChoicesOfSeveralPromptsAreOneBatchNumberedPromptByPrompt()
    {
        var request = new { prompt = new[] { "Call me", "The sea" }, max_tokens = 20, seed = 7, n = 2 };
        var body = await (await Post("/v1/completions", request)).Content.ReadFromJsonAsync<JsonElement>();
        var choices = body.GetProperty("choices");
        Assert.Equal(4, choices.GetArrayLength());
        string[] prompts = ["Call me", "The sea"];
        for (var row = 0; row < 4; row++)
        {
            var expected = model.Generator.Generate(prompts[row / 2], new() { Temperature = 1, Length = 20, Seed = 7 + row % 2 });
            Assert.Equal(row, choices[row].GetProperty("index").GetInt32());
            Assert.Equal(expected, choices[row].GetProperty("text").GetString());
        }
        var promptTokens = prompts.Sum(p => model.Generator.EncodePrefix(p).Ids.Length);
        Assert.Equal(promptTokens, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());

        var streamed = await Post("/v1/completions", new { request.prompt, request.max_tokens, request.seed, request.n, stream = true });
        var chunks = (await streamed.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[..^1]
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("choices")[0]).ToArray();
        for (var row = 0; row < 4; row++)
        {
            var mine = chunks.Where(c => c.GetProperty("index").GetInt32() == row).ToArray();
            Assert.Equal(choices[row].GetProperty("text").GetString(), string.Concat(mine.Select(c => c.GetProperty("text").GetString())));
            Assert.Equal("length", mine[^1].GetProperty("finish_reason").GetString());
        }
    }

    [Fact]
    public async Task ChatChoicesStreamTheirOwnRepliesTheWholeReplyHas()
    {
        var messages = new[] { new { role = "user", content = "Call me Ishmael." } };
        var whole = await (await Post("/v1/chat/completions", new { messages, max_tokens = 40, seed = 3, n = 3 })).Content.ReadFromJsonAsync<JsonElement>();
        var streamed = await Post("/v1/chat/completions", new { messages, max_tokens = 40, seed = 3, n = 3, stream = true });
        var chunks = (await streamed.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[..^1]
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("choices")[0]).ToArray();
        for (var index = 0; index < 3; index++)
        {
            var deltas = chunks.Where(c => c.GetProperty("index").GetInt32() == index).Select(c => c.GetProperty("delta"))
                .Select(d => d.TryGetProperty("content", out var content) ? content.GetString() : "");
            Assert.Equal(whole.GetProperty("choices")[index].GetProperty("message").GetProperty("content").GetString(), string.Concat(deltas).TrimEnd());
        }
        Assert.Equal(3, whole.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("message").GetProperty("content").GetString()).Distinct().Count());
    }

    [Fact]
    public async Task SixteenConcurrentRequestsGiveTheSameTextsAsSequentialOnes()
    {
        object Request(int seed) => new { prompt = "Some years", max_tokens = 60, temperature = 1, seed };
        async Task<string> Text(int seed)
        {
            var body = await (await Post("/v1/completions", Request(seed))).Content.ReadFromJsonAsync<JsonElement>();
            return body.GetProperty("choices")[0].GetProperty("text").GetString()!;
        }
        var sequential = new List<string>();
        for (var seed = 0; seed < 16; seed++) sequential.Add(await Text(seed));
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 16).Select(Text));
        Assert.Equal(sequential, concurrent);
        Assert.True(sequential.Distinct().Count() > 1);
    }

    [Theory]
    [InlineData("{not json", 400, null)]
    [InlineData("[1, 2]", 400, null)]
    [InlineData("{\"prompt\": 5}", 400, "prompt")]
    [InlineData("{\"prompt\": \"a\", \"max_tokens\": \"ten\"}", 400, "max_tokens")]
    [InlineData("{\"prompt\": \"a\", \"max_tokens\": 100000}", 400, "max_tokens")]
    [InlineData("{\"prompt\": \"a\", \"temperature\": -1}", 400, "temperature")]
    [InlineData("{\"prompt\": \"a\", \"top_p\": 0}", 400, "top_p")]
    [InlineData("{\"prompt\": \"a\", \"n\": 0}", 400, "n")]
    [InlineData("{\"prompt\": \"a\", \"stream\": \"yes\"}", 400, "stream")]
    [InlineData("{\"prompt\": \"a\", \"stop\": [1]}", 400, "stop")]
    [InlineData("{\"prompt\": \"a\", \"top_k\": 2147483648}", 400, "top_k")]
    [InlineData("{\"prompt\": \"a\", \"top_k\": 4294967297}", 400, "top_k")]
    [InlineData("{\"prompt\": \"\\ud800\"}", 400, null)]
    [InlineData("{\"prompt\": [\"a\", \"b\", \"c\"], \"n\": 6}", 400, "prompt")]
    public async Task MalformedCompletionRequestsGetJson400(string body, int status, string? param)
    {
        var response = await _http.PostAsync("/v1/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(status, (int)response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        if (param is not null) Assert.Equal(param, error.GetProperty("param").GetString());
    }

    [Theory]
    [InlineData("{}", "messages")]
    [InlineData("{\"messages\": []}", "messages")]
    [InlineData("{\"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}", "messages")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": 3}]}", "messages")]
    public async Task MalformedChatRequestsGetJson400(string body, string param)
    {
        var response = await _http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(param, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task OversizedBodiesAndUnknownRoutesGetJsonErrors()
    {
        var big = await _http.PostAsync("/v1/completions", new StringContent($"{{\"prompt\": \"{new string('a', 20_000)}\"}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        Assert.True((await big.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("error", out _));
        var missing = await _http.GetAsync("/v2/nothing");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task RawInvalidUtf8GetsA400()
    {
        var body = new ByteArrayContent([.. "{\"prompt\": \"a"u8.ToArray(), 0xff, 0xfe, .. "\"}"u8.ToArray()]);
        body.Headers.ContentType = new("application/json");
        var response = await _http.PostAsync("/v1/completions", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("error", out _));
    }

    [Theory]
    [InlineData("text/plain", null, 415)]
    [InlineData("application/x-www-form-urlencoded", null, 415)]
    [InlineData("application/json", "http://evil.example", 403)]
    [InlineData("application/json; charset=utf-8", "SAME", 200)]
    [InlineData("application/json", null, 200)]
    public async Task CrossSiteRequestsAreRefused(string contentType, string? origin, int status)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent("{\"prompt\": \"Call me\", \"max_tokens\": 5}", Encoding.UTF8),
        };
        request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        if (origin is not null) request.Headers.Add("Origin", origin == "SAME" ? _server.Url : origin);
        var response = await _http.SendAsync(request);
        Assert.Equal(status, (int)response.StatusCode);
    }

    /// <summary>
    /// Random request bodies (fixed seed): known fields with values of every JSON kind, extreme numbers, lone
    /// surrogates, deep nesting and raw bytes. Every answer is 200 or a 4xx JSON error, and the server stays up.
    /// </summary>
    [Fact]
    public async Task RandomBodiesGetAnAnswerOrA4xxNeverA500()
    {
        var random = new Random(11);
        string[] fields = ["prompt", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "n", "stop", "seed", "stream",
            "frequency_penalty", "repetition_penalty", "model"];
        for (var round = 0; round < Fuzzing.FuzzBudget.Rounds(150); round++)
        {
            var body = random.Next(10) == 0
                ? Encoding.Latin1.GetString(Enumerable.Range(0, random.Next(1, 200)).Select(_ => (byte)random.Next(256)).ToArray())
                : "{" + string.Join(",", Enumerable.Range(0, random.Next(0, 6)).Select(_ => $"\"{fields[random.Next(fields.Length)]}\": {RandomJson(random, 0)}")) + "}";
            using var content = new ByteArrayContent(Encoding.Latin1.GetBytes(body));
            content.Headers.ContentType = new("application/json");
            var path = random.Next(2) == 0 ? "/v1/completions" : "/v1/chat/completions";
            var response = await _http.PostAsync(path, content);
            var status = (int)response.StatusCode;
            Assert.True(status == 200 || status is >= 400 and < 500, $"{status} for {path} {body}");
            if (status != 200)
            {
                Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("error", out _), body);
            }
        }
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/health")).StatusCode);
    }

    private static string RandomJson(Random random, int depth) => random.Next(depth > 3 ? 9 : 12) switch
    {
        0 => "null",
        1 => random.Next(2) == 0 ? "true" : "false",
        2 => random.Next(-5, 6).ToString(CultureInfo.InvariantCulture),
        3 => new[] { "1e308", "-1e308", "1e-320", "2147483648", "4294967297", "9223372036854775808", "-0", "0.5" }[random.Next(8)],
        4 => random.Next(0, 3).ToString(CultureInfo.InvariantCulture),
        5 => "\"" + new[] { "Call me", "", "\\ud800", "\\udc00x", "a\\u0000b", "😀", "User:", new string('x', 300) }[random.Next(8)] + "\"",
        6 => "\"" + new string('w', random.Next(0, 40)) + "\"",
        7 => "0.9",
        8 => "4",
        9 => "[" + string.Join(",", Enumerable.Range(0, random.Next(0, 4)).Select(_ => RandomJson(random, depth + 1))) + "]",
        10 => "{\"role\": " + RandomJson(random, depth + 1) + ", \"content\": " + RandomJson(random, depth + 1) + "}",
        _ => "[{\"role\": \"user\", \"content\": " + RandomJson(random, depth + 1) + "}]",
    };

    [Theory]
    [InlineData("rebind.example", 403)]
    [InlineData("localhost", 200)]
    [InlineData("127.0.0.1", 200)]
    public async Task ALoopbackServerAnswersOnlyRequestsAddressedToThisMachine(string host, int status)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = JsonContent.Create(new { prompt = "Call me", max_tokens = 3 }) };
        request.Headers.Host = $"{host}:{new Uri(_server.Url).Port}";
        Assert.Equal(status, (int)(await _http.SendAsync(request)).StatusCode);
    }

    private Task<HttpResponseMessage> Post(string path, object body) => _http.PostAsJsonAsync(path, body);
}
