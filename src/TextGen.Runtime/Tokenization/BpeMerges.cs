namespace TextGen.Tokenization;

/// <summary>
/// Byte-level BPE merging of one pre-token, as Microsoft.ML.Tokenizers' BpeTokenizer merges it (tests compare the
/// two on every kind of text): start from the piece's UTF-8 bytes, merge the adjacent pair of lowest merge rank,
/// the leftmost among equals, until no adjacent pair has a merge. A priority queue keeps a long piece (a megabyte of
/// letters without a space is one piece) at n log n. The library's encoder, called once per piece, ran at 2 MB/s on a
/// corpus of many rare words (docs/benchmarks.md).
/// </summary>
internal sealed class BpeMerges
{
    private readonly Dictionary<(int Left, int Right), (int Rank, int Merged)> _merges = [];

    /// <param name="vocabulary">Byte-map strings; the first 256 are the bytes, in byte order.</param>
    /// <param name="merges">"left right" in rank order; each result must be in the vocabulary.</param>
    public BpeMerges(IReadOnlyList<string> vocabulary, IReadOnlyList<string> merges)
    {
        var ids = new Dictionary<string, int>(vocabulary.Count, StringComparer.Ordinal);
        for (var id = 0; id < vocabulary.Count; id++) ids.TryAdd(vocabulary[id], id);
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var parts = merges[rank].Split(' ');
            if (parts.Length != 2 || !ids.TryGetValue(parts[0], out var left) || !ids.TryGetValue(parts[1], out var right)
                || !ids.TryGetValue(parts[0] + parts[1], out var merged))
            {
                throw new ArgumentException($"merge {rank} ('{merges[rank]}') does not join two tokens of the vocabulary into a third");
            }
            _merges.TryAdd((left, right), (rank, merged));
        }
    }

    public int[] Encode(ReadOnlySpan<char> piece)
    {
        var symbols = Bytes(piece);
        if (symbols.Length < 2) return symbols;

        // A linked list over the symbols (merged ones are skipped) and the candidate merges, checked when taken.
        var next = new int[symbols.Length];
        var previous = new int[symbols.Length];
        for (var i = 0; i < symbols.Length; i++) (next[i], previous[i]) = (i + 1, i - 1);
        var candidates = new PriorityQueue<int, (int Rank, int Position)>();
        for (var i = 0; i + 1 < symbols.Length; i++) Offer(i);
        var alive = symbols.Length;
        while (candidates.TryDequeue(out var at, out var priority))
        {
            if (symbols[at] < 0 || next[at] >= symbols.Length || !_merges.TryGetValue((symbols[at], symbols[next[at]]), out var merge)
                || merge.Rank != priority.Rank)
            {
                continue; // the pair changed since it was offered
            }
            var right = next[at];
            symbols[at] = merge.Merged;
            symbols[right] = -1;
            next[at] = next[right];
            if (next[at] < symbols.Length) previous[next[at]] = at;
            alive--;
            if (previous[at] >= 0) Offer(previous[at]);
            Offer(at);
        }
        var result = new int[alive];
        for (int i = 0, j = 0; i < symbols.Length; i = next[i]) result[j++] = symbols[i];
        return result;

        void Offer(int position)
        {
            if (next[position] < symbols.Length && _merges.TryGetValue((symbols[position], symbols[next[position]]), out var merge))
            {
                candidates.Enqueue(position, (merge.Rank, position));
            }
        }
    }

    /// <summary>
    /// The piece's UTF-8 bytes, as the library takes them: a surrogate without its pair is encoded as its own code unit
    /// (3 bytes), where .NET's encoder would put U+FFFD.
    /// </summary>
    private static int[] Bytes(ReadOnlySpan<char> piece)
    {
        var bytes = new List<int>(piece.Length + 4);
        for (var i = 0; i < piece.Length; i++)
        {
            int c = piece[i];
            if (c < 0x80)
            {
                bytes.Add(c);
            }
            else if (c < 0x800)
            {
                bytes.Add(0xC0 | (c >> 6));
                bytes.Add(0x80 | (c & 0x3F));
            }
            else if (char.IsHighSurrogate((char)c) && i + 1 < piece.Length && char.IsLowSurrogate(piece[i + 1]))
            {
                var code = char.ConvertToUtf32((char)c, piece[++i]);
                bytes.Add(0xF0 | (code >> 18));
                bytes.Add(0x80 | ((code >> 12) & 0x3F));
                bytes.Add(0x80 | ((code >> 6) & 0x3F));
                bytes.Add(0x80 | (code & 0x3F));
            }
            else
            {
                bytes.Add(0xE0 | (c >> 12));
                bytes.Add(0x80 | ((c >> 6) & 0x3F));
                bytes.Add(0x80 | (c & 0x3F));
            }
        }
        return [.. bytes];
    }
}
