using System.Diagnostics;
using System.Text;
using Spectre.Console;
using TextGen.Training;

namespace TextGen.Cli;

/// <summary>Shows training progress: a live bar when stderr is a terminal, plain lines when it is redirected.</summary>
public static class TrainingDisplay
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(15);

    public static TrainingResult Run(TrainingSession session, TextWriter error, CancellationToken cancel)
    {
        if (Console.IsErrorRedirected || !ReferenceEquals(error, Console.Error))
        {
            return session.Run(new PlainLines(error), cancel);
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        TrainingResult? result = null;
        TrainingSample? latest = null;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .UseRenderHook((bar, _) => latest is { } sample ? new Rows(bar, new Text($"{Heading(sample)}\n{Printable(sample.Text)}", new Style(decoration: Decoration.Dim))) : bar)
            .Start(context =>
            {
                var task = context.AddTask("starting", maxValue: 1000);
                result = session.Run(new Bar(task, sample => latest = sample), cancel);
                task.Value = task.MaxValue;
                task.StopTask();
            });
        return result!;
    }

    private static string Heading(TrainingSample sample) => $"sample at step {sample.Step} (val {sample.ValLoss:F4}):";

    /// <summary>Generated text as the terminal should show it: control characters (other than line ends and tabs) as U+FFFD.</summary>
    private static string Printable(string text) =>
        string.Concat(text.EnumerateRunes().Select(r => Rune.IsControl(r) && r.Value is not ('\n' or '\t') ? "\uFFFD" : r.ToString()));

    private static string Describe(TrainingProgress p, double? bestVal) =>
        $"step {p.Step} · epoch {p.Epoch:F2} · loss {p.TrainLoss:F3}" +
        (bestVal is { } best ? $" · val {best:F3}" : "") +
        $" · {p.TokensPerSecond / 1000:F1}k tok/s";

    private sealed class Bar(ProgressTask task, Action<TrainingSample> onSample) : IProgress<TrainingProgress>
    {
        private double? _bestVal;

        public void Report(TrainingProgress value)
        {
            _bestVal = value.BestValLoss ?? _bestVal;
            if (value.Sample is { } sample) onSample(sample);
            task.Description = Markup.Escape(Describe(value, _bestVal));
            task.Value = value.Fraction * task.MaxValue;
        }
    }

    private sealed class PlainLines(TextWriter error) : IProgress<TrainingProgress>
    {
        private readonly Stopwatch _sinceLine = Stopwatch.StartNew();
        private double? _bestVal;

        public void Report(TrainingProgress value)
        {
            _bestVal = value.BestValLoss ?? _bestVal;
            if (value.Evaluated)
            {
                error.WriteLine($"{value.Elapsed:hh\\:mm\\:ss} {Describe(value, null)} · val {value.ValLoss:F4}{(value.Improved ? " (best, saved)" : "")}");
                if (value.Sample is { } sample)
                {
                    error.WriteLine("  " + Heading(sample));
                    foreach (var line in Printable(sample.Text).Split('\n')) error.WriteLine("  | " + line);
                }
            }
            else if (_sinceLine.Elapsed >= PlainInterval)
            {
                error.WriteLine($"{value.Elapsed:hh\\:mm\\:ss} {Describe(value, _bestVal)} · {value.Fraction:P0}");
            }
            else
            {
                return;
            }
            _sinceLine.Restart();
        }
    }
}
