using System.CommandLine;

namespace TextGen.CommandLine;

/// <summary>
/// Runs a command tree: the one place where errors become exit codes and one-line messages, for each program built on
/// these commands. Each line starts with the program's name.
/// </summary>
public static class CommandRunner
{
    /// <param name="beforeInvoke">What the program does once the arguments parsed, before the command runs (fetching libtorch, say).</param>
    public static int Run(string program, RootCommand root, string[] args, TextWriter output, TextWriter error, Action<ParseResult>? beforeInvoke = null)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            var command = string.Join(' ', CommandPath(parse).Prepend(program));
            var messages = string.Join("; ", parse.Errors.Select(e => Plain(OneLine(e.Message)).TrimEnd('.')).Distinct());
            error.WriteLine($"{program}: {messages} (see `{command} --help`)");
            return ExitCodes.UsageError;
        }
        try
        {
            beforeInvoke?.Invoke(parse);
            InjectFaults(parse);
            // No ProcessTerminationTimeout: System.CommandLine's own SIGTERM handler would end an async command 2 s after
            // the signal, cutting a server's requests in flight. Each command that runs long takes the signals itself
            // (ConsoleInterrupt).
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null, Output = output, Error = error });
        }
        catch (InternalErrorException e)
        {
            error.WriteLine($"{program}: {OneLine(e.Message)}");
            return InternalError.ExitCode;
        }
        catch (SettingException e)
        {
            error.WriteLine($"{program}: {SharedOptions.Flag(e.Setting)} {OneLine(e.Problem)}");
            return ExitCodes.UserError;
        }
        catch (TextGenException e)
        {
            error.WriteLine($"{program}: {OneLine(e.Message)}");
            return ExitCodes.UserError;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine($"{program}: interrupted.");
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            // The last line of defence: what no check foresaw is one line and a report, never .NET's trace and exit 134.
            error.WriteLine($"{program}: {OneLine(InternalError.Record(e))}");
            return InternalError.ExitCode;
        }
    }

    /// <summary>
    /// An exception on a thread of its own ends the process: one line and a report, exit code <see cref="InternalError.ExitCode"/>
    /// instead of .NET's trace and an abort (134). Called once by the program.
    /// </summary>
    public static void CatchUnhandled(string program) => AppDomain.CurrentDomain.UnhandledException += (_, e) =>
    {
        if (Interlocked.Exchange(ref _unhandled, 1) == 1) Thread.Sleep(Timeout.Infinite); // one line, from the first thread
        var line = $"{program}: {OneLine(InternalError.Record(e.ExceptionObject as Exception ?? new Exception(e.ExceptionObject?.ToString())))}\n";
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

    /// <summary>The names of the commands the arguments chose, below the root: ["forecast", "predict"].</summary>
    public static IReadOnlyList<string> CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result.Parent is System.CommandLine.Parsing.CommandResult parent; result = parent) names.Insert(0, result.Command.Name);
        return names;
    }

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

    /// <summary>The parser's conversion error names .NET types (System.Nullable`1[System.Int32]); users need the option.</summary>
    private static string Plain(string message) => System.Text.RegularExpressions.Regex.Replace(message,
        @"^Cannot parse argument '(.*)' for option '(.*)' as expected type '.*'\.?$", "$2 $1 is not a number");

    private static string OneLine(string message) => string.Join(' ', message.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()));
}
