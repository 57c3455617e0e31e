using TextGen.Forecasting;

namespace TextGen.Fuzzing;

/// <summary>
/// A forecasting model file's header (its checksum always right, so every edit reaches the checks), then what
/// `forecast predict` computes from it: the kept tail of the series continued with a stand-in network.
/// </summary>
internal sealed class ForecastModelTarget : FuzzTarget
{
    public override string Name => "forecast-model";

    public override string Description => ".tgm forecasting model file (settings, scaler, tail of the series), then forecasts past its end";

    public override bool Run(byte[] input) => Refusable(() =>
    {
        var (meta, _) = ForecastModel.ReadChecked(Scratch.Write("forecast.tgm", SeedFiles.WithChecksum(input)));
        Forecaster.Continue(meta, new PriceCsvTarget.ExtremeNetwork(meta.Settings.Horizon).Predict, 64);
    });

    public override IEnumerable<(string, byte[])> Seeds()
    {
        foreach (var (name, csv) in new PriceCsvTarget().Seeds().Take(2))
        {
            var path = Scratch.Write("seed.csv", csv);
            var series = PriceCsv.Load(path);
            var settings = new SeriesSettings { Diff = name.StartsWith("monthly") ? DiffMode.Log : DiffMode.Abs, Window = 3 };
            var data = PreparedSeries.Prepare(series, settings, path);
            var (prices, dates) = ForecastTrainer.Tail(data);
            var network = new Modeling.ForecastNetConfig { Hidden = 2 };
            var model = Scratch.Path("seed.tgm");
            Persistence.ModelFile.Write(model, new ForecastMetadata
            {
                Source = "seed.csv",
                Column = series.Column,
                DateColumn = series.DateColumn,
                Settings = settings,
                Scaler = data.Scaler,
                Network = network,
                TailPrices = prices,
                TailDates = dates,
            }, Persistence.TrainingHeaderJson.Default.ForecastMetadata, new Dictionary<string, byte[]> { [ForecastModel.WeightsSection] = new byte[4 * ForecastModel.ParameterCount(network)] });
            yield return (name, SeedFiles.WithoutChecksum(File.ReadAllBytes(model)));
        }
    }
}
