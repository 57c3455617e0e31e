using System.CommandLine;
using TextGen.Cli.Commands;

namespace TextGen.Cli;

/// <summary>The `textgen` command tree, and the one place where errors become exit codes and one-line messages.</summary>
public static class CommandLineApp
{
    public const int ExitUserError = 1;
    public const int ExitUsageError = 2;
    public const int ExitInterrupted = 130;

    public static RootCommand Build() => new("TextGen: train recurrent networks on text and generate from them.")
    {
        TrainCommand.Create(),
        SampleCommand.Create(),
        EvalCommand.Create(),
    };

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var parse = Build().Parse(args);
        if (parse.Errors.Count > 0)
        {
            var command = string.Join(' ', parse.CommandResult.Command.Name == "textgen" ? ["textgen"] : new[] { "textgen", parse.CommandResult.Command.Name });
            error.WriteLine($"textgen: {parse.Errors[0].Message} (see `{command} --help`)");
            return ExitUsageError;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = output, Error = error });
        }
        catch (TextGenException e)
        {
            error.WriteLine($"textgen: {e.Message}");
            return ExitUserError;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("textgen: interrupted.");
            return ExitInterrupted;
        }
    }
}
