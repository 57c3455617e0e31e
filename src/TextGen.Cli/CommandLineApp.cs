using System.CommandLine;
using TextGen.Cli.Commands;
using TextGen.Native;

namespace TextGen.Cli;

/// <summary>The `textgen` command tree, and the one place where errors become exit codes and one-line messages.</summary>
public static class CommandLineApp
{
    public const int ExitUserError = 1;
    public const int ExitUsageError = 2;
    public const int ExitInterrupted = 130;
    public const int ExitTerminated = 143;

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
        && LibtorchCommands.Contains(CommandPath(parse).First());

    /// <summary>
    /// For the tests of the last line of defence: TEXTGEN_INJECT_FAULT set to a command (e.g. "forecast predict") throws
    /// as it starts; "thread" throws on another thread, which only the process-wide handler (<see cref="CatchUnhandled"/>) sees.
    /// </summary>
    private static void InjectFaults(ParseResult parse)
    {
        InjectedFault.At(string.Join(' ', CommandPath(parse)));
        if (InjectedFault.IsAskedFor("thread"))
        {
            var thread = new Thread(() => InjectedFault.At("thread"));
            thread.Start();
            thread.Join();
        }
    }

    /// <summary>
    /// An exception on a thread of its own ends the process: one line and a report, exit code <see cref="InternalError.ExitCode"/>
    /// instead of .NET's trace and an abort (134). Called once by the program.
    /// </summary>
    public static void CatchUnhandled() => AppDomain.CurrentDomain.UnhandledException += (_, e) =>
    {
        if (Interlocked.Exchange(ref _unhandled, 1) == 1) Thread.Sleep(Timeout.Infinite); // one line, from the first thread
        var line = $"textgen: {OneLine(InternalError.Record(e.ExceptionObject as Exception ?? new Exception(e.ExceptionObject?.ToString())))}\n";
        // Raw bytes, not the shared Console.Error writer, whose lock the failing thread may hold.
        using (var stderr = Console.OpenStandardError()) stderr.Write(System.Text.Encoding.UTF8.GetBytes(line));
        // Not Environment.Exit: it would run ProcessExit handlers and libtorch's static destructors while other threads
        // may be inside libtorch. _exit ends the process at once with the code.
        if (OperatingSystem.IsLinux()) ExitNow(InternalError.ExitCode);
        Environment.Exit(InternalError.ExitCode);
    };

    private static int _unhandled;

    [System.Runtime.InteropServices.DllImport("libc.so.6", EntryPoint = "_exit")]
    private static extern void ExitNow(int code);

    /// <summary>After a first run's fetch (its progress bar gone): where libtorch came from, in one line.</summary>
    internal static void SayWhereLibtorchCameFrom(TextWriter error)
    {
        if (TorchRuntime.LibtorchDownloadedFrom is { } source)
        {
            error.WriteLine($"fetched libtorch from {source} into {TorchRuntime.LibtorchFolder}, once: training needs it, generation does not.");
        }
    }

    private static IEnumerable<string> CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result.Parent is System.CommandLine.Parsing.CommandResult parent; result = parent) names.Insert(0, result.Command.Name);
        return names;
    }

    /// <summary>The parser's conversion error names .NET types (System.Nullable`1[System.Int32]); users need the option.</summary>
    private static string Plain(string message) => System.Text.RegularExpressions.Regex.Replace(message,
        @"^Cannot parse argument '(.*)' for option '(.*)' as expected type '.*'\.?$", "$2 $1 is not a number");

    private static string OneLine(string message) => string.Join(' ', message.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()));

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var parse = BuildFor(args).Parse(args);
        if (parse.Errors.Count > 0)
        {
            var command = string.Join(' ', CommandPath(parse).Prepend("textgen"));
            var messages = string.Join("; ", parse.Errors.Select(e => Plain(OneLine(e.Message)).TrimEnd('.')).Distinct());
            error.WriteLine($"textgen: {messages} (see `{command} --help`)");
            return ExitUsageError;
        }
        try
        {
            if (NeedsLibtorch(parse))
            {
                // Before any output: an old C++ runtime restarts the process here. A first run then fetches libtorch,
                // with a progress bar; train does it itself, after checking its arguments (TrainingSession.Prepare).
                TorchRuntime.RestartIfNeeded();
                if (CommandPath(parse).First() != "train")
                {
                    ByteProgressDisplay.Run(error, progress => TorchRuntime.EnsureLoaded(progress));
                    SayWhereLibtorchCameFrom(error);
                }
            }
            InjectFaults(parse);
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = output, Error = error });
        }
        catch (InternalErrorException e)
        {
            error.WriteLine($"textgen: {OneLine(e.Message)}");
            return InternalError.ExitCode;
        }
        catch (SettingException e)
        {
            error.WriteLine($"textgen: {SharedOptions.Flag(e.Setting)} {OneLine(e.Problem)}");
            return ExitUserError;
        }
        catch (TextGenException e)
        {
            error.WriteLine($"textgen: {OneLine(e.Message)}");
            return ExitUserError;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("textgen: interrupted.");
            return ExitInterrupted;
        }
        catch (Exception e)
        {
            // The last line of defence: what no check foresaw is one line and a report, never .NET's trace and exit 134.
            error.WriteLine($"textgen: {OneLine(InternalError.Record(e))}");
            return InternalError.ExitCode;
        }
    }
}
