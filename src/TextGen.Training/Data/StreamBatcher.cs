namespace TextGen.Data;

/// <summary>
/// Batches for truncated back-propagation through time. The tokens are cut into <c>batch</c> contiguous streams;
/// step k of an epoch gives every stream its k-th window of <c>sequence</c> tokens, so the recurrent state at the end
/// of one step is the right starting state for the next. Targets are the inputs shifted by one token.
/// Each epoch may start the streams at a different offset (the tokens left over after whole batches), so the
/// window boundaries move from epoch to epoch instead of the model seeing the very same windows every time.
/// </summary>
public sealed class StreamBatcher : ITrainingBatches
{
    private readonly TokenIds _tokens;
    private readonly long _streamLength;
    private readonly int[] _window;

    private readonly long _seed;
    private readonly int _allRows;
    private readonly int _firstRow;

    /// <param name="batchSize">Streams of the whole batch, every rank's (<paramref name="share"/>) together.</param>
    public StreamBatcher(TokenIds tokens, int batchSize, int sequenceLength, long seed = 1, RowShare? share = null)
    {
        _seed = seed;
        if (batchSize < 1 || sequenceLength < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), "batch size and sequence length must be positive");
        }
        share ??= RowShare.All;
        if (batchSize % share.Ranks != 0) throw new ArgumentException($"a batch of {batchSize} streams does not share evenly among {share.Ranks} ranks", nameof(batchSize));
        _allRows = batchSize;
        _firstRow = share.First(batchSize);
        BatchSize = share.Rows(batchSize);
        SequenceLength = sequenceLength;
        StepsPerEpoch = checked((int)((tokens.Length - 1) / ((long)batchSize * sequenceLength)));
        if (StepsPerEpoch < 1)
        {
            throw new ArgumentException($"{tokens.Length} tokens are too few for one batch of {batchSize}x{sequenceLength}", nameof(tokens));
        }
        _tokens = tokens;
        _streamLength = (long)StepsPerEpoch * sequenceLength;
        _window = new int[sequenceLength + 1];
    }

    public int BatchSize { get; }
    public int SequenceLength { get; }
    public int StepsPerEpoch { get; }
    public int TokensPerStep => BatchSize * SequenceLength;
    public bool CarriesState => true;

    /// <summary>Epoch 0 starts at the beginning; later epochs at a seeded random offset (the same on resume).</summary>
    public void Fill(long epoch, int step, long[] inputs, long[] targets) =>
        Fill(step, inputs, targets, epoch == 0 ? 0 : new Random(unchecked((int)(_seed * 1_000_003 + epoch))).Next(MaxOffset + 1));

    /// <summary>The largest epoch offset: the targets that whole batches leave over.</summary>
    public int MaxOffset => (int)(_tokens.Length - 1 - (long)StepsPerEpoch * _allRows * SequenceLength);

    /// <summary>
    /// Fills row-major (batch, sequence) inputs and targets for step <paramref name="step"/> of an epoch whose streams
    /// start at <paramref name="epochOffset"/> (0 to <see cref="MaxOffset"/>).
    /// </summary>
    public void Fill(int step, long[] inputs, long[] targets, int epochOffset = 0)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(epochOffset, MaxOffset);
        for (var b = 0; b < BatchSize; b++)
        {
            _tokens.Read(epochOffset + (_firstRow + b) * _streamLength + (long)step * SequenceLength, _window);
            var row = b * SequenceLength;
            for (var t = 0; t < SequenceLength; t++)
            {
                inputs[row + t] = _window[t];
                targets[row + t] = _window[t + 1];
            }
        }
    }

    /// <summary>
    /// The largest batch (at most <paramref name="batchSize"/>) and sequence length (at most <paramref name="sequenceLength"/>)
    /// that give at least one full step on <paramref name="tokenCount"/> tokens, shrinking the batch first; null when even
    /// 1 x <paramref name="minimumSequence"/> does not fit.
    /// </summary>
    public static (int Batch, int Sequence)? Fit(long tokenCount, int batchSize, int sequenceLength, int minimumSequence)
    {
        var targets = tokenCount - 1;
        if (targets >= (long)batchSize * sequenceLength) return (batchSize, sequenceLength);
        if (targets >= sequenceLength) return ((int)(targets / sequenceLength), sequenceLength);
        if (targets >= minimumSequence) return (1, (int)targets);
        return null;
    }
}
