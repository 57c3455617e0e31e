using System.Runtime.InteropServices;

namespace TextGen.CommandLine;

/// <summary>
/// The first Ctrl-C (SIGINT) or SIGTERM (what containers and service managers send) asks long work to stop cleanly,
/// keeping what it has; a second Ctrl-C ends the process as usual. <see cref="ExitCode"/> is the shell's convention
/// for the signal that stopped the work: 130 for SIGINT, 143 for SIGTERM.
/// </summary>
public sealed class ConsoleInterrupt : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration? _terminate;
    private readonly string _stopping;

    /// <param name="stopping">What the command does on the signal, as the line it prints says.</param>
    public ConsoleInterrupt(string stopping = "stopping after this step and keeping what it has")
    {
        _stopping = stopping;
        Console.CancelKeyPress += OnCancel;
        if (!OperatingSystem.IsWindows())
        {
            _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                // A second SIGTERM ends the process the usual way.
                if (_source.IsCancellationRequested) return;
                context.Cancel = true;
                Stop(ExitCodes.Terminated, $"Terminated: {_stopping}...");
            });
        }
    }

    public CancellationToken Token => _source.Token;

    /// <summary>The exit code for work that was stopped by a signal.</summary>
    public int ExitCode { get; private set; } = ExitCodes.Interrupted;

    private void OnCancel(object? sender, ConsoleCancelEventArgs e)
    {
        if (_source.IsCancellationRequested)
        {
            return;
        }
        e.Cancel = true;
        Console.Error.WriteLine();
        Stop(ExitCodes.Interrupted, $"{char.ToUpperInvariant(_stopping[0])}{_stopping[1..]} (Ctrl-C again to abort)...");
    }

    private void Stop(int exitCode, string message)
    {
        if (_source.IsCancellationRequested)
        {
            return;
        }
        ExitCode = exitCode;
        Console.Error.WriteLine(message);
        _source.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancel;
        _terminate?.Dispose();
        _source.Dispose();
    }
}
