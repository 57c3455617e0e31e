using System.Diagnostics;
using Spectre.Console;
using TextGen.Data;

namespace TextGen.Cli;

/// <summary>
/// Shows long passes over bytes (fetching libtorch; hashing, learning the vocabulary and tokenizing a corpus) with
/// bytes/s and the time left: live bars when stderr is a terminal, one line per pass that took a while when it is
/// redirected. Work that is already done (libtorch in
/// place, a corpus in the token cache) shows nothing.
/// </summary>
public static class ByteProgressDisplay
{
    public static void Run(TextWriter error, Action<IProgress<ByteProgress>> work) => Run(error, progress =>
    {
        work(progress);
        return 0;
    });

    public static T Run<T>(TextWriter error, Func<IProgress<ByteProgress>, T> work)
    {
        if (Console.IsErrorRedirected || !ReferenceEquals(error, Console.Error))
        {
            var lines = new PlainLines(error);
            var result = work(lines);
            lines.Finish();
            return result;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T outcome = default!;
        console.Progress()
            .AutoClear(true)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new TransferSpeedColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context => outcome = work(new Bars(context)));
        return outcome;
    }

    private static string Megabytes(long bytes) => $"{bytes / 1e6:N1} MB";

    private sealed class Bars(ProgressContext context) : IProgress<ByteProgress>
    {
        private readonly Dictionary<string, ProgressTask> _tasks = [];

        public void Report(ByteProgress value)
        {
            if (!_tasks.TryGetValue(value.Stage, out var task))
            {
                _tasks[value.Stage] = task = context.AddTask(value.Stage, maxValue: Math.Max(1, value.TotalBytes));
            }
            task.Value = value.Bytes;
        }
    }

    private sealed class PlainLines(TextWriter error) : IProgress<ByteProgress>
    {
        private readonly Stopwatch _stage = Stopwatch.StartNew(); // since the pass's first report (the corpus passes report 0 as they start)
        private readonly Stopwatch _sinceLine = Stopwatch.StartNew();
        private ByteProgress? _current;
        private double _lastReport; // seconds into the pass of its latest report: where it ended, once it is done

        public void Report(ByteProgress value)
        {
            // A new pass: the previous one's line, and the clock from now, so time spent between passes (loading
            // libtorch, reading the cache) does not count against the pass's rate.
            if (_current?.Stage != value.Stage) Finish();
            _current = value;
            _lastReport = _stage.Elapsed.TotalSeconds;
            if (_sinceLine.Elapsed.TotalSeconds >= QuietSeconds * 5)
            {
                error.WriteLine($"{value.Stage}: {Megabytes(value.Bytes)} of {Megabytes(value.TotalBytes)} ({value.Bytes / (double)Math.Max(1, value.TotalBytes):P0}) at {Speed(value.Bytes)}");
                _sinceLine.Restart();
            }
        }

        public void Finish()
        {
            // A pass ends at its last report, not when the next one starts or the work around it ends.
            if (_current is { } done && _lastReport >= QuietSeconds)
            {
                error.WriteLine($"{done.Stage}: {Megabytes(done.Bytes)} in {_lastReport:F1} s ({done.Bytes / 1e6 / Math.Max(_lastReport, 1e-3):N0} MB/s)");
            }
            _current = null;
            _stage.Restart();
            _sinceLine.Restart();
        }

        private string Speed(long bytes) => $"{bytes / 1e6 / Math.Max(_stage.Elapsed.TotalSeconds, 1e-3):N0} MB/s";
    }

    /// <summary>Passes shorter than this go unreported in logs (a small corpus takes a fraction of a second).</summary>
    private const double QuietSeconds = 2;
}
