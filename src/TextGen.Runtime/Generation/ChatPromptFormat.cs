using System.Text;
using Microsoft.Extensions.AI;

namespace TextGen.Generation;

/// <summary>
/// How a conversation becomes a prompt for a model trained on plain text. Each turn is a line starting with its role
/// marker; the prompt ends with the assistant's marker, and generation stops where the model starts a user turn.
/// The defaults read like a script ("User: ...", "Assistant: ..."), which character models pick up from plays and dialogue.
/// </summary>
public sealed record ChatPromptFormat
{
    public string SystemMarker { get; init; } = "System: ";
    public string UserMarker { get; init; } = "User: ";
    public string AssistantMarker { get; init; } = "Assistant: ";
    public string TurnSeparator { get; init; } = "\n";

    /// <summary>The prompt for the next assistant turn: every message in order, then the assistant's marker (its trailing space trimmed).</summary>
    public string Render(IEnumerable<ChatMessage> messages)
    {
        var prompt = new StringBuilder();
        foreach (var message in messages)
        {
            prompt.Append(MarkerFor(message.Role)).Append(message.Text.Trim()).Append(TurnSeparator);
        }
        return prompt.Append(AssistantMarker.TrimEnd()).ToString();
    }

    /// <summary>Where an assistant turn ends: the start of the next user (or system) turn.</summary>
    public IReadOnlyList<string> StopSequences => [TurnSeparator + UserMarker.TrimEnd(), TurnSeparator + SystemMarker.TrimEnd()];

    private string MarkerFor(ChatRole role) =>
        role == ChatRole.System ? SystemMarker : role == ChatRole.Assistant ? AssistantMarker : UserMarker;
}
