using System.CommandLine;
using TextGen.Distributed;
using TextGen.Generation;
using TextGen.Modeling;
using TextGen.Tokenization;
using TextGen.Training;

namespace TextGen.Cli.Commands;

/// <summary>`textgen train [CORPUS...]`: trains a model (character, word or BPE level) and saves the best one.</summary>
public static class TrainCommand
{
    public const string DefaultCorpusVariable = "TEXTGEN_DEFAULT_CORPUS";
    public static readonly TimeSpan DefaultMaxTime = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan DefaultCorpusMaxTime = TimeSpan.FromMinutes(2);
    private const int SampleLength = 300;

    public static Command Create()
    {
        var corpus = new Argument<string[]>("corpus")
        {
            Description = "UTF-8 text files, and folders of them (their .txt, .md and .text files); each file is a document boundary. Default: the bundled corpus (Moby-Dick), trained for 2 minutes.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var request = new OptionBinder<TrainRequest>();
        var network = new OptionBinder<RecurrentNetConfig>();
        var training = new OptionBinder<TrainingOptions>();
        var vocabulary = new OptionBinder<VocabularyOptions>();
        var plot = new Option<string?>("--plot") { Description = "Write the training curve (training and validation loss, learning rate by step) to a PNG at the end." };
        var json = SharedOptions.Json();

        var command = new Command("train", "Train a model on text files; the best model by validation loss is saved.") { corpus };
        foreach (var option in request.Options.Concat(network.Options).Concat(training.Options).Concat(vocabulary.Options).Append(plot).Append(json)) command.Add(option);
        command.SetAction(parse =>
        {
            var given = parse.GetValue(corpus) is { Length: > 0 } named ? named : null;
            var bound = request.Bind(parse);
            var options = training.Bind(parse, TrainingOptions.ForLevel(bound.Level) with { Seed = Random.Shared.Next() });
            var budget = options.MaxTime ?? (options.Epochs is null ? (given is null ? DefaultCorpusMaxTime : DefaultMaxTime) : null);
            bound = bound with
            {
                Corpora = given ?? [DefaultCorpus()],
                Network = network.Bind(parse),
                ChooseWidth = !network.Given(parse, "hidden"),
                Training = options with { MaxTime = budget },
                Vocabulary = vocabulary.Bind(parse),
                Given = new HashSet<string>([.. request.GivenNames(parse), .. network.GivenNames(parse), .. training.GivenNames(parse), .. vocabulary.GivenNames(parse)]),
            };
            if (parse.GetValue(plot) is { } png)
            {
                TrainingPlot.CheckPath(png);
                TextGen.Persistence.AtomicFile.EnsureWritable(png); // before training is spent on it
            }
            return Run(bound, parse.GetValue(plot), parse.GetValue(json), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
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
        // Under mpirun: MPI starts here, and ends after a run every rank finished. A rank that fails exits without
        // ending it, and mpirun then stops the others at once rather than leaving them waiting for it.
        var ranks = TrainingRanks.Join();
        var exitCode = ranks.IsLeader
            ? Run(request with { Ranks = ranks }, plot, json, output, error, interrupt)
            : RunQuietly(request with { Ranks = ranks }, interrupt);
        ranks.Finish();
        return exitCode;
    }

    /// <summary>A rank other than 0 trains in silence: rank 0 speaks for the run, the others for their own errors only.</summary>
    private static int RunQuietly(TrainRequest request, ConsoleInterrupt interrupt)
    {
        var ranks = request.Ranks!;
        try
        {
            using var session = TrainingSession.Prepare(request, null, interrupt.Token);
            return ExitCode(session.Run(null, interrupt.Token), interrupt);
        }
        catch (TextGenException e)
        {
            var problem = e is SettingException setting ? $"{SharedOptions.Flag(setting.Setting)} {setting.Problem}" : e.Message;
            throw new TextGenException($"rank {ranks.Rank} of {ranks.Size}: {problem}", e);
        }
    }

    private static int Run(TrainRequest request, string? plot, bool json, TextWriter output, TextWriter error, ConsoleInterrupt interrupt)
    {
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
            var machineSpeed = session.MeasuredBaseThroughput is { } speed ? $", this machine's {speed / 1000:F1}k tokens/s at {ModelSizing.BaseWidth}" : "";
            var fittedWidth = session.WidthChosen ? $" (width fitted to the budget{machineSpeed} and the corpus; --hidden sets it)" : "";
            var heldOutSample = session.Data.HeldOutTokens > session.Data.ValidationTokens ? $" (a fixed sample of the {session.Data.HeldOutTokens:N0} held out)" : "";
            error.WriteLine($"Training {network.Layers}x{network.Hidden} {network.Cell.ToString().ToLowerInvariant()}{fittedWidth} " +
                            $"({session.Parameters:N0} parameters, vocabulary {network.VocabularySize}) " +
                            $"on {session.TrainTokens:N0} tokens, validating on {session.Data.ValidationTokens:N0}{heldOutSample}; " +
                            $"batch {options.BatchSize}x{options.SequenceLength}{Ranks(request.Ranks)}, {options.Precision?.Name()} products, budget {Budget(options)}, seed {options.Seed}. " +
                            "Ctrl-C stops and keeps the best model.");
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
            JsonOutput.Write(output, new TrainOutput(Path.GetFullPath(result.ModelPath), JsonOutput.Finite(run.ValLoss), JsonOutput.Finite(run.TrainLoss),
                run.Steps, run.Epochs, run.TokensPerSecond, result.Parameters, network.Cell.ToString().ToLowerInvariant(), network.Layers, network.Hidden,
                run.Seconds, result.FirstStepSeconds, session.TokensFromCache, options.Seed, options.Precision?.Name(), result.Cancelled, sample,
                result.Samples, options.Keep > 0 ? [.. TextGen.Persistence.KeptModels.Of(result.ModelPath)] : [])
            {
                Ranks = result.Ranks,
                AllreduceBytesPerStep = result.AllreduceBytesPerStep,
                AllreduceSeconds = result.AllreduceSeconds,
            }, CliJson.Default.TrainOutput);
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
        return ExitCode(result, interrupt);
    }

    /// <summary>
    /// A signal's code from the process it reached; the other ranks of an mpirun, stopped by it, finish as usual, so that
    /// mpirun passes on that signal's code whichever rank ends first.
    /// </summary>
    private static int ExitCode(TrainingResult result, ConsoleInterrupt interrupt) =>
        result.Cancelled && interrupt.Token.IsCancellationRequested ? interrupt.ExitCode : 0;

    private static string Ranks(TrainingRanks? ranks) => ranks is { Size: > 1 } r ? $" on each of {r.Size} ranks" : "";

    private static string Budget(TrainingOptions options) => (options.MaxTime, options.Epochs) switch
    {
        ({ } time, { } epochs) => $"{time.TotalSeconds:0} s or {epochs} epochs",
        ({ } time, null) => $"{time.TotalSeconds:0} s",
        (null, { } epochs) => $"{epochs} epochs",
        _ => "none",
    };
}
