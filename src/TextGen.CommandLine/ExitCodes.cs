namespace TextGen.CommandLine;

/// <summary>
/// The exit codes of both programs (`textgen` and `textgen-serve`); a bug exits with <see cref="InternalError.ExitCode"/>,
/// which the runtime library owns.
/// </summary>
public static class ExitCodes
{
    public const int UserError = 1;
    public const int UsageError = 2;
    public const int Interrupted = 130;
    public const int Terminated = 143;
}
