using TextGen.Modeling;
using TextGen.Persistence;
using TextGen.Runtime;
using static TorchSharp.torch;

namespace TextGen.Forecasting;

/// <summary>What a forecasting model file says about itself besides the weights.</summary>
public sealed record ForecastMetadata
{
    public string Kind { get; init; } = ForecastModel.Kind;
    public required string Source { get; init; }
    public required string Column { get; init; }
    public required string DateColumn { get; init; }
    public required SeriesSettings Settings { get; init; }
    public required StandardScaler Scaler { get; init; }
    public required ForecastNetConfig Network { get; init; }
    public IReadOnlyList<EpochRecord> History { get; init; } = [];
    public int BestEpoch { get; init; }
    /// <summary>The last prices and dates of the series, enough to forecast past its end without the CSV.</summary>
    public IReadOnlyList<double> TailPrices { get; init; } = [];
    public IReadOnlyList<DateTime> TailDates { get; init; } = [];
    public long Seed { get; init; }
    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>A trained forecaster: network, the transforms it was trained with, and its history.</summary>
public sealed class ForecastModel : IDisposable
{
    public const string Kind = "forecast";
    private const string WeightsSection = "weights";

    public ForecastModel(ForecastNetwork network, ForecastMetadata metadata)
    {
        Network = network;
        Metadata = metadata;
    }

    public ForecastNetwork Network { get; }
    public ForecastMetadata Metadata { get; }

    public void Save(string path) =>
        ModelFile.Write(path, Metadata, new Dictionary<string, byte[]> { [WeightsSection] = ModuleWeights.ToBytes(Network) });

    public static ForecastModel Load(string path)
    {
        var (metadata, sections) = ModelFile.Read<ForecastMetadata>(path, Kind);
        if (!sections.TryGetValue(WeightsSection, out var weights))
        {
            throw new TextGenException($"{path} lacks its weights; the file is corrupt.");
        }
        TorchRuntime.EnsureLoaded();
        var network = new ForecastNetwork(metadata.Network);
        ModuleWeights.Load(network, weights, path);
        network.eval();
        return new ForecastModel(network, metadata);
    }

    /// <summary>Network outputs (scaled, differenced values) for row-major windows (count, window).</summary>
    public float[] Predict(float[] windows, int count)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var window = Metadata.Settings.Window;
        var input = tensor(windows, new long[] { count, window, 1 });
        return Network.call(input).data<float>().ToArray();
    }

    public void Dispose() => Network.Dispose();
}
