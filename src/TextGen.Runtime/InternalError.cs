using System.Runtime.InteropServices;

namespace TextGen;

/// <summary>
/// The last line of defence: an exception that no check foresaw is written in full (type, message, every stack trace,
/// version, OS and runtime) to a file of its own, and summed up in one line that gives the file's path. The CLI prints
/// that line and exits with <see cref="ExitCode"/>; the server answers 500 and keeps serving; the library's long loops
/// throw it as an <see cref="InternalErrorException"/>.
/// </summary>
public static class InternalError
{
    /// <summary>EX_SOFTWARE (sysexits.h): an internal software error, distinct from user errors (1, 2) and a crash (134).</summary>
    public const int ExitCode = 70;

    /// <summary>Writes the report and returns the one line: "internal error: TYPE: MESSAGE (the full trace is in PATH; ...)".</summary>
    public static string Record(Exception error)
    {
        var firstLine = error.Message.Split('\n', 2)[0].Trim();
        var where = TryWrite(error);
        return $"internal error: {error.GetType().Name}: {firstLine} " +
               (where is null
                   ? "(no report could be written: set TEXTGEN_CACHE to a writable folder and run it again to get one)"
                   : $"(the full trace is in {where}; please report it with the command that led to it)");
    }

    /// <summary>
    /// Runs a library entry point's long work: a <see cref="TextGenException"/> or a cancellation passes as it is;
    /// any other exception is recorded and thrown as an <see cref="InternalErrorException"/>.
    /// </summary>
    public static T Guard<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (e is not (TextGenException or OperationCanceledException))
        {
            throw new InternalErrorException(e);
        }
    }

    /// <summary>The report: under the cache's crashes folder, else the temporary folder; null when neither takes it.</summary>
    private static string? TryWrite(Exception error)
    {
        var name = $"textgen-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}.txt";
        var report = $"""
            TextGen {typeof(InternalError).Assembly.GetName().Version} internal error, {DateTime.UtcNow:O}
            {RuntimeInformation.OSDescription} ({RuntimeInformation.RuntimeIdentifier}), .NET {Environment.Version}

            {error}

            """;
        foreach (var folder in new[] { Path.Combine(UserCache.Root, "crashes"), Path.GetTempPath() })
        {
            try
            {
                Directory.CreateDirectory(folder);
                var path = Path.Combine(folder, name);
                // Only its owner may read it: a trace can hold paths and values from the user's files.
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                using (var writer = new StreamWriter(path, System.Text.Encoding.UTF8, options)) writer.Write(report);
                return path;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                // The next folder, or no report.
            }
        }
        return null;
    }
}

/// <summary>A library loop's exception that no check foresaw, recorded by <see cref="InternalError"/>: its message is the one line.</summary>
public sealed class InternalErrorException(Exception inner) : TextGenException(InternalError.Record(inner), inner);
