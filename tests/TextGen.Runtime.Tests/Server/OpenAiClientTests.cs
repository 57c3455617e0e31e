#pragma warning disable OPENAI001 // ChatCompletionOptions.Seed is marked experimental; the server honours it
using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using TextGen.Generation;
using TextGen.Server;

namespace TextGen.Tests.Server;

/// <summary>
/// `textgen serve` as the clients people actually use see it: the official OpenAI .NET SDK and Microsoft.Extensions.AI's
/// OpenAI chat client, with their default request shapes (stream_options with include_usage, max_completion_tokens).
/// </summary>
public sealed class OpenAiClientTests(ProseModel model) : IClassFixture<ProseModel>, IAsyncLifetime
{
    private CompletionServer _server = null!;
    private OpenAIClient _openAi = null!;

    public async Task InitializeAsync()
    {
        // A limit below the default max_tokens (256): a request that names no length must still be served.
        _server = await CompletionServer.StartAsync(model.Generator, "prose", new ServerOptions { Port = 0, MaxTokens = 100 });
        _openAi = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(_server.Url + "/v1") });
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task LogprobsComeInTheOfficialSdksShapeWhetherStreamedOrNot()
    {
        var chat = _openAi.GetChatClient("prose");
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 25, IncludeLogProbabilities = true, TopLogProbabilityCount = 3 };
        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("Call me Ishmael.")], options);
        var tokens = completion.ContentTokenLogProbabilities;
        Assert.Equal(completion.Usage.OutputTokenCount, tokens.Count);
        Assert.Contains(completion.Content[0].Text, string.Concat(tokens.Select(t => t.Token)));
        foreach (var token in tokens)
        {
            Assert.Equal(3, token.TopLogProbabilities.Count);
            Assert.Equal(token.Token, token.TopLogProbabilities[0].Token); // temperature 0 takes the likeliest
            Assert.Equal(token.LogProbability, token.TopLogProbabilities[0].LogProbability);
            Assert.Equal(System.Text.Encoding.UTF8.GetBytes(token.Token), token.Utf8Bytes!.Value.ToArray());
        }

        var streamed = new List<ChatTokenLogProbabilityDetails>();
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Call me Ishmael.")], options))
        {
            streamed.AddRange(update.ContentTokenLogProbabilities);
        }
        Assert.Equal(tokens.Select(t => (t.Token, t.LogProbability)), streamed.Select(t => (t.Token, t.LogProbability)));

        // The SDK's default: log-probabilities without alternatives.
        ChatCompletion bare = await chat.CompleteChatAsync([new UserChatMessage("Call me Ishmael.")],
            new ChatCompletionOptions { MaxOutputTokenCount = 5, IncludeLogProbabilities = true });
        Assert.Equal(5, bare.ContentTokenLogProbabilities.Count);
        Assert.All(bare.ContentTokenLogProbabilities, t => Assert.Empty(t.TopLogProbabilities));

        ChatCompletion plain = await chat.CompleteChatAsync([new UserChatMessage("Call me Ishmael.")], new ChatCompletionOptions { MaxOutputTokenCount = 5 });
        Assert.Empty(plain.ContentTokenLogProbabilities);
    }

    [Fact]
    public async Task ChatCompletionWithTheOfficialSdkMatchesTheChatClient()
    {
        var chat = _openAi.GetChatClient("prose");
        var options = new ChatCompletionOptions { Temperature = 0.5f, MaxOutputTokenCount = 40, Seed = 3 };
        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("Call me Ishmael.")], options);

        using var local = new TextGenChatClient(model.Generator, "prose");
        var expected = await local.GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, "Call me Ishmael.")],
            new ChatOptions { Temperature = 0.5f, MaxOutputTokens = 40, Seed = 3 });
        Assert.Equal(expected.Text, completion.Content[0].Text);
        Assert.Equal(expected.Usage!.OutputTokenCount, completion.Usage.OutputTokenCount);
        Assert.Equal("prose", completion.Model);
    }

    [Fact]
    public async Task StreamingWithTheOfficialSdkAddsUpAndEndsWithUsage()
    {
        var chat = _openAi.GetChatClient("prose");
        var options = new ChatCompletionOptions { Temperature = 1, MaxOutputTokenCount = 50, Seed = 9 };
        var text = "";
        ChatTokenUsage? usage = null;
        OpenAI.Chat.ChatFinishReason? finish = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Call me")], options))
        {
            text += string.Concat(update.ContentUpdate.Select(p => p.Text));
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }
        ChatCompletion whole = await chat.CompleteChatAsync([new UserChatMessage("Call me")], options);
        Assert.Equal(whole.Content[0].Text, text);
        Assert.NotNull(usage); // the SDK asks for it (stream_options.include_usage) by default
        Assert.Equal(whole.Usage.OutputTokenCount, usage.OutputTokenCount);
        Assert.Equal(whole.Usage.InputTokenCount, usage.InputTokenCount);
        Assert.NotNull(finish);
    }

    [Fact]
    public async Task RequestsThatNameNoLengthAreServedWithinTheServersLimit()
    {
        ChatCompletion completion = await _openAi.GetChatClient("prose").CompleteChatAsync([new UserChatMessage("Hello")]);
        Assert.InRange(completion.Usage.OutputTokenCount, 1, 100);
    }

    [Fact]
    public async Task ErrorsArriveAsTheSdksExceptionsWithTheServersMessage()
    {
        var chat = _openAi.GetChatClient("prose");
        var tooLong = await Assert.ThrowsAsync<ClientResultException>(() =>
            chat.CompleteChatAsync([new UserChatMessage("Hi")], new ChatCompletionOptions { MaxOutputTokenCount = 5000 }));
        Assert.Equal(400, tooLong.Status);
        Assert.Contains("max_tokens", tooLong.Message);

        var models = _openAi.GetOpenAIModelClient();
        Assert.Equal("prose", (await models.GetModelAsync("prose")).Value.Id);
        var missing = await Assert.ThrowsAsync<ClientResultException>(() => models.GetModelAsync("gpt-4o"));
        Assert.Equal(404, missing.Status);
        Assert.Contains("no model 'gpt-4o'", missing.Message);
    }

    [Fact]
    public async Task MicrosoftExtensionsAiOpenAiClientChatsAndStreams()
    {
        IChatClient client = _openAi.GetChatClient("prose").AsIChatClient();
        var options = new ChatOptions { Temperature = 0.7f, MaxOutputTokens = 30, Seed = 4 };
        var response = await client.GetResponseAsync("Call me", options);
        var streamed = "";
        await foreach (var update in client.GetStreamingResponseAsync("Call me", options))
        {
            streamed += update.Text;
        }
        Assert.Equal(response.Text, streamed);
        Assert.Equal(30, response.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task TheNewerMaxCompletionTokensNameIsHonoured()
    {
        var result = await _openAi.GetChatClient("prose").CompleteChatAsync(
            BinaryContent.Create(BinaryData.FromObjectAsJson(new { model = "prose", messages = new[] { new { role = "user", content = "Hi" } }, max_completion_tokens = 12 })));
        using var json = System.Text.Json.JsonDocument.Parse(result.GetRawResponse().Content);
        Assert.Equal(12, json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }
}
