using TextGen.Data;
using TextGen.Inference;

namespace TextGen.Training;

/// <summary>
/// A run's files cut into what it trains on and what it holds out, batched. The rule for many files is the rule for
/// one, file by file: the last <c>--val-fraction</c> of each file's tokens (or of its line documents) is held out, so
/// every file is scored. A file too short to spare two tokens (or one document) is trained on whole. With several ranks
/// the batch size is each rank's: the batchers lay out the batch of all ranks' rows and fill this rank's share, and
/// rank 0 scores the validation part with the batch of all ranks, as one process with that batch would.
/// </summary>
internal static class TrainingSplits
{
    public static (TrainingData Data, long TrainTokens, TrainingOptions Options) Build(TokenizedCorpora corpora, TrainingOptions requested, List<string> warnings,
        RowShare share)
    {
        var files = corpora.Files;
        if (files.All(f => f.DocumentStarts is not null)) return DocumentData(files, requested, warnings, share);
        return files.Count == 1 ? StreamData(files[0].Ids, requested, warnings, share) : TextsData(files, requested, warnings, share);
    }

    private static (TrainingData, long, TrainingOptions) StreamData(TokenIds ids, TrainingOptions requested, List<string> warnings, RowShare share)
    {
        var split = TokenSplit.LastFraction(ids, requested.ValidationFraction);
        var options = FitBatchShape(requested, split.Train.Length, warnings, share);
        var batches = new StreamBatcher(split.Train, options.BatchSize * share.Ranks, options.SequenceLength, options.Seed, share);
        var validation = split.ValidationSample();
        var data = new TrainingData(batches, validation.Length, m => Evaluator.Evaluate(m, validation, options.BatchSize * share.Ranks, options.SequenceLength))
        {
            HeldOutTokens = split.Validation.Length,
            PrecisionProbe = TrainingData.ProbeStreams([validation.ToArray(0, (int)Math.Min(validation.Length, PrecisionChoice.Streams * PrecisionChoice.StreamLength))]),
        };
        return (data, split.Train.Length, options);
    }

    /// <summary>Many files as separate texts: windows and state never cross from one file to the next (<see cref="SegmentBatcher"/>).</summary>
    private static (TrainingData, long, TrainingOptions) TextsData(IReadOnlyList<CorpusPart> files, TrainingOptions requested, List<string> warnings, RowShare share)
    {
        Settings.Declared<TrainingOptions>.Named("val-fraction").Check(requested.ValidationFraction);
        var train = new List<TokenIds>();
        var held = new List<TokenIds>();
        foreach (var file in files)
        {
            var length = file.Ids.Length;
            var validation = (long)Math.Round(length * requested.ValidationFraction);
            if (validation < TokenSplit.MinimumValidationTokens) validation = 0;
            train.Add(file.Ids.Slice(0, length - validation));
            if (validation > 0) held.Add(file.Ids.Slice(length - validation, validation));
        }
        if (held.Count == 0)
        {
            throw new TextGenException($"the files are too short: none leaves {TokenSplit.MinimumValidationTokens} tokens for validation ({requested.ValidationFraction:P0}); " +
                                       "use longer files or a larger validation fraction.");
        }
        var batches = new SegmentBatcher(train, requested.BatchSize * share.Ranks, requested.SequenceLength, requested.Seed, share: share);
        var options = requested with { BatchSize = batches.BatchSize, SequenceLength = batches.SequenceLength };
        if (options.BatchSize != requested.BatchSize || options.SequenceLength != requested.SequenceLength)
        {
            warnings.Add($"the files are short ({batches.Targets} training tokens): using batch size {options.BatchSize} and sequence length {options.SequenceLength} " +
                         $"instead of {requested.BatchSize} x {requested.SequenceLength}.");
        }
        var sample = ValidationSample(held);
        var data = new TrainingData(batches, sample.Sum(s => s.Length - 1), m => Evaluator.EvaluateTexts(m, sample, options.BatchSize * share.Ranks, options.SequenceLength))
        {
            HeldOutTokens = held.Sum(h => h.Length),
            PrecisionProbe = TrainingData.ProbeStreams(sample.Select(s => s.ToArray())),
        };
        return (data, train.Sum(t => t.Length), options);
    }

    /// <summary>The held-out parts scored during training, in memory: all of them, or the start of each in proportion, <see cref="TokenSplit.MaxValidationTokens"/> in all.</summary>
    private static List<TokenIds> ValidationSample(List<TokenIds> held)
    {
        var total = held.Sum(h => h.Length);
        var share = Math.Min(1, TokenSplit.MaxValidationTokens / (double)total);
        return [.. held.Select(h => TokenIds.FromArray(h.ToArray(0, (int)Math.Min(h.Length, Math.Max(TokenSplit.MinimumValidationTokens, (long)Math.Ceiling(h.Length * share))))))];
    }

    /// <summary>Line documents: the last fraction of each file's documents is held out (at least one overall); the rest are training rows.</summary>
    private static (TrainingData, long, TrainingOptions) DocumentData(IReadOnlyList<CorpusPart> files, TrainingOptions requested, List<string> warnings, RowShare share)
    {
        var ids = files.Count == 1 ? files[0].Ids : new ConcatenatedTokenIds([.. files.Select(f => f.Ids)]);
        long before = 0;
        var starts = new List<long>();
        var heldOut = new List<bool>();
        foreach (var file in files)
        {
            var count = file.DocumentStarts!.Length;
            var hold = (int)Math.Round(count * requested.ValidationFraction);
            starts.AddRange(file.DocumentStarts.Select(s => before + s));
            heldOut.AddRange(Enumerable.Range(0, count).Select(i => i >= count - hold));
            before += file.Ids.Length;
        }
        if (!heldOut.Contains(true) && heldOut.Count > 0) heldOut[^1] = true;
        var documents = LineDocuments.FromStarts(ids, [.. starts]);
        if (heldOut.All(h => h))
        {
            throw new SettingException("documents", $"lines needs documents to hold out for validation, and the corpus has {documents.Count} non-empty lines; use more lines, or one continuous text.");
        }
        var train = documents.Where(heldOut, false);
        var held = documents.Where(heldOut, true);
        var validation = DocumentSample(held);
        var batches = new DocumentBatcher(train, requested.BatchSize * share.Ranks, requested.SequenceLength, requested.Seed, share);
        var options = requested with { BatchSize = batches.BatchSize, SequenceLength = batches.SequenceLength };
        if (options.SequenceLength < requested.SequenceLength)
        {
            warnings.Add($"the longest document has {options.SequenceLength + 1} tokens: using sequence length {options.SequenceLength}.");
        }
        var data = new TrainingData(batches, validation.Targets, m => Evaluator.EvaluateDocuments(m, validation, options.BatchSize * share.Ranks, options.SequenceLength))
        {
            HeldOutTokens = held.Targets,
            PrecisionProbe = TrainingData.ProbeStreams(Enumerable.Range(0, validation.Count).Select(validation.Document)),
        };
        return (data, train.Tokens, options);
    }

    /// <summary>Held-out documents scored during training: all, or every k-th so that about <see cref="TokenSplit.MaxValidationTokens"/> are.</summary>
    private static LineDocuments DocumentSample(LineDocuments heldOut)
    {
        var tokens = heldOut.Tokens;
        if (tokens <= TokenSplit.MaxValidationTokens) return heldOut;
        return heldOut.EveryNth((int)Math.Ceiling(tokens / (double)TokenSplit.MaxValidationTokens));
    }

    /// <summary>The requested shape, or a smaller one that fits the corpus; the batch size is each rank's.</summary>
    private static TrainingOptions FitBatchShape(TrainingOptions options, long trainTokens, List<string> warnings, RowShare share)
    {
        var fit = StreamBatcher.Fit(trainTokens, options.BatchSize * share.Ranks, options.SequenceLength, TrainRequest.MinimumSequenceLength);
        if (fit is not { } shape)
        {
            throw new TextGenException($"the corpus is too short: its training part has {trainTokens} tokens, " +
                                       $"fewer than one sequence of {TrainRequest.MinimumSequenceLength + 1}; use a longer corpus.");
        }
        var batch = share.Rows(share.Fit(shape.Batch, "the corpus's streams"));
        if (batch != options.BatchSize || shape.Sequence != options.SequenceLength)
        {
            warnings.Add($"the corpus is short ({trainTokens} training tokens): using batch size {batch} and sequence length {shape.Sequence} " +
                         $"instead of {options.BatchSize} x {options.SequenceLength}.");
        }
        return options with { BatchSize = batch, SequenceLength = shape.Sequence };
    }
}
