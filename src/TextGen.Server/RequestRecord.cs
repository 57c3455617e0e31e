using System.Diagnostics;
using TextGen.Generation;

namespace TextGen.Server;

/// <summary>
/// What one request did, for its log line and the metrics: filled in as it is answered (the generation routes add
/// tokens, the time to the first token and why it ended). Nothing a client sent is kept.
/// </summary>
internal sealed class RequestRecord
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly HashSet<string> _finishes = [];
    private readonly Dictionary<int, (int Prompt, int Completion)> _rows = [];

    /// <summary>Whether the route generates (completions, chat): only those have tokens and a first token.</summary>
    public bool Generates { get; set; }

    /// <summary>Choices per prompt: rows p·n to p·n + n − 1 share prompt p, which counts once, as in OpenAI's usage.</summary>
    public int ChoicesPerPrompt { get; set; } = 1;

    public long PromptTokens { get; set; }
    public long CompletionTokens { get; set; }

    /// <summary>From arrival to the first generated token; null until one is (or when none was).</summary>
    public TimeSpan? FirstToken { get; private set; }

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_start);

    /// <summary>Why the choices ended (stop, length), comma-separated; "cancelled" when the client left first.</summary>
    public string Finish => _finishes.Count == 0 ? "none" : string.Join(',', _finishes.Order());

    /// <summary>Completion tokens per second after the first token; null with fewer than two tokens.</summary>
    public double? TokensPerSecond
    {
        get
        {
            if (FirstToken is not { } first || CompletionTokens < 2) return null;
            var seconds = (Elapsed - first).TotalSeconds;
            return seconds > 0 ? (CompletionTokens - 1) / seconds : null;
        }
    }

    /// <summary>
    /// Notes the first token of any choice, and each choice's tokens so far: a request whose client leaves before the
    /// end still reports what it generated.
    /// </summary>
    public void Observe(GenerationUpdate update)
    {
        if (FirstToken is null && update.CompletionTokens > 0) FirstToken = Elapsed;
        _rows[update.Index] = (update.PromptTokens, update.CompletionTokens);
        CompletionTokens = _rows.Values.Sum(row => (long)row.Completion);
        PromptTokens = _rows.Where(row => row.Key % ChoicesPerPrompt == 0).Sum(row => (long)row.Value.Prompt);
    }

    public void Ended(IEnumerable<FinishReason> finishes, long promptTokens, long completionTokens)
    {
        foreach (var finish in finishes) _finishes.Add(finish.ToString().ToLowerInvariant());
        (PromptTokens, CompletionTokens) = (promptTokens, completionTokens);
    }

    public void Cancelled() => _finishes.Add("cancelled");
}
