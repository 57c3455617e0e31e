namespace TextGen.Data;

/// <summary>
/// Batches for line-delimited documents. Every row of a batch holds a piece of exactly one document and starts from
/// a zero state, so nothing (tokens or recurrent state) crosses from one document to another. A document longer than
/// a row is cut into consecutive pieces; short rows are padded, and padded targets are ignored by the loss.
/// Rows are shuffled every epoch (seeded).
/// </summary>
public sealed class DocumentBatcher : ITrainingBatches
{
    /// <summary>The target value the loss ignores (PyTorch's default ignore_index).</summary>
    public const long Ignore = -100;

    private readonly List<(int[] Document, int Start, int Length)> _rows = [];
    private readonly long _seed;
    private readonly int _padding;

    public DocumentBatcher(IReadOnlyList<int[]> documents, int batchSize, int sequenceLength, long seed)
    {
        if (documents.Count == 0 || documents.All(d => d.Length < 2))
        {
            throw new TextGenException("there are no documents with text to train on; use a file with non-empty lines.");
        }
        SequenceLength = Math.Min(sequenceLength, documents.Max(d => d.Length) - 1);
        foreach (var document in documents)
        {
            for (var start = 0; start < document.Length - 1; start += SequenceLength)
            {
                _rows.Add((document, start, Math.Min(SequenceLength, document.Length - 1 - start)));
            }
        }
        BatchSize = Math.Min(batchSize, _rows.Count);
        StepsPerEpoch = (_rows.Count + BatchSize - 1) / BatchSize;
        _seed = seed;
        _padding = documents[0][^1];
    }

    public int BatchSize { get; }
    public int SequenceLength { get; }
    public int StepsPerEpoch { get; }
    public bool CarriesState => false;
    public int TokensPerStep => BatchSize * SequenceLength;
    public int Rows => _rows.Count;

    public void Fill(long epoch, int step, long[] inputs, long[] targets)
    {
        var order = Order(epoch);
        for (var b = 0; b < BatchSize; b++)
        {
            var index = step * BatchSize + b;
            var (document, start, length) = index < order.Length ? _rows[order[index]] : (Array.Empty<int>(), 0, 0);
            for (var t = 0; t < SequenceLength; t++)
            {
                var at = b * SequenceLength + t;
                inputs[at] = t < length ? document[start + t] : _padding;
                targets[at] = t < length ? document[start + t + 1] : Ignore;
            }
        }
    }

    private int[]? _order;
    private long _orderEpoch = -1;

    private int[] Order(long epoch)
    {
        if (_orderEpoch != epoch || _order is null)
        {
            _order = Enumerable.Range(0, _rows.Count).ToArray();
            new Random(unchecked((int)(_seed * 1_000_003 + epoch))).Shuffle(_order);
            _orderEpoch = epoch;
        }
        return _order;
    }
}
