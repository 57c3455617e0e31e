using TextGen.Inference;
using TextGen.Persistence;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextGen.Modeling;

/// <summary>
/// Next-token model: embedding (or one-hot input) → stacked recurrent layers → dropout → dense ReLU layers, if any
/// (<see cref="DenseLayers"/>) → linear head over the vocabulary.
/// Input is token ids (batch, time); output is logits (batch, time, vocabulary).
/// </summary>
public sealed class LanguageNetwork : nn.Module<Tensor, RecurrentState?, (Tensor Logits, RecurrentState State)>
{
    private readonly Embedding? embedding;
    private readonly RecurrentStack recurrent;
    private readonly CounterDropout dropout;
    private readonly DenseLayers? dense;
    private readonly Linear head;

    public LanguageNetwork(RecurrentNetConfig config) : base("LanguageNetwork")
    {
        config.Validate();
        Config = config;
        var inputSize = config.OneHot ? config.VocabularySize : config.Embedding;
        if (!config.OneHot)
        {
            embedding = nn.Embedding(config.VocabularySize, config.Embedding);
        }
        recurrent = new RecurrentStack(config.Cell, inputSize, config.Hidden, config.Layers, config.Dropout);
        dropout = new CounterDropout(config.Dropout);
        if (config.Dense.Length > 0) dense = new DenseLayers(config.Hidden, config.Dense, config.BatchNorm, config.Dropout);
        head = nn.Linear(config.HeadInput, config.VocabularySize);
        RegisterComponents();
    }

    public RecurrentNetConfig Config { get; }

    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>The learned embedding (vocabulary, width), or null when the input is one-hot.</summary>
    public Tensor? EmbeddingWeight => embedding?.weight;

    public RecurrentStack Recurrent => recurrent;

    /// <summary>The weights copied into arrays, as the runtime's <see cref="InferenceEngine"/> takes them.</summary>
    public LanguageModelWeights ToWeights() => LanguageModelWeights.From(ModuleWeights.ToStateDict(this), Config, "the model in memory");

    public (Tensor Weight, Tensor Bias) Head => (head.weight!, head.bias!);

    public override (Tensor Logits, RecurrentState State) forward(Tensor tokens, RecurrentState? state)
    {
        using var scope = NewDisposeScope();
        var input = embedding is not null
            ? embedding.call(tokens)
            : nn.functional.one_hot(tokens, Config.VocabularySize).to(head.weight!.dtype);
        var (output, next) = recurrent.call(input, state);
        var features = Config.Dropout > 0 ? dropout.call(output) : output;
        var logits = head.call(dense is null ? features : dense.call(features));
        return (logits.MoveToOuterDisposeScope(), next.MoveToOuterDisposeScope());
    }
}
