using TextGen.Cli;

namespace TextGen.Tests.Cli;

/// <summary>Runs `textgen` in-process and captures what it prints.</summary>
public static class CliRunner
{
    public sealed record Outcome(int ExitCode, string Output, string Error)
    {
        public string ErrorLine => Error.Trim();
    }

    public static Outcome Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = CommandLineApp.Run(args, output, error);
        return new Outcome(code, output.ToString(), error.ToString());
    }
}
