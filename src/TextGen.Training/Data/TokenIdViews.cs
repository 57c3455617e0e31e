namespace TextGen.Data;

/// <summary>
/// Ids read through a table: a file's ids in its own vocabulary, seen in the run's (many files, each cached with the
/// vocabulary of its own characters, so adding a file tokenizes only that file).
/// </summary>
public sealed class RemappedTokenIds(TokenIds inner, int[] map) : TokenIds
{
    public override long Length => inner.Length;

    public override void Read(long start, Span<int> destination)
    {
        inner.Read(start, destination);
        for (var i = 0; i < destination.Length; i++) destination[i] = map[destination[i]];
    }

    public override void Dispose() => inner.Dispose();
}

/// <summary>Several id sequences read as one (line documents of many files, whose documents end where each file does).</summary>
public sealed class ConcatenatedTokenIds : TokenIds
{
    private readonly IReadOnlyList<TokenIds> _parts;
    private readonly long[] _starts;

    public ConcatenatedTokenIds(IReadOnlyList<TokenIds> parts)
    {
        _parts = parts;
        _starts = new long[parts.Count + 1];
        for (var i = 0; i < parts.Count; i++) _starts[i + 1] = _starts[i] + parts[i].Length;
    }

    public override long Length => _starts[^1];

    /// <summary>Where part <paramref name="index"/> starts.</summary>
    public long StartOf(int index) => _starts[index];

    public override void Read(long start, Span<int> destination)
    {
        CheckRange(start, destination.Length);
        while (destination.Length > 0)
        {
            var part = Array.BinarySearch(_starts, start);
            part = part >= 0 ? part : ~part - 1;
            while (_starts[part + 1] == start) part++; // past empty parts
            var count = (int)Math.Min(destination.Length, _starts[part + 1] - start);
            _parts[part].Read(start - _starts[part], destination[..count]);
            destination = destination[count..];
            start += count;
        }
    }
}
