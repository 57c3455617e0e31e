using TextGen.Modeling;
using TextGen.Persistence;

namespace TextGen.Training;

/// <summary>What <c>--resume</c> reads back: the counters, the live weights, the optimizer's moments and the weight average.</summary>
public sealed record SavedTraining(Checkpoint State, byte[] Weights, byte[] Optimizer, byte[]? Average);

/// <summary>
/// The latest training state (weights, their average, optimizer moments, counters), written beside the model as
/// <c>MODEL.tgm.ckpt</c> at every evaluation and when training stops, so <c>--resume</c> can continue.
/// </summary>
public sealed record Checkpoint
{
    private const string WeightsSection = "weights";
    private const string OptimizerSection = "optimizer";
    private const string AverageSection = "average";

    public required ModelMetadata Model { get; init; }
    public long Step { get; init; }
    public double ElapsedSeconds { get; init; }
    public double BestValLoss { get; init; } = double.PositiveInfinity;
    public double TrainLoss { get; init; }
    /// <summary>The loss curve so far, which a resumed run continues.</summary>
    public IReadOnlyList<TrainingPoint> History { get; init => field = TrainingPoint.Clean(value); } = [];

    public static string PathFor(string modelPath) => modelPath + ".ckpt";

    public void Save(string path, LanguageNetwork network, TorchSharp.Modules.Adam optimizer, WeightAverage average)
    {
        ModelFile.Write(path, this, TrainingHeaderJson.Default.Checkpoint, new Dictionary<string, byte[]>
        {
            [WeightsSection] = ModuleWeights.ToBytes(network),
            [OptimizerSection] = OptimizerBytes(optimizer),
            [AverageSection] = average.ToBytes(network),
        });
    }

    public static SavedTraining Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new SettingException("resume", $"found no checkpoint at {path}; train once without resuming first, with the same output path.");
        }
        var (state, sections) = ModelFile.Read(path, ModelFile.TextKind, TrainingHeaderJson.Default.Checkpoint);
        if (state.Model is null || !sections.TryGetValue(WeightsSection, out var weights) || !sections.TryGetValue(OptimizerSection, out var optimizer))
        {
            throw new SettingException("resume", $"cannot use {path}: it lacks weights or optimizer state (corrupt); train anew without resuming.");
        }
        return new SavedTraining(state, weights, optimizer, sections.GetValueOrDefault(AverageSection));
    }

    /// <summary>The optimizer's moments and step counts, as <see cref="RestoreOptimizer"/> reads them.</summary>
    public static byte[] OptimizerBytes(TorchSharp.Modules.Adam optimizer)
    {
        using var state = new MemoryStream();
        using (var writer = new BinaryWriter(state, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            optimizer.save_state_dict(writer);
        }
        return state.ToArray();
    }

    public static void RestoreOptimizer(TorchSharp.Modules.Adam optimizer, byte[] bytes, string path)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes));
            optimizer.load_state_dict(reader);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or IOException)
        {
            throw new SettingException("resume", $"cannot use {path}: its optimizer state does not fit the model ({e.Message.Split((char)10, 2)[0].Trim()}); train anew without resuming.");
        }
    }
}
