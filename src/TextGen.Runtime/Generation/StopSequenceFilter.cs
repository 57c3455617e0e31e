using System.Text;

namespace TextGen.Generation;

/// <summary>
/// Holds back streamed text that could be the start of a stop sequence, releases it once it cannot be, and reports
/// the end when a stop sequence is complete (the stop text itself is never released).
/// </summary>
internal sealed class StopSequenceFilter(IReadOnlyList<string> stopSequences)
{
    private readonly StringBuilder _pending = new();

    public bool Stopped { get; private set; }

    /// <summary>Adds generated text; returns what can be shown now.</summary>
    public string Push(string piece)
    {
        if (stopSequences.Count == 0)
        {
            return piece;
        }
        _pending.Append(piece);
        var text = _pending.ToString();
        // The stop that completed first (the leftmost of those completing together), as if the text had come one
        // character at a time: a longer one that began earlier but completes later was never generated.
        var stopAt = stopSequences.Select(s => (Start: text.IndexOf(s, StringComparison.Ordinal), s.Length)).Where(f => f.Start >= 0)
            .OrderBy(f => f.Start + f.Length).ThenBy(f => f.Start).Select(f => f.Start).DefaultIfEmpty(-1).First();
        if (stopAt >= 0)
        {
            Stopped = true;
            _pending.Clear();
            return text[..stopAt];
        }
        var hold = HeldBackLength(text);
        _pending.Clear().Append(text, text.Length - hold, hold);
        return text[..^hold];
    }

    /// <summary>What is still held back when generation ends without a stop sequence.</summary>
    public string Flush()
    {
        var rest = _pending.ToString();
        _pending.Clear();
        return rest;
    }

    /// <summary>The longest end of <paramref name="text"/> that is the beginning of some stop sequence.</summary>
    private int HeldBackLength(string text)
    {
        var longest = 0;
        foreach (var stop in stopSequences)
        {
            for (var length = Math.Min(stop.Length - 1, text.Length); length > longest; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }
}
