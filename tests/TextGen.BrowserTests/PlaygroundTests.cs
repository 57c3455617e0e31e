using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using TextGen.Generation;
using TextGen.Server;
using TextGen.Training;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace TextGen.BrowserTests;

/// <summary>A small model, trained once, served on a loopback port, and a headless Chromium to drive the page.</summary>
public sealed class PlaygroundFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("textgen-browser").FullName;
    private IPlaywright? _playwright;

    public CompletionServer Server { get; private set; } = null!;
    public TextGenerator Generator { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var corpus = Path.Combine(_dir, "prose.txt");
        await File.WriteAllTextAsync(corpus, string.Concat(Enumerable.Repeat(
            "Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse, " +
            "I thought I would sail about a little and see the watery part of the world.\nUser: hello\nAssistant: the sea.\n", 40)));
        var model = Path.Combine(_dir, "prose.tgm");
        using (var session = TrainingSession.Prepare(new TrainRequest
        {
            Corpora = [corpus],
            OutputPath = model,
            Network = new Modeling.RecurrentNetConfig { Hidden = 32, Embedding = 16 },
            Training = new TrainingOptions { Epochs = 3, MaxTime = null, BatchSize = 8, SequenceLength = 32, Seed = 1 },
        }))
        {
            session.Run();
        }
        Generator = TextGenerator.Load(model);
        Server = await CompletionServer.StartAsync(Generator, "prose", new ServerOptions { Port = 0, MaxConcurrent = 1, MaxTokens = ServerOptions.MaxTokensLimit });
        _playwright = await Playwright.CreateAsync();
        var executable = Environment.GetEnvironmentVariable("TEXTGEN_CHROMIUM") ?? "/usr/bin/chromium";
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = executable, Headless = true, Args = ["--no-sandbox"] });
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright?.Dispose();
        await Server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

public sealed class PlaygroundTests(PlaygroundFixture fixture) : IClassFixture<PlaygroundFixture>, IAsyncLifetime
{
    private IPage _page = null!;

    public async Task InitializeAsync()
    {
        _page = await fixture.Browser.NewPageAsync();
        await _page.GotoAsync(fixture.Server.Url + "/");
        await Assertions.Expect(_page.Locator("#model")).ToContainTextAsync("2x32 lstm");
    }

    public async Task DisposeAsync() => await _page.CloseAsync();

    private async Task WaitForIdle() => await Assertions.Expect(_page.Locator("#generate")).ToBeEnabledAsync(new() { Timeout = 60_000 });

    [Fact]
    public async Task ACompletionStreamsInAndEqualsTheApisText()
    {
        await _page.FillAsync("#prompt", "Call me");
        await _page.FillAsync("#max_tokens", "120");
        await _page.FillAsync("#seed", "7");
        await _page.ClickAsync("#generate");
        await WaitForIdle();
        var shown = await _page.Locator("#output-0").InnerTextAsync();

        using var http = new HttpClient { BaseAddress = new Uri(fixture.Server.Url) };
        using var response = await http.PostAsJsonAsync("/v1/completions",
            new { prompt = "Call me", max_tokens = 120, seed = 7, temperature = 0.8, top_k = 0, top_p = 1.0, repetition_penalty = 1.0, n = 1 });
        var expected = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("choices")[0].GetProperty("text").GetString();
        Assert.Equal(expected!.Trim(), shown.Trim());
        Assert.True(shown.Length > 20);
        // The model panel drew the training curve.
        Assert.NotEmpty(await _page.Locator("#val-curve").GetAttributeAsync("d") ?? "");
    }

    [Fact]
    public async Task StopEndsTheGenerationOnTheServer()
    {
        // As many tokens as the server allows (10 million, minutes of generation): the stream must not end by itself
        // before the click, however slow or busy the machine (150,000 tokens took 13 s, and CI once clicked too late).
        await _page.FillAsync("#max_tokens", ServerOptions.MaxTokensLimit.ToString());
        await _page.ClickAsync("#generate");
        await Assertions.Expect(_page.Locator("#output-0")).Not.ToBeEmptyAsync();
        await Assertions.Expect(_page.Locator("#stop-button")).ToBeEnabledAsync();
        await _page.ClickAsync("#stop-button");
        await WaitForIdle();
        // One slot: had the generation gone on, this request would wait behind it.
        using var http = new HttpClient { BaseAddress = new Uri(fixture.Server.Url) };
        var clock = Stopwatch.StartNew();
        using var response = await http.PostAsJsonAsync("/v1/completions", new { prompt = "Call me", max_tokens = 5 });
        Assert.True(response.IsSuccessStatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"the next request waited {clock.Elapsed}");
    }

    [Fact]
    public async Task ChatTakesTwoTurns()
    {
        await _page.CheckAsync("#mode-chat");
        await _page.FillAsync("#max_tokens", "40");
        await _page.FillAsync("#prompt", "hello");
        await _page.ClickAsync("#generate");
        await WaitForIdle();
        await _page.FillAsync("#prompt", "and the sea?");
        await _page.ClickAsync("#generate");
        await WaitForIdle();
        var messages = await _page.Locator("#chat-log .message").AllInnerTextsAsync();
        Assert.Equal(4, messages.Count);
        Assert.StartsWith("user: hello", messages[0]);
        Assert.StartsWith("assistant:", messages[1]);
        Assert.StartsWith("user: and the sea?", messages[2]);
    }

    [Fact]
    public async Task AnOutOfRangeFieldShowsTheServersError()
    {
        await _page.FillAsync("#temperature", "-1");
        await _page.ClickAsync("#generate");
        await Assertions.Expect(_page.Locator("#error")).ToContainTextAsync("'temperature' must be");
    }
}
