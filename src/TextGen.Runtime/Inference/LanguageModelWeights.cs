using TextGen.Modeling;
using TextGen.Persistence;

namespace TextGen.Inference;

/// <summary>One recurrent layer's weights in PyTorch's layout and gate order: (gates x hidden, input) and (gates x hidden, hidden).</summary>
public sealed record RecurrentLayerWeights(float[] InputWeight, float[] HiddenWeight, float[] InputBias, float[] HiddenBias);

/// <summary>
/// One dense layer: (width, input) weights and bias, and its batch normalisation's scale, shift, running mean and
/// running variance (null without batch normalisation).
/// </summary>
public sealed record DenseLayerWeights(float[] Weight, float[] Bias, float[]? Scale = null, float[]? Shift = null, float[]? Mean = null, float[]? Variance = null)
{
    /// <summary>Batch normalisation's epsilon (PyTorch's default, which training uses).</summary>
    public const float Epsilon = 1e-5f;

    /// <summary>
    /// The layer with its batch normalisation folded in, as inference applies it: W' = s·W and b' = s·(b − mean) + shift
    /// row by row, with s = scale / √(variance + ε).
    /// </summary>
    public (float[] Weight, float[] Bias) Folded()
    {
        if (Scale is null) return (Weight, Bias);
        var rows = Bias.Length;
        var columns = Weight.Length / rows;
        var weight = new float[Weight.Length];
        var bias = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            var s = Scale[r] / MathF.Sqrt(Variance![r] + Epsilon);
            for (var c = 0; c < columns; c++) weight[r * columns + c] = s * Weight[r * columns + c];
            bias[r] = s * (Bias[r] - Mean![r]) + Shift![r];
        }
        return (weight, bias);
    }
}

/// <summary>
/// A language model's weights as plain arrays, checked against its architecture: the embedding (null for one-hot
/// input), the recurrent layers, the dense layers and the head. The names are those of the training library's
/// <c>LanguageNetwork</c> module (<c>embedding</c>, <c>recurrent.lstm</c>/<c>gru</c>/<c>rnn</c>, <c>dense.linear.i</c>,
/// <c>dense.norm.i</c>, <c>head</c>); a test there keeps them in step.
/// </summary>
public sealed record LanguageModelWeights(
    RecurrentNetConfig Config, float[]? Embedding, RecurrentLayerWeights[] Layers, float[] HeadWeight, float[] HeadBias)
{
    public DenseLayerWeights[] Dense { get; init; } = [];

    public static LanguageModelWeights From(IReadOnlyDictionary<string, FloatTensor> tensors, RecurrentNetConfig config, string path)
    {
        var expected = ExpectedShapes(config);
        var unexpected = tensors.Keys.Where(k => !expected.ContainsKey(k)).ToArray();
        if (unexpected.Length > 0)
        {
            throw new TextGenException($"{path}: its weights hold '{unexpected[0]}', which a {config.Cell.ToString().ToLowerInvariant()} model does not have; the file is corrupt or was edited.");
        }
        float[] Take(string name)
        {
            if (!tensors.TryGetValue(name, out var tensor))
            {
                throw new TextGenException($"{path}: its weights lack '{name}'; the file is corrupt or was edited.");
            }
            if (!tensor.Shape.SequenceEqual(expected[name]))
            {
                throw new TextGenException($"{path}: its weight '{name}' is [{string.Join(", ", tensor.Shape)}] " +
                                           $"where the header's architecture needs [{string.Join(", ", expected[name])}]; the file is corrupt or was edited.");
            }
            return tensor.Values;
        }
        var cell = CellName(config.Cell);
        var layers = Enumerable.Range(0, config.Layers).Select(l => new RecurrentLayerWeights(
            Take($"recurrent.{cell}.weight_ih_l{l}"), Take($"recurrent.{cell}.weight_hh_l{l}"),
            Take($"recurrent.{cell}.bias_ih_l{l}"), Take($"recurrent.{cell}.bias_hh_l{l}"))).ToArray();
        var dense = Enumerable.Range(0, config.Dense.Length).Select(i => config.BatchNorm
            ? new DenseLayerWeights(Take($"dense.linear.{i}.weight"), Take($"dense.linear.{i}.bias"), Take($"dense.norm.{i}.weight"), Take($"dense.norm.{i}.bias"),
                Take($"dense.norm.{i}.running_mean"), Take($"dense.norm.{i}.running_var"))
            : new DenseLayerWeights(Take($"dense.linear.{i}.weight"), Take($"dense.linear.{i}.bias"))).ToArray();
        if (config.BatchNorm)
        {
            for (var i = 0; i < dense.Length; i++) Take($"dense.norm.{i}.num_batches_tracked"); // checked, not used
        }
        if (dense.Any(d => d.Variance is { } variance && variance.Any(v => !(v >= 0) || float.IsInfinity(v))))
        {
            throw new TextGenException($"{path}: a batch normalisation's running variance is negative or not a number; the file is corrupt or was edited.");
        }
        return new LanguageModelWeights(config, config.OneHot ? null : Take("embedding.weight"), layers, Take("head.weight"), Take("head.bias")) { Dense = dense };
    }

    /// <summary>The weights by state-dict name, as <see cref="From"/> reads them (the arrays are shared, not copied).</summary>
    public IReadOnlyDictionary<string, FloatTensor> ToStateDict()
    {
        var shapes = ExpectedShapes(Config);
        var cell = CellName(Config.Cell);
        var tensors = new Dictionary<string, FloatTensor>(StringComparer.Ordinal);
        void Add(string name, float[] values) => tensors[name] = new FloatTensor(shapes[name], values);
        if (Embedding is not null) Add("embedding.weight", Embedding);
        for (var l = 0; l < Layers.Length; l++)
        {
            Add($"recurrent.{cell}.weight_ih_l{l}", Layers[l].InputWeight);
            Add($"recurrent.{cell}.weight_hh_l{l}", Layers[l].HiddenWeight);
            Add($"recurrent.{cell}.bias_ih_l{l}", Layers[l].InputBias);
            Add($"recurrent.{cell}.bias_hh_l{l}", Layers[l].HiddenBias);
        }
        for (var i = 0; i < Dense.Length; i++)
        {
            Add($"dense.linear.{i}.weight", Dense[i].Weight);
            Add($"dense.linear.{i}.bias", Dense[i].Bias);
            if (Dense[i].Scale is null) continue;
            Add($"dense.norm.{i}.weight", Dense[i].Scale!);
            Add($"dense.norm.{i}.bias", Dense[i].Shift!);
            Add($"dense.norm.{i}.running_mean", Dense[i].Mean!);
            Add($"dense.norm.{i}.running_var", Dense[i].Variance!);
            Add($"dense.norm.{i}.num_batches_tracked", [0]);
        }
        Add("head.weight", HeadWeight);
        Add("head.bias", HeadBias);
        return tensors;
    }

    /// <summary>Every tensor a model of <paramref name="config"/> has, by state-dict name, with its shape.</summary>
    public static IReadOnlyDictionary<string, long[]> ExpectedShapes(RecurrentNetConfig config)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        long vocabulary = config.VocabularySize, hidden = config.Hidden, width = RecurrentNetConfig.Gates(config.Cell) * hidden;
        long input = config.OneHot ? vocabulary : config.Embedding;
        if (!config.OneHot) shapes["embedding.weight"] = [vocabulary, config.Embedding];
        var cell = CellName(config.Cell);
        for (var l = 0; l < config.Layers; l++)
        {
            shapes[$"recurrent.{cell}.weight_ih_l{l}"] = [width, l == 0 ? input : hidden];
            shapes[$"recurrent.{cell}.weight_hh_l{l}"] = [width, hidden];
            shapes[$"recurrent.{cell}.bias_ih_l{l}"] = [width];
            shapes[$"recurrent.{cell}.bias_hh_l{l}"] = [width];
        }
        long features = hidden;
        for (var i = 0; i < config.Dense.Length; i++)
        {
            long units = config.Dense[i];
            shapes[$"dense.linear.{i}.weight"] = [units, features];
            shapes[$"dense.linear.{i}.bias"] = [units];
            if (config.BatchNorm)
            {
                foreach (var part in new[] { "weight", "bias", "running_mean", "running_var" }) shapes[$"dense.norm.{i}.{part}"] = [units];
                shapes[$"dense.norm.{i}.num_batches_tracked"] = [];
            }
            features = units;
        }
        shapes["head.weight"] = [vocabulary, features];
        shapes["head.bias"] = [vocabulary];
        return shapes;
    }

    private static string CellName(CellType cell) => cell.ToString().ToLowerInvariant();
}
