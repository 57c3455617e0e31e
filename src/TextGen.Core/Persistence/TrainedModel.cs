using TextGen.Modeling;
using TextGen.Runtime;
using TextGen.Tokenization;

namespace TextGen.Persistence;

/// <summary>A language model with its tokenizer and metadata: everything a <c>.tgm</c> file holds.</summary>
public sealed class TrainedModel : IDisposable
{
    private const string WeightsSection = "weights";

    public TrainedModel(LanguageModel network, ITokenizer tokenizer, ModelMetadata metadata)
    {
        Network = network;
        Tokenizer = tokenizer;
        Metadata = metadata;
    }

    public LanguageModel Network { get; }
    public ITokenizer Tokenizer { get; }
    public ModelMetadata Metadata { get; }

    /// <summary>The same network and tokenizer with a new training summary (shares the weights; dispose only one).</summary>
    public TrainedModel WithTraining(TrainingSummary summary) => new(Network, Tokenizer, Metadata with { Training = summary });

    public void Save(string path) =>
        ModelFile.Write(path, Metadata, new Dictionary<string, byte[]> { [WeightsSection] = ModuleWeights.ToBytes(Network) });

    public static TrainedModel Load(string path)
    {
        var (metadata, sections) = ModelFile.Read<ModelMetadata>(path, ModelFile.TextKind);
        if (metadata.Tokenizer is null || metadata.Network is null || !sections.TryGetValue(WeightsSection, out var weights))
        {
            throw new TextGenException($"{path} lacks its tokenizer, architecture or weights; the file is corrupt.");
        }
        var tokenizer = TokenizerFactory.FromDescription(metadata.Tokenizer);
        CheckArchitecture(metadata.Network, tokenizer, weights.Length, path);
        TorchRuntime.EnsureLoaded();
        var network = new LanguageModel(metadata.Network);
        ModuleWeights.Load(network, weights, path);
        network.eval();
        return new TrainedModel(network, tokenizer, metadata);
    }

    /// <summary>
    /// The header's architecture must be in range, agree with the tokenizer, and fit the weights the file holds, before
    /// it sizes any allocation: a crafted header with a recomputed checksum must not make libtorch allocate gigabytes.
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

    public void Dispose() => Network.Dispose();
}
