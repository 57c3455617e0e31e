using Microsoft.Extensions.AI;
using TextGen.Generation;

namespace TextGen.Tests.Generation;

public class ChatClientTests(ProseModel model) : IClassFixture<ProseModel>
{
    private static readonly ChatMessage[] Conversation =
    [
        new(ChatRole.System, "You are a sailor."),
        new(ChatRole.User, "Call me Ishmael."),
        new(ChatRole.Assistant, "Some years ago."),
        new(ChatRole.User, "Never mind how long"),
    ];

    [Fact]
    public void ConversationsRenderWithDocumentedRoleMarkers()
    {
        var prompt = new ChatPromptFormat().Render(Conversation);
        Assert.Equal("System: You are a sailor.\nUser: Call me Ishmael.\nAssistant: Some years ago.\nUser: Never mind how long\nAssistant:", prompt);
    }

    [Fact]
    public async Task ReturnsAResponseWithUsageAndFinishReason()
    {
        using IChatClient client = new TextGenChatClient(model.Generator, "prose");
        var response = await client.GetResponseAsync(Conversation, new ChatOptions { Temperature = 0.5f, MaxOutputTokens = 40, Seed = 4 });

        Assert.Equal(ChatRole.Assistant, response.Messages.Single().Role);
        Assert.Equal("prose", response.ModelId);
        var generated = response.Usage!.OutputTokenCount!.Value;
        Assert.InRange(generated, 1, 40);
        // Length when the budget ran out; otherwise the model started the next turn, which is not part of the reply.
        Assert.Equal(generated == 40 ? ChatFinishReason.Length : ChatFinishReason.Stop, response.FinishReason);
        Assert.DoesNotContain("User:", response.Text);
        var prompt = new ChatPromptFormat().Render(Conversation);
        Assert.Equal(model.Generator.EncodePrefix(prompt).Ids.Length, response.Usage.InputTokenCount);
        Assert.Equal(response.Text, response.Text.Trim());
    }

    [Fact]
    public async Task StreamingGivesTheSameTextAsTheWholeResponse()
    {
        using IChatClient client = new TextGenChatClient(model.Generator, "prose");
        var options = new ChatOptions { Temperature = 1, MaxOutputTokens = 60, Seed = 9 };
        var whole = await client.GetResponseAsync(Conversation, options);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Conversation, options))
        {
            updates.Add(update);
        }
        Assert.True(updates.Count > 1);
        Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)).Trim());
        Assert.NotNull(updates[^1].FinishReason);
        Assert.IsType<ChatClientMetadata>(client.GetService(typeof(ChatClientMetadata)));
    }

    [Fact]
    public void StreamingAndNonStreamingGiveTheSameTextForASeed()
    {
        var options = new SamplingOptions { Temperature = 1, Length = 150, Seed = 21 };
        var streamed = string.Concat(model.Generator.Stream("Call me", options));
        Assert.Equal(model.Generator.Generate("Call me", options), streamed);
        var asyncStreamed = string.Concat(model.Generator.GenerateStreamingAsync("Call me", options).ToBlockingEnumerable());
        Assert.Equal(streamed, asyncStreamed);
        Assert.Equal(streamed, model.Generator.GenerateMany("Call me", options, 3)[0]);
    }

    [Fact]
    public async Task CancellationStopsWithinOneToken()
    {
        using var cancel = new CancellationTokenSource();
        var pieces = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in model.Generator.GenerateStreamingAsync("Call", new SamplingOptions { Length = 100_000 }, cancel.Token))
            {
                if (++pieces == 5) cancel.Cancel();
            }
        });
        Assert.Equal(5, pieces);
    }
}
