using TextGen.Persistence;
using TextGen.Settings;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextGen.Modeling;

/// <summary>The architecture of a forecasting network; stored in the model file.</summary>
public sealed record ForecastNetConfig
{
    [Option("cell", "Recurrent cell: rnn, lstm or gru.")]
    public CellType Cell { get; init; } = CellType.Lstm;

    /// <summary>A price series is short: the default network is small.</summary>
    [Option("layers", "Stacked recurrent layers.", Min = 1, Max = NetworkSettings.MaxLayers)]
    public int Layers { get; init; } = 1;

    [Option("hidden", "Units per recurrent layer.", Min = 1, Max = NetworkSettings.MaxWidth)]
    public int Hidden { get; init; } = 32;

    [Option("dropout", "Dropout between recurrent layers and before the head.", Min = 0, Max = NetworkSettings.MaxDropout)]
    public double Dropout { get; init; } = 0;

    /// <summary>Widths of extra dense ReLU layers between the recurrent stack and the output.</summary>
    [Option("dense", "Extra dense ReLU layers, e.g. 32,16; dropout applies between them.", Min = 1, Max = NetworkSettings.MaxWidth)]
    public int[] Dense { get; init; } = [];

    /// <summary>Batch normalisation in each dense layer, before its ReLU (<see cref="DenseLayers"/>).</summary>
    [Option("batch-norm", "Batch normalisation in each --dense layer (running statistics saved in the model).")]
    public bool BatchNorm { get; init; }

    /// <summary>Values predicted at once (direct multi-step): the series settings' horizon, not a flag of its own.</summary>
    public int Horizon { get; init; } = 1;

    public void Validate()
    {
        Declared<ForecastNetConfig>.Validate(this);
        if (Horizon < 1) throw new SettingException("horizon", $"{Horizon} is out of range; use 1 or more.");
        NetworkSettings.CheckDense(Dense, BatchNorm, exampleWidth: 32);
        var bytes = sizeof(float) * ParameterCount();
        if (bytes > ModelFile.MaxBytes)
        {
            throw new SettingException("hidden", $"{Hidden} with {Layers} layers makes {ParameterCount() / 1e6:N0} million weights ({bytes / 1e9:F1} GB), " +
                                                 $"more than the {ModelFile.MaxBytes / 1e9:F1} GB a model file holds; use a smaller --hidden or fewer layers.");
        }
    }

    /// <summary>Weights and biases of the recurrent stack, the dense layers and the output.</summary>
    public long ParameterCount()
    {
        var core = new RecurrentNetConfig { Cell = Cell, Layers = Layers, Hidden = Hidden, OneHot = true, VocabularySize = 1, Dense = Dense, BatchNorm = BatchNorm };
        var total = core.RecurrentParameterCount() + core.DenseParameterCount();
        total += (core.HeadInput + 1L) * Horizon;
        return total;
    }
}

/// <summary>
/// Windows of one value per step (batch, window, 1) → the shared recurrent stack → its last output → dense ReLU layers
/// (<see cref="DenseLayers"/>), or dropout → <see cref="ForecastNetConfig.Horizon"/> values.
/// </summary>
public sealed class ForecastNetwork : nn.Module<Tensor, Tensor>
{
    private readonly RecurrentStack recurrent;
    private readonly DenseLayers? dense;
    private readonly CounterDropout dropout;
    private readonly Linear output;

    public ForecastNetwork(ForecastNetConfig config) : base("ForecastNetwork")
    {
        config.Validate();
        Config = config;
        recurrent = new RecurrentStack(config.Cell, inputSize: 1, config.Hidden, config.Layers, config.Dropout);
        if (config.Dense.Length > 0) dense = new DenseLayers(config.Hidden, config.Dense, config.BatchNorm, config.Dropout);
        dropout = new CounterDropout(config.Dropout);
        output = nn.Linear(config.Dense.Length > 0 ? config.Dense[^1] : config.Hidden, config.Horizon);
        RegisterComponents();
    }

    public ForecastNetConfig Config { get; }

    public override Tensor forward(Tensor windows)
    {
        using var scope = NewDisposeScope();
        var (sequence, state) = recurrent.call(windows, null);
        var features = sequence[.., -1, ..];
        features = dense is not null ? dense.call(features) : Config.Dropout > 0 ? dropout.call(features) : features;
        return output.call(features).MoveToOuterDisposeScope();
    }
}
