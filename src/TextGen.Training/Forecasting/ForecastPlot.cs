using ScottPlot;
using TextGen.Persistence;

namespace TextGen.Forecasting;

/// <summary>
/// One PNG with two panels: actual vs forecast prices over the test part beside the naive baseline, and the
/// training / validation loss per epoch.
/// </summary>
public static class ForecastPlot
{
    public static void Write(string path, ForecastReport report, ForecastMetadata metadata, int width = 1200, int height = 900)
    {
        if (!path.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            throw new SettingException("plot", $"{path}: plots are PNG files; use a name ending in .png.");
        }
        var forecast = new Plot();
        var dates = report.Trace.Dates.Select(d => d.ToOADate()).ToArray();
        var actual = forecast.Add.Scatter(dates, report.Trace.Actual);
        actual.LegendText = "actual";
        actual.MarkerSize = 0;
        var naive = forecast.Add.Scatter(dates, report.Trace.Naive);
        naive.LegendText = $"naive (MAE {report.Naive.Mae:G4})";
        naive.MarkerSize = 0;
        naive.LinePattern = LinePattern.Dashed;
        var model = forecast.Add.Scatter(dates, report.Trace.Model);
        model.LegendText = $"model (MAE {report.Model.Mae:G4})";
        model.MarkerSize = 0;
        forecast.Axes.DateTimeTicksBottom();
        forecast.Title($"{metadata.Column}: one-step forecasts over the test part ({report.TestPoints} points)");
        forecast.YLabel(metadata.Column);
        forecast.ShowLegend(Alignment.UpperLeft);

        var losses = new Plot();
        var epochs = metadata.History.Select(h => (double)h.Epoch).ToArray();
        var train = losses.Add.Scatter(epochs, metadata.History.Select(h => h.TrainLoss).ToArray());
        train.LegendText = "training MSE";
        train.MarkerSize = 0;
        var validation = losses.Add.Scatter(epochs, metadata.History.Select(h => h.ValLoss).ToArray());
        validation.LegendText = "validation MSE";
        validation.MarkerSize = 0;
        if (metadata.BestEpoch > 0)
        {
            var best = losses.Add.VerticalLine(metadata.BestEpoch);
            best.LegendText = $"best epoch ({metadata.BestEpoch})";
            best.LinePattern = LinePattern.Dotted;
        }
        losses.Title("Loss per epoch (scaled values)");
        losses.XLabel("epoch");
        losses.ShowLegend(Alignment.UpperRight);

        var multiplot = new Multiplot(forecast);
        multiplot.AddPlot(losses);
        using var image = multiplot.Render(width, height);
        var png = image.GetImageBytes(ImageFormat.Png);
        AtomicFile.Write(path, stream => stream.Write(png));
    }
}
