using System.Text;
using TextGen.Data;
using TextGen.Modeling;
using TextGen.Persistence;
using TextGen.Runtime;
using TextGen.Tokenization;
using static TorchSharp.torch;

namespace TextGen.Training;

/// <summary>What to train: a corpus, an architecture, options and where the model goes.</summary>
public sealed record TrainRequest
{
    public required string CorpusPath { get; init; }
    /// <summary>Model file to write; default <c>models/CORPUS-NAME.tgm</c>.</summary>
    public string? OutputPath { get; init; }
    public RecurrentNetConfig Network { get; init; } = new();
    public TrainingOptions Training { get; init; } = new() { MaxTime = TimeSpan.FromMinutes(10) };
    /// <summary>Continue from <c>OUTPUT.ckpt</c>; the architecture and vocabulary come from the checkpoint.</summary>
    public bool Resume { get; init; }
    public string Device { get; init; } = "cpu";

    public const int MinimumSequenceLength = 8;

    public static string DefaultOutputPath(string corpusPath) =>
        Path.Combine("models", Path.GetFileNameWithoutExtension(corpusPath) + ModelFile.Extension);
}

/// <summary>
/// A training run with everything checked and loaded: corpus read, vocabulary built, batch shape fitted to the
/// corpus, output path writable, model built. All validation happens here, before any long work.
/// </summary>
public sealed class TrainingSession : IDisposable
{
    private readonly Trainer _trainer;
    private readonly TrainedModel _model;

    private TrainingSession(TrainedModel model, Trainer trainer, string outputPath, IReadOnlyList<string> warnings, TokenSplit split, TrainingOptions options)
    {
        _model = model;
        _trainer = trainer;
        OutputPath = outputPath;
        Warnings = warnings;
        Split = split;
        Options = options;
    }

    public string OutputPath { get; }
    public IReadOnlyList<string> Warnings { get; }
    public TokenSplit Split { get; }
    /// <summary>The options in force, after the batch shape was fitted to the corpus.</summary>
    public TrainingOptions Options { get; }
    public RecurrentNetConfig Network => _model.Network.Config;
    public long Parameters => _model.Network.ParameterCount;

    public static TrainingSession Prepare(TrainRequest request)
    {
        request.Training.Validate();
        (request.Network with { VocabularySize = 1 }).Validate();
        var text = CorpusReader.Read(request.CorpusPath);
        var outputPath = request.OutputPath ?? TrainRequest.DefaultOutputPath(request.CorpusPath);
        if (!outputPath.EndsWith(ModelFile.Extension, StringComparison.OrdinalIgnoreCase))
        {
            throw new TextGenException($"--output {outputPath}: model files end in {ModelFile.Extension}; use e.g. {Path.ChangeExtension(outputPath, ModelFile.Extension)}.");
        }
        AtomicFile.EnsureWritable(outputPath);
        TorchRuntime.ResolveDevice(request.Device);

        var warnings = new List<string>();
        var resume = request.Resume ? Checkpoint.Load(Checkpoint.PathFor(outputPath)) : ((Checkpoint, byte[], byte[])?)null;
        var tokenizer = resume is { } r ? TokenizerFactory.FromDescription(r.Item1.Model.Tokenizer) : CharTokenizer.Build(text);
        var encoded = tokenizer.Encode(text);
        if (encoded.UnknownCount > 0)
        {
            warnings.Add($"{encoded.UnknownCount} characters of the corpus are not in the checkpoint's vocabulary (first: {Printable(encoded.FirstUnknown!)}) and were skipped.");
        }
        var split = TokenSplit.LastFraction(encoded.Ids, request.Training.ValidationFraction);
        var options = FitBatchShape(request.Training, split.Train.Length, warnings);

        var network = resume is { } checkpoint ? checkpoint.Item1.Model.Network : request.Network with { VocabularySize = tokenizer.VocabularySize };
        manual_seed(options.Seed);
        var model = new TrainedModel(new LanguageModel(network), tokenizer, new ModelMetadata { Tokenizer = tokenizer.Describe(), Network = network });
        var trainer = new Trainer(model, split, options, Path.GetFileName(request.CorpusPath), outputPath, resume);
        return new TrainingSession(model, trainer, outputPath, warnings, split, options);
    }

    public TrainingResult Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default) => _trainer.Run(progress, cancel);

    public void Dispose() => _model.Dispose();

    private static TrainingOptions FitBatchShape(TrainingOptions options, int trainTokens, List<string> warnings)
    {
        var fit = StreamBatcher.Fit(trainTokens, options.BatchSize, options.SequenceLength, TrainRequest.MinimumSequenceLength);
        if (fit is not { } shape)
        {
            throw new TextGenException($"the corpus is too short: its training part has {trainTokens} tokens, fewer than one sequence of {TrainRequest.MinimumSequenceLength + 1}; use a longer corpus.");
        }
        if (shape.Batch != options.BatchSize || shape.Sequence != options.SequenceLength)
        {
            warnings.Add($"the corpus is short ({trainTokens} training tokens): using batch size {shape.Batch} and sequence length {shape.Sequence} instead of {options.BatchSize} x {options.SequenceLength}.");
        }
        return options with { BatchSize = shape.Batch, SequenceLength = shape.Sequence };
    }

    internal static string Printable(string piece) =>
        string.Concat(piece.EnumerateRunes().Select(rune => Rune.IsControl(rune) || Rune.IsWhiteSpace(rune) ? $"U+{rune.Value:X4}" : rune.ToString()));
}
