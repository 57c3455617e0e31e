using TextGen.Data;
using TextGen.Distributed;
using TextGen.Modeling;
using TextGen.Native;
using TextGen.Persistence;
using TextGen.Settings;
using TextGen.Tokenization;
using static TorchSharp.torch;

namespace TextGen.Training;

/// <summary>What to train: a corpus, an architecture, options and where the model goes.</summary>
public sealed record TrainRequest
{
    /// <summary>
    /// The UTF-8 text files to train on, and folders of them (the CLI's arguments, not a flag): each file is a document
    /// boundary, tokenized and cached on its own (<see cref="CorpusFiles"/>).
    /// </summary>
    public IReadOnlyList<string> Corpora { get; init; } = [];

    [Option("output", "Model file to write.", Alias = "-o", Chosen = "models/CORPUS-NAME.tgm")]
    public string? OutputPath { get; init; }

    public RecurrentNetConfig Network { get; init; } = new();

    /// <summary>
    /// Character level: replace <see cref="RecurrentNetConfig.Hidden"/> with the width that suits the budget and the
    /// corpus (<see cref="ModelSizing"/>); the CLI asks for this when --hidden is not given.
    /// </summary>
    public bool ChooseWidth { get; init; }

    public TrainingOptions Training { get; init; } = new() { MaxTime = TimeSpan.FromMinutes(10) };

    /// <summary>Continue from <c>OUTPUT.ckpt</c>; the architecture and vocabulary come from the checkpoint.</summary>
    [Option("resume", "Continue from the checkpoint beside --output (optimizer state included).")]
    public bool Resume { get; init; }

    /// <summary>A trained model to start from (fine-tuning): its weights, tokenizer and architecture (<see cref="FineTuning"/>).</summary>
    [Option("from", "Start from a trained model (fine-tuning): its weights, tokenizer and architecture; new characters join its vocabulary.", Example = "e.g. models/moby-dick.tgm")]
    public string? From { get; init; }

    /// <summary>
    /// The settings the caller chose, by flag name ("layers", "learning-rate"); the others are defaults the run may
    /// replace. With <see cref="From"/>, a chosen architecture setting must be the model's, and the schedule's settings
    /// not chosen take fine-tuning's defaults. The CLI lists the flags given.
    /// </summary>
    public IReadOnlySet<string> Given { get; init; } = new HashSet<string>();

    /// <summary>
    /// The processes that train this model together (<c>mpirun -n N</c>: <see cref="TrainingRanks.Join"/>), each on its
    /// rows of every batch of <see cref="TrainingOptions.BatchSize"/> rows; null: this process alone.
    /// </summary>
    public TrainingRanks? Ranks { get; init; }

    /// <summary>Where tokenized corpora are kept; null: <see cref="TokenCache.DefaultDirectory"/>.</summary>
    public TokenCache? Cache { get; init; }

    [Option("level", "Tokens: char, word or bpe (byte-level BPE).")]
    public TokenLevel Level { get; init; }

    public VocabularyOptions Vocabulary { get; init; } = new();

    [Option("documents", "lines: each non-empty line is a document of its own (titles, tweets, poems); none: one continuous text.")]
    public DocumentSplit Documents { get; init; }

    /// <summary>A word2vec or GloVe text file to initialise the embedding from.</summary>
    [Option("embeddings-from", "Initialise the embedding from a word2vec or GloVe text file (its dimension must equal --embedding).")]
    public string? EmbeddingsFrom { get; init; }

    /// <summary>Keep the initialised embedding fixed during training.</summary>
    [Option("freeze-embeddings", "Keep the initialised embedding fixed while training.")]
    public bool FreezeEmbeddings { get; init; }

    public const int MinimumSequenceLength = 8;

    public static string DefaultOutputPath(IReadOnlyList<string> corpora) => Path.Combine("models", CorpusFiles.Name(corpora) + ModelFile.Extension);
}

/// <summary>
/// A training run with everything checked and loaded: corpus read, vocabulary built, batch shape fitted to the
/// corpus, output path writable, model built. All validation happens here, before any long work.
/// </summary>
public sealed class TrainingSession : IDisposable
{
    private readonly Trainer _trainer;
    private readonly TrainableModel _model;
    private readonly TokenizedCorpora _corpus;

    private TrainingSession(TrainableModel model, Trainer trainer, TokenizedCorpora corpus, string outputPath, IReadOnlyList<string> warnings, TrainingData data,
        long trainTokens, TrainingOptions options)
    {
        _model = model;
        _corpus = corpus;
        _trainer = trainer;
        OutputPath = outputPath;
        Warnings = warnings;
        Data = data;
        TrainTokens = trainTokens;
        Options = options;
    }

    public string OutputPath { get; }
    public IReadOnlyList<string> Warnings { get; }
    public TrainingData Data { get; }
    public long TrainTokens { get; }
    /// <summary>Whether the corpus's token ids came from the token cache (no pass over the corpus).</summary>
    public bool TokensFromCache => _corpus.FromCache;
    /// <summary>The options in force, after the batch shape was fitted to the corpus and the precision resolved.</summary>
    public TrainingOptions Options { get; }
    public RecurrentNetConfig Network => _model.Network.Config;
    /// <summary>Whether the width was chosen from the budget and corpus rather than given.</summary>
    public bool WidthChosen { get; private init; }
    /// <summary>Training tokens/s measured at the base width to fit the width to a time budget; null when not measured.</summary>
    public double? MeasuredBaseThroughput { get; private init; }
    public long Parameters => _model.Network.ParameterCount;

    /// <param name="progress">Hears the passes over bytes, when there are any: fetching libtorch (a program without it, once), then
    /// the corpus (hashing, learning the vocabulary, tokenizing).</param>
    public static TrainingSession Prepare(TrainRequest request, IProgress<ByteProgress>? progress = null, CancellationToken cancel = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew(); // --max-time counts reading and tokenizing too
        var ranks = request.Ranks ?? TrainingRanks.Single;
        request.Training.Validate();
        var files = CorpusFiles.Expand(request.Corpora);
        Declared<TrainRequest>.Validate(request);
        request.Vocabulary.Validate();
        (request.Network with { VocabularySize = 1 }).Validate();
        var outputPath = request.OutputPath ?? TrainRequest.DefaultOutputPath(request.Corpora);
        if (!outputPath.EndsWith(ModelFile.Extension, StringComparison.OrdinalIgnoreCase))
        {
            throw new SettingException("output", $"{outputPath}: model files end in {ModelFile.Extension}; use e.g. {Path.ChangeExtension(outputPath, ModelFile.Extension)}.");
        }
        if (request.FreezeEmbeddings && request.EmbeddingsFrom is null && request.From is null && !request.Resume)
        {
            throw new SettingException("freeze-embeddings", "keeps an embedding read from a file or a model fixed; pass --embeddings-from FILE or --from MODEL too.");
        }
        if (request.EmbeddingsFrom is not null && (request.Resume || request.From is not null))
        {
            var instead = request.Resume ? "a resumed run continues the checkpoint's" : "--from starts from the model's";
            throw new SettingException("embeddings-from", $"initialises a new model's embedding; {instead}, so drop --embeddings-from.");
        }
        var source = request.From is { } from ? LoadSource(from) : null;
        if (source is not null) request = FineTuning.Resolve(request, source, request.From!);
        if (ranks.IsLeader) AtomicFile.EnsureWritable(outputPath); // the only rank that writes
        // One fetch of libtorch and one pass over the corpus per machine: the other ranks there then find them cached.
        ranks.FirstOnEachMachine(() => TorchRuntime.EnsureLoaded(progress, cancel));
        ranks.TakeShareOfCores();

        var warnings = new List<string>();
        var resume = request.Resume ? Checkpoint.Load(Checkpoint.PathFor(outputPath)) : null;
        if (resume is not null && (resume.State.Model?.Tokenizer is null || resume.State.Model.Network is null))
        {
            throw new TextGenException($"{Checkpoint.PathFor(outputPath)} lacks its tokenizer or architecture; the checkpoint is corrupt, train anew without resuming.");
        }
        // Before the corpus is read: a precision the cell or the CPU cannot take is refused at once.
        var precision = TrainingPrecisions.Resolve(request.Training.Precision, (resume?.State.Model.Network ?? request.Network).Cell);
        request = request with { Training = request.Training with { Precision = precision } };
        var given = resume is not null ? TokenizerFactory.FromDescription(resume.State.Model.Tokenizer) : null;
        if (resume is not null)
        {
            // The checkpoint's header sizes the network as a model file's does: the same checks first.
            TextModel.CheckArchitecture(resume.State.Model.Network, given!, resume.Weights.Length, Checkpoint.PathFor(outputPath));
        }
        var modelCharacters = source?.Tokenizer is DocumentTokenizer { Inner: CharTokenizer inner } ? inner : source?.Tokenizer as CharTokenizer;
        var choice = new TokenizerChoice
        {
            Level = request.Level,
            Vocabulary = request.Vocabulary,
            Documents = request.Documents == DocumentSplit.Lines,
            // Resuming continues the checkpoint's vocabulary; fine-tuning grows the model's characters, or keeps its words.
            Given = given ?? (modelCharacters is null ? source?.Tokenizer : null),
            Extends = given is null ? modelCharacters : null,
        };
        var corpus = ranks.FirstOnEachMachine(() => TokenizedCorpora.Encode(files, choice, request.Cache ?? new TokenCache(TokenCache.DefaultDirectory), progress, cancel));
        warnings.AddRange(corpus.CacheWarnings);
        try
        {
            return Prepare(request, corpus, resume is null ? source : null, resume, outputPath, warnings, clock);
        }
        catch
        {
            corpus.Dispose();
            throw;
        }
    }

    /// <summary>The model --from names, read and checked in full (no libtorch needed) before anything else is done.</summary>
    private static TextModel LoadSource(string path)
    {
        try
        {
            return TextModel.Load(path);
        }
        catch (TextGenException) when (!File.Exists(path))
        {
            throw new SettingException("from", $"{path} does not exist; pass a model file written by textgen train.");
        }
    }

    /// <param name="source">The model a new run starts from (--from), or null.</param>
    private static TrainingSession Prepare(TrainRequest request, TokenizedCorpora corpus, TextModel? source, SavedTraining? resume, string outputPath,
        List<string> warnings, System.Diagnostics.Stopwatch clock)
    {
        var tokenizer = corpus.Tokenizer;
        var counts = corpus.Counts;
        var ranks = request.Ranks ?? TrainingRanks.Single;
        RequireSameCorpus(ranks, corpus.Counts, request.Corpora);
        var (data, trainTokens, options) = TrainingSplits.Build(corpus, request.Training with { Seed = ranks.LeadersValue(request.Training.Seed) },
            warnings, new RowShare(ranks.Rank, ranks.Size));
        if (corpus.Unknown > 0)
        {
            warnings.Add(UnknownText.Warning(tokenizer, corpus.Unknown, corpus.FirstUnknown, "the corpus"));
        }

        if (resume is not null)
        {
            RequireSameRun(request, resume.State.Model, counts);
        }
        var network = resume is not null ? resume.State.Model.Network : request.Network with { VocabularySize = tokenizer.VocabularySize };
        if (source is not null && tokenizer.VocabularySize > source.Tokenizer.VocabularySize)
        {
            var added = tokenizer.VocabularySize - source.Tokenizer.VocabularySize;
            var first = tokenizer.TokenText(source.Tokenizer is DocumentTokenizer d ? d.Start : source.Tokenizer.VocabularySize);
            warnings.Add($"{added} characters of the corpus were not in {Path.GetFileName(request.From)}'s vocabulary (first: '{UnknownText.Printable(first)}'); " +
                         $"they were added to it ({source.Tokenizer.VocabularySize} → {tokenizer.VocabularySize} tokens).");
        }
        var widthChosen = resume is null && request.ChooseWidth && tokenizer.Level == CharTokenizer.LevelName;
        double? measured = null;
        if (widthChosen)
        {
            // A time budget is turned into tokens at this machine's speed, where the corpus is large enough to widen.
            measured = ModelSizing.NeedsThroughput(network, options, trainTokens) ? ModelSizing.MeasureBaseThroughput(network, options) * ranks.Size : null;
            network = network with { Hidden = (int)ranks.LeadersValue((long)ModelSizing.ChooseWidth(network, options, trainTokens, measured)) };
        }
        manual_seed(options.Seed);
        var frozen = request.FreezeEmbeddings && !network.OneHot;
        var model = new TrainableModel(new LanguageNetwork(network), tokenizer,
            new ModelMetadata
            {
                Tokenizer = tokenizer.Describe(),
                Network = network,
                TokenCounts = counts,
                FrozenEmbedding = frozen,
                TunedFrom = source is not null ? FineTuning.Origin(source, request.From!) : resume?.State.Model.TunedFrom,
            });
        if (source is not null)
        {
            ModuleWeights.Copy(model.Network, FineTuning.Weights(source, tokenizer, network), request.From!);
        }
        model.Network.Recurrent.Bf16Products = options.Precision == TrainingPrecision.Bf16;
        if ((resume is not null || source is not null) && frozen)
        {
            // A resumed run as the run it continues (whose optimizer has no state for it); a fine-tuned model keeps the embedding it learned.
            model.Network.EmbeddingWeight!.requires_grad = false;
        }
        if (request.EmbeddingsFrom is { } embeddings)
        {
            var (found, missing) = Embeddings.PretrainedEmbeddings.Apply(model.Network, tokenizer, embeddings, request.FreezeEmbeddings);
            warnings.Add($"embeddings: {found} tokens initialised from {Path.GetFileName(embeddings)}, {missing} not in it (initialised randomly)" +
                         $"{(request.FreezeEmbeddings ? "; the embedding is frozen" : "")}.");
        }
        var trainer = new Trainer(model, data, options, CorpusFiles.Describe(request.Corpora), outputPath, resume, clock, ranks);
        return new TrainingSession(model, trainer, corpus, outputPath, warnings, data, trainTokens, options) { WidthChosen = widthChosen, MeasuredBaseThroughput = measured };
    }

    /// <summary>
    /// Resuming continues the run the checkpoint holds: its architecture, tokenizer and corpus. A setting that asks
    /// for something else is refused in one line rather than silently ignored (the width only when given).
    /// </summary>
    private static void RequireSameRun(TrainRequest request, ModelMetadata saved, long[] counts)
    {
        var was = saved.Network;
        var asked = request.Network;
        void Same<T>(string setting, T requested, T checkpoint)
        {
            if (!EqualityComparer<T>.Default.Equals(requested, checkpoint))
            {
                throw new SettingException(setting, $"{Describe(requested)} differs from the checkpoint's {Describe(checkpoint)}; resume with {Describe(checkpoint)}, or train anew without resuming.");
            }
        }
        Same("cell", asked.Cell, was.Cell);
        Same("layers", asked.Layers, was.Layers);
        if (!request.ChooseWidth) Same("hidden", asked.Hidden, was.Hidden);
        Same("one-hot", asked.OneHot, was.OneHot);
        if (!was.OneHot) Same("embedding", asked.Embedding, was.Embedding);
        Same("dense", Describe(asked.Dense), Describe(was.Dense));
        Same("batch-norm", asked.BatchNorm, was.BatchNorm);
        Same("dropout", asked.Dropout, was.Dropout);
        Same("freeze-embeddings", request.FreezeEmbeddings, saved.FrozenEmbedding);
        Same("level", request.Level.Name(), saved.Tokenizer.Level);
        Same("documents", request.Documents, saved.Tokenizer.Documents ? DocumentSplit.Lines : DocumentSplit.None);
        if (saved.TokenCounts is { } trainedOn && !trainedOn.SequenceEqual(counts))
        {
            throw new SettingException("resume", "needs the corpus the checkpoint was trained on, and this one differs; pass that corpus, or train anew without resuming.");
        }
    }

    /// <summary>Every rank must train on the same tokens: one that read other files (or another version of one) is refused (the CLI names its rank).</summary>
    private static void RequireSameCorpus(TrainingRanks ranks, long[] counts, IReadOnlyList<string> corpora)
    {
        if (ranks.Size == 1) return;
        var fingerprint = (long)System.IO.Hashing.XxHash3.HashToUInt64(System.Runtime.InteropServices.MemoryMarshal.AsBytes(counts.AsSpan()));
        if (ranks.LeadersValue(fingerprint) != fingerprint)
        {
            throw new TextGenException($"read other tokens from {CorpusFiles.Describe(corpora)} than rank 0 did; give every machine the same files at the same paths.");
        }
    }

    internal static string Describe<T>(T value) => value switch
    {
        bool flag => flag ? "on" : "off",
        int[] widths => widths.Length == 0 ? "none" : string.Join(",", widths),
        Enum choice => choice.ToString().ToLowerInvariant(),
        IFormattable number => number.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value?.ToString() ?? "none",
    };

    /// <summary>Trains, keeping the best model; an exception no check foresaw comes out as an <see cref="InternalErrorException"/>.</summary>
    public TrainingResult Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default) => InternalError.Guard(() =>
    {
        InjectedFault.At("training loop");
        return _trainer.Run(progress, cancel);
    });

    /// <summary>
    /// Trains a model and saves it (the one call a program needs): <c>Prepare</c>, then <see cref="Run"/>. The
    /// first call on a machine fetches libtorch, and on a system whose C++ runtime is too old restarts the program once
    /// under a private one (call <see cref="Native.TorchRuntime.EnsureLoaded"/> first in Main to do that before anything
    /// else).
    /// </summary>
    public static TrainingResult Train(TrainRequest request, CancellationToken cancel = default)
    {
        using var session = Prepare(request, null, cancel);
        return session.Run(null, cancel);
    }

    public void Dispose()
    {
        _model.Dispose();
        _corpus.Dispose();
    }
}
