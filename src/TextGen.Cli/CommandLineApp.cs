using System.CommandLine;
using TextGen.Cli.Commands;
using TextGen.Native;

namespace TextGen.Cli;

/// <summary>The `textgen` command tree; <see cref="CommandRunner"/> runs it.</summary>
public static class CommandLineApp
{
    private static readonly (string Name, Func<Command> Create)[] Commands =
    [
        ("train", TrainCommand.Create), ("sample", SampleCommand.Create), ("eval", EvalCommand.Create), ("forecast", ForecastCommand.Create),
        ("bench", BenchCommand.Create), ("serve", ServeCommand.Create), ("embed", EmbedCommand.Create), ("info", InfoCommand.Create),
        ("setup", SetupCommand.Create),
    ];

    public static RootCommand Build() => Root(Commands);

    /// <summary>
    /// The tree with only the command <paramref name="args"/> name, where they name one: building every command's
    /// options (reflection over their declarations) was a tenth of `sample`'s start-up. Anything else gets them all.
    /// </summary>
    internal static RootCommand BuildFor(string[] args) =>
        Root(args.Length > 0 && Array.FindIndex(Commands, c => c.Name == args[0]) is var i and >= 0 ? [Commands[i]] : Commands);

    private static RootCommand Root(IEnumerable<(string Name, Func<Command> Create)> commands)
    {
        var root = new RootCommand("TextGen: train recurrent networks on text and generate from them.");
        foreach (var (_, create) in commands) root.Add(create());
        return root;
    }

    /// <summary>The commands that run libtorch; generation (sample, serve, embed) and info need none.</summary>
    private static readonly HashSet<string> LibtorchCommands = ["train", "eval", "forecast", "bench", "setup"];

    private static bool NeedsLibtorch(ParseResult parse) =>
        parse.Action is not System.CommandLine.Help.HelpAction and not null
        && parse.CommandResult.Command != parse.RootCommandResult.Command
        && LibtorchCommands.Contains(CommandRunner.CommandPath(parse)[0]);

    /// <summary>After a first run's fetch (its progress bar gone): where libtorch came from, in one line.</summary>
    internal static void SayWhereLibtorchCameFrom(TextWriter error)
    {
        if (TorchRuntime.LibtorchDownloadedFrom is { } source)
        {
            error.WriteLine($"fetched libtorch from {source} into {TorchRuntime.LibtorchFolder}, once: training needs it, generation does not.");
        }
    }

    /// <summary>Runs <c>textgen</c> with <paramref name="args"/>: output and errors to the writers, the exit code back.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error) => CommandRunner.Run("textgen", BuildFor(args), args, output, error, parse =>
    {
        if (!NeedsLibtorch(parse)) return;
        // Before any output: an old C++ runtime restarts the process here. A first run then fetches libtorch, with a
        // progress bar; train does it itself, after checking its arguments (TrainingSession.Prepare).
        TorchRuntime.RestartIfNeeded();
        if (CommandRunner.CommandPath(parse)[0] != "train")
        {
            ByteProgressDisplay.Run(error, progress => TorchRuntime.EnsureLoaded(progress));
            SayWhereLibtorchCameFrom(error);
        }
    });
}
