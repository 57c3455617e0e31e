namespace TextGen.Data;

/// <summary>
/// Batches for line-delimited documents. Every row of a batch holds a piece of exactly one document and starts from
/// a zero state, so nothing (tokens or recurrent state) crosses from one document to another. A document longer than
/// a row is cut into consecutive pieces; short rows are padded, and padded targets are ignored by the loss.
/// Rows are shuffled every epoch (seeded). With a <see cref="RowShare"/>, this process fills only its rows of each batch.
/// </summary>
public sealed class DocumentBatcher : ITrainingBatches
{
    /// <summary>The target value the loss ignores (PyTorch's default ignore_index).</summary>
    public const long Ignore = -100;

    private readonly List<(long Start, int Length)> _rows = []; // a row's inputs are ids [Start, Start + Length), its targets one further
    private readonly TokenIds _ids;
    private readonly long _seed;
    private readonly int _padding;
    private readonly int[] _row;
    private readonly int _allRows;
    private readonly int _firstRow;

    /// <param name="batchSize">Rows of the whole batch, every rank's (<paramref name="share"/>) together; fewer when there are fewer rows.</param>
    public DocumentBatcher(LineDocuments documents, int batchSize, int sequenceLength, long seed, RowShare? share = null)
    {
        share ??= RowShare.All;
        if (documents.Count == 0 || documents.Lengths.All(length => length < 2))
        {
            throw new TextGenException("there are no documents with text to train on; use a file with non-empty lines.");
        }
        SequenceLength = Math.Min(sequenceLength, documents.Lengths.Max() - 1);
        for (var d = 0; d < documents.Count; d++)
        {
            var length = documents.Lengths[d];
            for (var start = 0; start < length - 1; start += SequenceLength)
            {
                _rows.Add((documents.Starts[d] + start, Math.Min(SequenceLength, length - 1 - start)));
            }
        }
        _allRows = share.Fit(Math.Min(batchSize, _rows.Count), "the documents");
        _firstRow = share.First(_allRows);
        BatchSize = share.Rows(_allRows);
        StepsPerEpoch = (_rows.Count + _allRows - 1) / _allRows;
        _ids = documents.Ids;
        _seed = seed;
        _padding = documents.Ids[documents.Starts[0] + documents.Lengths[0] - 1]; // the end marker
        _row = new int[SequenceLength + 1];
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
            var index = step * _allRows + _firstRow + b;
            var (start, length) = index < order.Length ? _rows[order[index]] : (0, 0);
            if (length > 0) _ids.Read(start, _row.AsSpan(0, length + 1));
            for (var t = 0; t < SequenceLength; t++)
            {
                var at = b * SequenceLength + t;
                inputs[at] = t < length ? _row[t] : _padding;
                targets[at] = t < length ? _row[t + 1] : Ignore;
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
