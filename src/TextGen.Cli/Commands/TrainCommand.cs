using System.CommandLine;
using TextGen.Generation;
using TextGen.Modeling;
using TextGen.Tokenization;
using TextGen.Training;

namespace TextGen.Cli.Commands;

/// <summary>`textgen train [CORPUS]`: trains a model (character, word or BPE level) and saves the best one.</summary>
public static class TrainCommand
{
    public const string DefaultCorpusVariable = "TEXTGEN_DEFAULT_CORPUS";
    public static readonly TimeSpan DefaultMaxTime = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan DefaultCorpusMaxTime = TimeSpan.FromMinutes(2);
    private const int SampleLength = 300;

    public static Command Create()
    {
        var network = new RecurrentNetConfig();
        var corpus = new Argument<string?>("corpus") { Description = "UTF-8 text file. Default: the bundled corpus (Moby-Dick), trained for 2 minutes.", Arity = ArgumentArity.ZeroOrOne };
        var output = new Option<string?>("--output", "-o") { Description = "Model file to write. Default: models/CORPUS-NAME.tgm." };
        var cell = new Option<string>("--cell") { Description = "Recurrent cell: rnn, lstm or gru.", DefaultValueFactory = _ => "lstm" };
        cell.AcceptOnlyFromAmong(RecurrentNetConfig.CellNames);
        var layers = SharedOptions.From(NetworkSettings.Layers);
        var hidden = SharedOptions.FromOptional(NetworkSettings.Hidden with { Description = "Units per recurrent layer. Default: at character level, fitted to the time budget, the corpus and this machine's speed (256 for 5 minutes on 1 MB); else 256." });
        var embedding = SharedOptions.From(NetworkSettings.Embedding);
        var oneHot = new Option<bool>("--one-hot") { Description = "Feed one-hot vectors instead of a learned embedding." };
        var dropout = SharedOptions.From(NetworkSettings.Dropout);
        var batch = SharedOptions.FromOptional(TrainingSettings.BatchSize);
        var sequence = SharedOptions.FromOptional(TrainingSettings.SequenceLength);
        var learningRate = SharedOptions.FromOptional(TrainingSettings.LearningRate);
        var clip = SharedOptions.From(TrainingSettings.GradientClip);
        var valFraction = SharedOptions.From(TrainingSettings.ValidationFraction);
        var maxTime = SharedOptions.Duration("--max-time", "Time budget, e.g. 90s, 5m, 1h. Default: 10m unless --epochs is given.");
        var epochs = SharedOptions.FromOptional(TrainingSettings.Epochs);
        
        var seed = SharedOptions.Seed();
        var precision = new Option<string>("--precision")
        {
            Description = "Products in training: bf16 (bfloat16 operands, float32 weights and arithmetic; LSTM on CPUs with avx512_bf16 or AMX), fp32, or auto: bf16 where it runs, else fp32. Models are saved in fp32 either way.",
            DefaultValueFactory = _ => "auto",
        };
        var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoint beside --output (optimizer state included)." };
        var json = SharedOptions.Json();

        var level = new Option<string>("--level") { Description = "Tokens: char, word or bpe (byte-level BPE).", DefaultValueFactory = _ => CharTokenizer.LevelName };
        level.AcceptOnlyFromAmong(TokenizerFactory.Levels);
        var minCount = SharedOptions.From(VocabularySettings.MinCount);
        var maxVocab = SharedOptions.From(VocabularySettings.MaxVocabulary);
        var lowercase = new Option<bool>("--lowercase") { Description = "Word level: lower-case the text first." };
        var documents = new Option<string>("--documents") { Description = "lines: each non-empty line is a document of its own (titles, tweets, poems); none: one continuous text.", DefaultValueFactory = _ => "none" };
        documents.AcceptOnlyFromAmong("none", "lines");
        var embeddingsFrom = new Option<string?>("--embeddings-from") { Description = "Initialise the embedding from a word2vec or GloVe text file (its dimension must equal --embedding)." };
        var freeze = new Option<bool>("--freeze-embeddings") { Description = "Keep the initialised embedding fixed while training." };
        var vocabSize = SharedOptions.From(VocabularySettings.BpeVocabularySize);
        var plot = new Option<string?>("--plot") { Description = "Write the training curve (training and validation loss, learning rate by step) to a PNG at the end." };

        var command = new Command("train", "Train a model on a text file; the best model by validation loss is saved.")
        {
            corpus, output, cell, layers, hidden, embedding, oneHot, dropout, batch, sequence, learningRate, clip, valFraction,
            maxTime, epochs, seed, precision, resume, json, level, minCount, maxVocab, lowercase, vocabSize, documents, embeddingsFrom, freeze, plot,
        };
        command.SetAction(parse =>
        {
            var corpusPath = parse.GetValue(corpus);
            var usingDefaultCorpus = corpusPath is null;
            corpusPath ??= DefaultCorpus();
            var epochBudget = parse.GetValue(epochs);
            var timeBudget = parse.GetValue(maxTime) ?? (epochBudget is null ? (usingDefaultCorpus ? DefaultCorpusMaxTime : DefaultMaxTime) : null);
            var levelDefaults = TrainingOptions.ForLevel(parse.GetValue(level)!);
            var request = new TrainRequest
            {
                CorpusPath = corpusPath,
                OutputPath = parse.GetValue(output),
                Network = new RecurrentNetConfig
                {
                    Cell = RecurrentNetConfig.ParseCell(parse.GetValue(cell)!),
                    Layers = parse.GetValue(layers),
                    Hidden = parse.GetValue(hidden) ?? network.Hidden,
                    Embedding = parse.GetValue(embedding),
                    OneHot = parse.GetValue(oneHot),
                    Dropout = parse.GetValue(dropout),
                },
                Training = levelDefaults with
                {
                    BatchSize = parse.GetValue(batch) ?? levelDefaults.BatchSize,
                    SequenceLength = parse.GetValue(sequence) ?? levelDefaults.SequenceLength,
                    LearningRate = parse.GetValue(learningRate) ?? levelDefaults.LearningRate,
                    GradientClip = parse.GetValue(clip),
                    ValidationFraction = parse.GetValue(valFraction),
                    MaxTime = timeBudget,
                    Epochs = epochBudget,
                    Seed = parse.GetValue(seed) ?? Random.Shared.Next(),
                    Precision = TrainingPrecisions.Parse(parse.GetValue(precision)!),
                },
                ChooseWidth = parse.GetValue(hidden) is null,
                Resume = parse.GetValue(resume),
                Level = parse.GetValue(level)!,
                Words = new WordVocabularyOptions { MinCount = parse.GetValue(minCount), MaxVocabulary = parse.GetValue(maxVocab), Lowercase = parse.GetValue(lowercase) },
                BpeVocabularySize = parse.GetValue(vocabSize),
                LineDocuments = parse.GetValue(documents) == "lines",
                EmbeddingsFrom = parse.GetValue(embeddingsFrom),
                FreezeEmbeddings = parse.GetValue(freeze),
            };
            if (parse.GetValue(plot) is { } png)
            {
                TrainingPlot.CheckPath(png);
                TextGen.Persistence.AtomicFile.EnsureWritable(png); // before training is spent on it
            }
            return Run(request, parse.GetValue(plot), parse.GetValue(json), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
        });
        return command;
    }

    private static string DefaultCorpus()
    {
        if (Environment.GetEnvironmentVariable(DefaultCorpusVariable) is not { Length: > 0 } path)
        {
            var clone = Path.Combine("corpora", "moby-dick.txt");
            if (File.Exists(clone)) return clone;
            throw new TextGenException("no corpus given; pass a text file: textgen train corpus.txt (a clone's ./textgen train fetches a default one).");
        }
        if (!File.Exists(path))
        {
            throw new TextGenException($"no corpus given and the default corpus {path} is missing; run corpora/fetch-default.sh (or ./textgen train, which fetches it) or pass a text file.");
        }
        return path;
    }

    private static int Run(TrainRequest request, string? plot, bool json, TextWriter output, TextWriter error)
    {
        using var interrupt = new ConsoleInterrupt(); // from the start: Ctrl-C while tokenizing leaves no temp file behind
        using var session = ByteProgressDisplay.Run(error, progress => TrainingSession.Prepare(request, progress, interrupt.Token));
        CommandLineApp.SayWhereLibtorchCameFrom(error);
        foreach (var warning in session.Warnings)
        {
            error.WriteLine($"warning: {warning}");
        }
        var network = session.Network;
        var options = session.Options;
        if (!json)
        {
            error.WriteLine($"Training {network.Layers}x{network.Hidden} {network.Cell.ToString().ToLowerInvariant()}{(session.WidthChosen ? $" (width fitted to the budget{(session.MeasuredBaseThroughput is { } speed ? $", this machine's {speed / 1000:F1}k tokens/s at {ModelSizing.BaseWidth}" : "")} and the corpus; --hidden sets it)" : "")} ({session.Parameters:N0} parameters, vocabulary {network.VocabularySize}) " +
                            $"on {session.TrainTokens:N0} tokens, validating on {session.Data.ValidationTokens:N0}{(session.Data.HeldOutTokens > session.Data.ValidationTokens ? $" (a fixed sample of the {session.Data.HeldOutTokens:N0} held out)" : "")}; " +
                            $"batch {options.BatchSize}x{options.SequenceLength}, {options.Precision?.Name()} products, budget {Budget(options)}, seed {options.Seed}. Ctrl-C stops and keeps the best model.");
        }

        var result = TrainingDisplay.Run(session, error, interrupt.Token);
        var run = result.Summary;
        if (result.Warning is { } late)
        {
            error.WriteLine($"warning: {late}");
        }
        var generator = TextGenerator.Load(result.ModelPath);
        var sample = generator.Generate("", new SamplingOptions { Length = SampleLength, Seed = (int)(options.Seed & int.MaxValue) });

        if (json)
        {
            JsonOutput.Write(output, new
            {
                model = Path.GetFullPath(result.ModelPath),
                val_loss = JsonOutput.Finite(run.ValLoss),
                train_loss = JsonOutput.Finite(run.TrainLoss),
                steps = run.Steps,
                epochs = run.Epochs,
                tokens_per_second = run.TokensPerSecond,
                parameters = result.Parameters,
                cell = network.Cell.ToString().ToLowerInvariant(),
                layers = network.Layers,
                hidden = network.Hidden,
                seconds = run.Seconds,
                first_step_seconds = result.FirstStepSeconds,
                tokens_from_cache = session.TokensFromCache,
                seed = options.Seed,
                precision = options.Precision?.Name(),
                interrupted = result.Cancelled,
                sample,
            });
        }
        else
        {
            error.WriteLine($"{(result.Cancelled ? "Stopped" : "Done")} after {run.Steps} steps ({run.Epochs:F2} epochs, {run.Seconds:F0} s, {run.TokensPerSecond:N0} tokens/s): " +
                            $"best validation loss {run.ValLoss:F4} nats/token ({run.ValLoss / Math.Log(2):F3} bits), train loss {run.TrainLoss:F4}.");
            error.WriteLine($"Saved {result.ModelPath}. A sample (temperature 0.8):");
            output.WriteLine(sample);
        }
        if (plot is not null)
        {
            // After the results: a plot that cannot be drawn is an error of its own, not a lost run.
            TrainingPlot.Write(plot, run);
            if (!json) error.WriteLine($"Wrote the training curve to {plot}.");
        }
        return result.Cancelled ? interrupt.ExitCode : 0;
    }

    private static string Budget(TrainingOptions options) => (options.MaxTime, options.Epochs) switch
    {
        ({ } time, { } epochs) => $"{time.TotalSeconds:0} s or {epochs} epochs",
        ({ } time, null) => $"{time.TotalSeconds:0} s",
        (null, { } epochs) => $"{epochs} epochs",
        _ => "none",
    };
}
