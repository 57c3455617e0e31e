namespace TextGen.Data;

/// <summary>
/// Batches for truncated back-propagation through time over several texts (the files of a run), none of which a
/// window or a recurrent state crosses. Each text is cut into windows of <c>sequence</c> targets from its start, its
/// last one padded (padded targets are ignored by the loss). The windows of all texts, in order, are dealt to
/// <c>batch</c> rows in contiguous runs, as <see cref="StreamBatcher"/> deals a single text's streams, so a row's state
/// carries from one window to the next of the same text; a row whose window starts a text starts from a zero state
/// (<see cref="FreshRows"/>). Each epoch after the first starts the runs at a seeded offset in the list (wrapping), so
/// the rows' runs change from epoch to epoch. A text's last window wastes half a window on average: many texts much
/// shorter than a window train better as line documents. With a <see cref="RowShare"/>, this process fills only its rows.
/// </summary>
public sealed class SegmentBatcher : ITrainingBatches
{
    private readonly IReadOnlyList<TokenIds> _texts;
    private readonly long[] _windowsBefore; // _windowsBefore[i]: the windows of texts before text i; the last entry is all of them
    private readonly long _seed;
    private readonly bool _everyWindow;
    private readonly long _run; // windows per row and epoch
    private readonly int[] _read;
    private readonly bool[] _fresh;
    private readonly int _allRows;
    private readonly int _firstRow;

    /// <param name="batchSize">Rows of the whole batch, every rank's (<paramref name="share"/>) together; fewer when there are fewer windows.</param>
    /// <param name="everyWindow">Evaluation: one pass over every window, from the first, rows past the last window padded.</param>
    public SegmentBatcher(IReadOnlyList<TokenIds> texts, int batchSize, int sequenceLength, long seed, bool everyWindow = false, RowShare? share = null)
    {
        share ??= RowShare.All;
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        _texts = [.. texts.Where(t => t.Length >= 2)];
        if (_texts.Count == 0) throw new TextGenException("no file has text to train on (two tokens or more); pass longer files.");
        SequenceLength = (int)Math.Min(sequenceLength, _texts.Max(t => t.Length - 1));
        _windowsBefore = new long[_texts.Count + 1];
        for (var i = 0; i < _texts.Count; i++)
        {
            _windowsBefore[i + 1] = _windowsBefore[i] + (_texts[i].Length - 1 + SequenceLength - 1) / SequenceLength;
        }
        _allRows = share.Fit((int)Math.Min(batchSize, Windows), "the files' windows");
        _firstRow = share.First(_allRows);
        BatchSize = share.Rows(_allRows);
        _run = everyWindow ? (Windows + _allRows - 1) / _allRows : Windows / _allRows;
        StepsPerEpoch = checked((int)_run);
        _seed = seed;
        _everyWindow = everyWindow;
        _read = new int[SequenceLength + 1];
        _fresh = new bool[BatchSize];
    }

    public int BatchSize { get; }
    public int SequenceLength { get; }
    public int StepsPerEpoch { get; }
    public bool CarriesState => true;
    public int TokensPerStep => BatchSize * SequenceLength;
    /// <summary>Windows of all the texts.</summary>
    public long Windows => _windowsBefore[^1];
    /// <summary>Targets of all the texts (the windows' real, unpadded targets).</summary>
    public long Targets => _texts.Sum(t => t.Length - 1);

    public void Fill(long epoch, int step, long[] inputs, long[] targets)
    {
        var offset = epoch == 0 || _everyWindow ? 0 : new Random(unchecked((int)(_seed * 1_000_003 + epoch))).NextInt64(Windows);
        for (var b = 0; b < BatchSize; b++)
        {
            var index = (_firstRow + b) * _run + step;
            var real = index < Windows;
            var (text, start, length) = real ? Window((offset + index) % Windows) : (0, 0, 0);
            _fresh[b] = step == 0 || !real || start == 0;
            if (length > 0) _texts[text].Read(start, _read.AsSpan(0, length + 1));
            for (var t = 0; t < SequenceLength; t++)
            {
                var at = b * SequenceLength + t;
                inputs[at] = t < length ? _read[t] : 0;
                targets[at] = t < length ? _read[t + 1] : DocumentBatcher.Ignore;
            }
        }
    }

    /// <summary>The rows whose window, in the last <see cref="Fill"/>, starts a text (or is padding): their state starts from zero.</summary>
    public bool[]? FreshRows => _fresh;

    private (int Text, long Start, int Length) Window(long window)
    {
        var text = Array.BinarySearch(_windowsBefore, window);
        text = text >= 0 ? text : ~text - 1; // every text has a window, so an exact hit is the first window of that text
        var start = (window - _windowsBefore[text]) * SequenceLength;
        return (text, start, (int)Math.Min(SequenceLength, _texts[text].Length - 1 - start));
    }
}
