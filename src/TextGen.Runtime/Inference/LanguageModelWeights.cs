using TextGen.Modeling;
using TextGen.Persistence;

namespace TextGen.Inference;

/// <summary>One recurrent layer's weights in PyTorch's layout and gate order: (gates x hidden, input) and (gates x hidden, hidden).</summary>
public sealed record RecurrentLayerWeights(float[] InputWeight, float[] HiddenWeight, float[] InputBias, float[] HiddenBias);

/// <summary>
/// A language model's weights as plain arrays, checked against its architecture: the embedding (null for one-hot
/// input), the recurrent layers and the head. The names are those of the training library's <c>LanguageNetwork</c>
/// module (<c>embedding</c>, <c>recurrent.lstm</c>/<c>gru</c>/<c>rnn</c>, <c>head</c>); a test there keeps them in step.
/// </summary>
public sealed record LanguageModelWeights(
    RecurrentNetConfig Config, float[]? Embedding, RecurrentLayerWeights[] Layers, float[] HeadWeight, float[] HeadBias)
{
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
        return new LanguageModelWeights(config, config.OneHot ? null : Take("embedding.weight"), layers, Take("head.weight"), Take("head.bias"));
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
        shapes["head.weight"] = [vocabulary, hidden];
        shapes["head.bias"] = [vocabulary];
        return shapes;
    }

    private static string CellName(CellType cell) => cell.ToString().ToLowerInvariant();
}
