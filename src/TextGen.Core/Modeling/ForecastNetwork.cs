using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextGen.Modeling;

/// <summary>The architecture of a forecasting network; stored in the model file.</summary>
public sealed record ForecastNetConfig
{
    public CellType Cell { get; init; } = CellType.Lstm;
    public int Layers { get; init; } = 1;
    public int Hidden { get; init; } = 32;
    public double Dropout { get; init; }
    /// <summary>Widths of extra dense ReLU layers between the recurrent stack and the output.</summary>
    public int[] Dense { get; init; } = [];
    /// <summary>Values predicted at once (direct multi-step).</summary>
    public int Horizon { get; init; } = 1;

    public void Validate()
    {
        if (Layers is < 1 or > 16) throw new TextGenException($"--layers {Layers} is out of range; use 1 to 16.");
        if (Hidden is < 1 or > 8192) throw new TextGenException($"--hidden {Hidden} is out of range; use 1 to 8192.");
        if (Dropout is < 0 or >= 1) throw new TextGenException($"--dropout {Dropout} is out of range; use 0 up to (not including) 1.");
        if (Dense.Any(d => d is < 1 or > 8192)) throw new TextGenException($"--dense {string.Join(',', Dense)}: each width must be 1 to 8192.");
        if (Horizon is < 1 or > 1000) throw new TextGenException($"--horizon {Horizon} is out of range; use 1 to 1000.");
    }
}

/// <summary>
/// Windows of one value per step (batch, window, 1) → the shared recurrent stack → its last output → dense ReLU layers
/// → <see cref="ForecastNetConfig.Horizon"/> values.
/// </summary>
public sealed class ForecastNetwork : nn.Module<Tensor, Tensor>
{
    private readonly RecurrentStack recurrent;
    private readonly ModuleList<Linear> dense;
    private readonly Dropout dropout;
    private readonly Linear output;

    public ForecastNetwork(ForecastNetConfig config) : base("ForecastNetwork")
    {
        config.Validate();
        Config = config;
        recurrent = new RecurrentStack(config.Cell, inputSize: 1, config.Hidden, config.Layers, config.Dropout);
        dense = new ModuleList<Linear>();
        var width = config.Hidden;
        foreach (var next in config.Dense)
        {
            dense.Add(nn.Linear(width, next));
            width = next;
        }
        dropout = nn.Dropout(config.Dropout);
        output = nn.Linear(width, config.Horizon);
        RegisterComponents();
    }

    public ForecastNetConfig Config { get; }

    public override Tensor forward(Tensor windows)
    {
        using var scope = NewDisposeScope();
        var (sequence, state) = recurrent.call(windows, null);
        var features = sequence[.., -1, ..];
        foreach (var layer in dense)
        {
            features = nn.functional.relu(layer.call(features));
        }
        if (Config.Dropout > 0)
        {
            features = dropout.call(features);
        }
        return output.call(features).MoveToOuterDisposeScope();
    }
}
