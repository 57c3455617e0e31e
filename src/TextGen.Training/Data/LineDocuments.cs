namespace TextGen.Data;

/// <summary>
/// Line documents within a token sequence: where each starts (its start marker) and how many tokens it has (up to
/// and including its end marker). Twelve bytes per document; the tokens stay where they are (the token cache).
/// </summary>
public sealed record LineDocuments(TokenIds Ids, long[] Starts, int[] Lengths)
{
    public int Count => Starts.Length;
    public long Tokens => Lengths.Sum(l => (long)l);
    /// <summary>Next-token targets: every token but each document's first.</summary>
    public long Targets => Tokens - Count;

    public int[] Document(int index) => Ids.ToArray(Starts[index], Lengths[index]);

    /// <summary>Documents that start at <paramref name="starts"/> and end where the next starts (the last at the end of <paramref name="ids"/>).</summary>
    public static LineDocuments FromStarts(TokenIds ids, long[] starts)
    {
        var lengths = new int[starts.Length];
        for (var i = 0; i < starts.Length; i++)
        {
            var end = i + 1 < starts.Length ? starts[i + 1] : ids.Length;
            lengths[i] = checked((int)(end - starts[i]));
        }
        return new LineDocuments(ids, starts, lengths);
    }

    public static LineDocuments FromArrays(IReadOnlyList<int[]> documents)
    {
        var starts = new long[documents.Count];
        long at = 0;
        for (var i = 0; i < documents.Count; i++)
        {
            starts[i] = at;
            at += documents[i].Length;
        }
        return new LineDocuments(TokenIds.FromArray([.. documents.SelectMany(d => d)]), starts, [.. documents.Select(d => d.Length)]);
    }

    /// <summary>The documents [start, start + count).</summary>
    public LineDocuments Slice(int start, int count) => this with { Starts = Starts[start..(start + count)], Lengths = Lengths[start..(start + count)] };

    /// <summary>The documents whose entry in <paramref name="marks"/> is <paramref name="value"/>.</summary>
    public LineDocuments Where(IReadOnlyList<bool> marks, bool value) => this with
    {
        Starts = Starts.Where((_, i) => marks[i] == value).ToArray(),
        Lengths = Lengths.Where((_, i) => marks[i] == value).ToArray(),
    };

    /// <summary>Every <paramref name="every"/>-th document, from the first.</summary>
    public LineDocuments EveryNth(int every) => this with
    {
        Starts = Starts.Where((_, i) => i % every == 0).ToArray(),
        Lengths = Lengths.Where((_, i) => i % every == 0).ToArray(),
    };
}
