using TextGen.Inference;
using TextGen.Modeling;
using TextGen.Persistence;
using TextGen.Tokenization;

namespace TextGen.Tests;

/// <summary>
/// A character bigram model of a text, written as a one-layer one-hot Elman network, so the runtime's tests get a model
/// that predicts like a trained one without TorchSharp: the input weights (a large diagonal) saturate the hidden unit of
/// the current character at 1 and leave the others at 0, and the head's column for that character holds the log of
/// how often each character follows it (add-one smoothed). A text with a fixed successor for each character (such as
/// <see cref="Corpora.Periodic"/>) is continued exactly at temperature 0 and almost surely at temperature 1.
/// </summary>
public static class BigramModel
{
    private const float Saturation = 20; // tanh(20) is 1 in float32

    public static TextModel FromText(string text)
    {
        var tokenizer = CharTokenizer.Build(text);
        var ids = tokenizer.Encode(text).Ids;
        var vocabulary = tokenizer.VocabularySize;
        var follows = new double[vocabulary, vocabulary];
        for (var i = 1; i < ids.Length; i++) follows[ids[i - 1], ids[i]]++;

        var head = new float[vocabulary * vocabulary]; // (next, current)
        for (var current = 0; current < vocabulary; current++)
        {
            var total = vocabulary * 1e-6;
            for (var next = 0; next < vocabulary; next++) total += follows[current, next];
            for (var next = 0; next < vocabulary; next++) head[next * vocabulary + current] = (float)Math.Log((follows[current, next] + 1e-6) / total);
        }
        var input = new float[vocabulary * vocabulary];
        for (var i = 0; i < vocabulary; i++) input[i * vocabulary + i] = Saturation;

        var config = new RecurrentNetConfig { Cell = CellType.Rnn, Layers = 1, Hidden = vocabulary, OneHot = true, Dropout = 0, VocabularySize = vocabulary };
        var layer = new RecurrentLayerWeights(input, new float[vocabulary * vocabulary], new float[vocabulary], new float[vocabulary]);
        var weights = new LanguageModelWeights(config, null, [layer], head, new float[vocabulary]);
        var metadata = new ModelMetadata
        {
            Tokenizer = tokenizer.Describe(),
            Network = config,
            Training = new TrainingSummary
            {
                Corpus = "bigram counts",
                History = [new TrainingPoint(0, 0, Math.Log(vocabulary), Math.Log(vocabulary), 0), new TrainingPoint(1, 0, 1.5, 1.6, 0)],
            },
        };
        return new TextModel(tokenizer, metadata, weights);
    }

    /// <summary>The bigram model of <paramref name="text"/> saved at <paramref name="path"/>.</summary>
    public static string Write(string path, string text)
    {
        FromText(text).Save(path);
        return path;
    }
}

/// <summary>The bigram model of a prose corpus, shared by the tests of a class (written once, deleted afterwards).</summary>
public sealed class ProseModel : IDisposable
{
    private readonly TempDirectory _dir = new();

    public ProseModel()
    {
        Path = BigramModel.Write(_dir.File("prose.tgm"), Corpora.Prose(8));
        Generator = TextGen.Generation.TextGenerator.Load(Path);
    }

    public string Path { get; }
    public TextGen.Generation.TextGenerator Generator { get; }

    public void Dispose() => _dir.Dispose();
}
