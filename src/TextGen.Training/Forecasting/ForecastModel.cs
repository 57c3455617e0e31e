using TextGen.Modeling;
using TextGen.Native;
using TextGen.Persistence;
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
    internal const string WeightsSection = "weights";

    public ForecastModel(ForecastNetwork network, ForecastMetadata metadata)
    {
        Network = network;
        Metadata = metadata;
    }

    public ForecastNetwork Network { get; }
    public ForecastMetadata Metadata { get; }

    public void Save(string path) =>
        ModelFile.Write(path, Metadata, TrainingHeaderJson.Default.ForecastMetadata, new Dictionary<string, byte[]> { [WeightsSection] = ModuleWeights.ToBytes(Network) });

    public static ForecastModel Load(string path)
    {
        var (metadata, weights) = ReadChecked(path);
        TorchRuntime.EnsureLoaded();
        var network = new ForecastNetwork(metadata.Network);
        ModuleWeights.Load(network, weights, path);
        network.eval();
        return new ForecastModel(network, metadata);
    }

    /// <summary>The header, checked, and the weights section, still bytes: everything of a load that needs no libtorch.</summary>
    internal static (ForecastMetadata Metadata, byte[] Weights) ReadChecked(string path)
    {
        var (metadata, sections) = ModelFile.Read(path, Kind, TrainingHeaderJson.Default.ForecastMetadata);
        if (!sections.TryGetValue(WeightsSection, out var weights))
        {
            throw new TextGenException($"{path} lacks its weights; the file is corrupt.");
        }
        CheckHeader(metadata, weights.Length, path);
        return (metadata, weights);
    }

    /// <summary>
    /// Every field the header sizes something with is checked first, as for text models (TrainableModel): a crafted
    /// header with a recomputed checksum must not make libtorch allocate gigabytes or the loader throw.
    /// </summary>
    private static void CheckHeader(ForecastMetadata metadata, long weightBytes, string path)
    {
        string Corrupt(string what) => $"{path}: {what}; the file is corrupt or was edited.";
        if (metadata.Network is not { } network || metadata.Settings is not { } settings || metadata.Scaler is null
            || metadata.TailPrices is null || metadata.TailDates is null || network.Dense is null)
        {
            throw new TextGenException(Corrupt("its header lacks the network, the series settings, the scaler or the tail of the series"));
        }
        try
        {
            network.Validate();
            settings.Validate();
        }
        catch (SettingException e)
        {
            throw new TextGenException(Corrupt($"its header's {e.Setting} {e.Problem.TrimEnd('.')}"), e);
        }
        if (!Enum.IsDefined(network.Cell) || !Enum.IsDefined(settings.Diff) || network.Dense.Length > 16
            || !double.IsFinite(metadata.Scaler.Mean) || !double.IsFinite(metadata.Scaler.Std) || metadata.Scaler.Std == 0)
        {
            throw new TextGenException(Corrupt("its header has an unknown cell or differencing mode, too many dense layers, or an unusable scaler"));
        }
        if (metadata.TailPrices.Count < settings.Window + Differencing.Lag(settings.Diff) || metadata.TailPrices.Count != metadata.TailDates.Count
            || metadata.TailPrices.Any(p => !double.IsFinite(p)))
        {
            throw new TextGenException(Corrupt("the tail of the series it keeps is shorter than its window or not finite"));
        }
        if (sizeof(float) * ParameterCount(network) > weightBytes)
        {
            throw new TextGenException(Corrupt($"its header describes {ParameterCount(network):N0} weights but the file holds {weightBytes:N0} bytes of them"));
        }
    }

    /// <summary>Parameters of a <see cref="ForecastNetwork"/>: the recurrent layers over one input value, the dense layers, the output.</summary>
    internal static long ParameterCount(ForecastNetConfig network)
    {
        var recurrent = new RecurrentNetConfig { Cell = network.Cell, Layers = network.Layers, Hidden = network.Hidden, OneHot = true, VocabularySize = 1 }
            .RecurrentParameterCount();
        long total = recurrent, width = network.Hidden;
        foreach (var dense in network.Dense.Append(network.Horizon))
        {
            total += width * dense + dense;
            width = dense;
        }
        return total;
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
