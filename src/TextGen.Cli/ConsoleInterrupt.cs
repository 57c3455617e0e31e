namespace TextGen.Cli;

/// <summary>The first Ctrl-C asks long work to stop cleanly; a second one ends the process as usual.</summary>
public sealed class ConsoleInterrupt : IDisposable
{
    private readonly CancellationTokenSource _source = new();

    public ConsoleInterrupt() => Console.CancelKeyPress += OnCancel;

    public CancellationToken Token => _source.Token;

    private void OnCancel(object? sender, ConsoleCancelEventArgs e)
    {
        if (_source.IsCancellationRequested)
        {
            return;
        }
        e.Cancel = true;
        Console.Error.WriteLine();
        Console.Error.WriteLine("Stopping after this step and keeping the best model (Ctrl-C again to abort)...");
        _source.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancel;
        _source.Dispose();
    }
}
