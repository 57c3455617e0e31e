using TextGen.Inference;
using TextGen.Modeling;
using TextGen.Tokenization;

namespace TextGen.Persistence;

/// <summary>
/// A text model read from a <c>.tgm</c> file for generation: its tokenizer, metadata and weights as plain arrays.
/// Reading it needs no libtorch; the training library builds its TorchSharp module from the same weights.
/// </summary>
public sealed class TextModel
{
    public const string WeightsSection = "weights";

    public TextModel(ITokenizer tokenizer, ModelMetadata metadata, LanguageModelWeights weights)
    {
        Tokenizer = tokenizer;
        Metadata = metadata;
        Weights = weights;
    }

    public ITokenizer Tokenizer { get; }
    public ModelMetadata Metadata { get; }
    public LanguageModelWeights Weights { get; }

    public static TextModel Load(string path)
    {
        var (metadata, sections) = ModelFile.Read(path, ModelFile.TextKind, HeaderJson.Default.ModelMetadata);
        if (metadata.Tokenizer is null || metadata.Network is null || !sections.TryGetValue(WeightsSection, out var weights))
        {
            throw new TextGenException($"{path} lacks its tokenizer, architecture or weights; the file is corrupt.");
        }
        var tokenizer = TokenizerFactory.FromDescription(metadata.Tokenizer);
        CheckArchitecture(metadata.Network, tokenizer, weights.Length, path);
        return new TextModel(tokenizer, metadata, LanguageModelWeights.From(StateDict.Read(weights, path), metadata.Network, path));
    }

    /// <summary>Writes this model as a <c>.tgm</c> file that <see cref="Load"/> (and the training library) read back.</summary>
    public void Save(string path) => Write(path, Metadata, StateDict.Write(Weights.ToStateDict()));

    /// <summary>Writes a text model file from its header and its weights section (<see cref="StateDict"/>'s bytes).</summary>
    public static void Write(string path, ModelMetadata metadata, byte[] weights) =>
        ModelFile.Write(path, metadata, HeaderJson.Default.ModelMetadata, new Dictionary<string, byte[]> { [WeightsSection] = weights });

    /// <summary>
    /// The header's architecture must be in range, agree with the tokenizer, and fit the weights the file holds, before
    /// it sizes any allocation: a crafted header with a recomputed checksum must not make anything allocate gigabytes.
    /// </summary>
    internal static void CheckArchitecture(RecurrentNetConfig network, ITokenizer tokenizer, long weightBytes, string path)
    {
        try
        {
            network.ValidateRanges();
        }
        catch (SettingException e)
        {
            throw new TextGenException($"{path}: its header's {e.Setting} {e.Problem.TrimEnd('.')}; the file is corrupt or was edited.", e);
        }
        if (network.VocabularySize != tokenizer.VocabularySize)
        {
            throw new TextGenException($"{path}: its header's vocabulary size {network.VocabularySize} differs from its tokenizer's {tokenizer.VocabularySize}; the file is corrupt or was edited.");
        }
        if (sizeof(float) * network.ParameterCount() > weightBytes)
        {
            throw new TextGenException($"{path}: its header describes {network.ParameterCount():N0} weights but the file holds {weightBytes:N0} bytes of them; the file is corrupt or was edited.");
        }
    }
}
