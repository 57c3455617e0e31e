using System.Text;
using TextGen.Generation;

namespace TextGen.Server;

/// <summary>Generated tokens' log-probabilities (<see cref="TokenLogprob"/>) in OpenAI's two shapes.</summary>
internal static class LogprobShapes
{
    /// <summary>The legacy completions' shape; offsets count characters of the choice's text from <paramref name="offset"/>.</summary>
    public static CompletionLogprobs Completion(IReadOnlyList<TokenLogprob> tokens, int offset)
    {
        var offsets = new int[tokens.Count];
        for (var i = 0; i < tokens.Count; i++)
        {
            offsets[i] = offset;
            offset += tokens[i].Token.Length;
        }
        var top = tokens.Select(t =>
        {
            var alternatives = new Dictionary<string, float>();
            foreach (var alternative in t.Top) alternatives.TryAdd(alternative.Token, alternative.Logprob);
            return (IReadOnlyDictionary<string, float>)alternatives;
        }).ToArray();
        return new CompletionLogprobs([.. tokens.Select(t => t.Token)], [.. tokens.Select(t => t.Logprob)], top, offsets);
    }

    public static ChatLogprobs Chat(IReadOnlyList<TokenLogprob> tokens) =>
        new([.. tokens.Select(t => new ChatTokenLogprob(t.Token, t.Logprob, Bytes(t.Token), [.. t.Top.Select(a => new ChatTopLogprob(a.Token, a.Logprob, Bytes(a.Token)))]))]);

    private static int[] Bytes(string text) => [.. Encoding.UTF8.GetBytes(text).Select(b => (int)b)];
}
