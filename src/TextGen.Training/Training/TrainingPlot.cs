using ScottPlot;
using TextGen.Persistence;

namespace TextGen.Training;

/// <summary>A model's training curve as a PNG: training and validation loss by step, and the learning rate beside them.</summary>
public static class TrainingPlot
{
    /// <summary>Refuses a path that is not a PNG before any training is spent on it.</summary>
    public static void CheckPath(string path)
    {
        if (!path.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            throw new SettingException("plot", $"{path}: plots are PNG files; use a name ending in .png.");
        }
    }

    public static void Write(string path, TrainingSummary summary, int width = 1200, int height = 700)
    {
        CheckPath(path);
        // Points from a file are drawn only where finite (a run stopped before its first step has no training loss).
        var points = summary.History.Where(p => double.IsFinite(p.ValLoss) && double.IsFinite(p.LearningRate)).ToArray();
        if (points.Length == 0)
        {
            throw new TextGenException($"this model has no training curve to plot (it was trained by an older TextGen or stopped before its first evaluation).");
        }
        var plot = new Plot();
        var steps = points.Select(p => (double)p.Step).ToArray();
        var trained = points.Where(p => double.IsFinite(p.TrainLoss)).ToArray();
        var train = plot.Add.Scatter(trained.Select(p => (double)p.Step).ToArray(), trained.Select(p => p.TrainLoss).ToArray());
        train.LegendText = "training loss";
        var validation = plot.Add.Scatter(steps, points.Select(p => p.ValLoss).ToArray());
        validation.LegendText = $"validation loss (best {points.Min(p => p.ValLoss):F4})";
        var rate = plot.Add.Scatter(steps, points.Select(p => p.LearningRate).ToArray());
        rate.LegendText = "learning rate";
        rate.LinePattern = LinePattern.Dotted;
        rate.Axes.YAxis = plot.Axes.Right;
        foreach (var series in new[] { train, validation, rate }) series.MarkerSize = points.Length > 60 ? 0 : 4;
        plot.Title($"{summary.Corpus}: {summary.Steps:N0} steps in {ModelSummary.Duration(summary.Seconds)}");
        plot.XLabel("step");
        plot.YLabel("loss (nats per token)");
        plot.Axes.Right.Label.Text = "learning rate";
        plot.ShowLegend(Alignment.UpperRight);
        using var image = plot.GetImage(width, height);
        var png = image.GetImageBytes(ImageFormat.Png);
        AtomicFile.Write(path, stream => stream.Write(png));
    }
}
