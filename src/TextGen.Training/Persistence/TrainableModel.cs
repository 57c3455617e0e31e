using TextGen.Modeling;
using TextGen.Native;
using TextGen.Tokenization;

namespace TextGen.Persistence;

/// <summary>A language network as a TorchSharp module (fresh or trained), with its tokenizer and metadata: what training and evaluation use.</summary>
public sealed class TrainableModel : IDisposable
{
    public TrainableModel(LanguageNetwork network, ITokenizer tokenizer, ModelMetadata metadata)
    {
        Network = network;
        Tokenizer = tokenizer;
        Metadata = metadata;
    }

    public LanguageNetwork Network { get; }
    public ITokenizer Tokenizer { get; }
    public ModelMetadata Metadata { get; }

    /// <summary>The same network and tokenizer with a new training summary (shares the weights; dispose only one).</summary>
    public TrainableModel WithTraining(TrainingSummary summary) => new(Network, Tokenizer, Metadata with { Training = summary });

    public void Save(string path) => Save(path, Metadata.Training, ModuleWeights.ToBytes(Network));

    /// <summary>Saves <paramref name="weights"/> (this network's, serialised earlier) with <paramref name="training"/> as the run's summary.</summary>
    public void Save(string path, TrainingSummary? training, byte[] weights) => TextModel.Write(path, Metadata with { Training = training }, weights);

    /// <summary>Reads the file the way generation does (no libtorch involved in parsing), then builds the module from it.</summary>
    public static TrainableModel Load(string path) => FromTextModel(TextModel.Load(path));

    public static TrainableModel FromTextModel(TextModel model)
    {
        TorchRuntime.EnsureLoaded();
        var network = new LanguageNetwork(model.Metadata.Network);
        ModuleWeights.Copy(network, model.Weights.ToStateDict(), "the model in memory");
        network.eval();
        return new TrainableModel(network, model.Tokenizer, model.Metadata);
    }

    /// <summary>This model as generation sees it: the weights copied out of the module into arrays.</summary>
    public TextModel ForGeneration() =>
        new(Tokenizer, Metadata, Network.ToWeights());

    public void Dispose() => Network.Dispose();
}
