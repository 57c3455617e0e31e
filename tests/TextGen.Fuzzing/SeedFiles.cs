using System.Security.Cryptography;
using System.Text;
using TextGen.Inference;
using TextGen.Modeling;
using TextGen.Persistence;
using TextGen.Tokenization;

namespace TextGen.Fuzzing;

/// <summary>Small valid model files and weights sections, made without libtorch, for seeds.</summary>
internal static class SeedFiles
{
    /// <summary>A text model of <paramref name="tokenizer"/> with seeded random weights, as the bytes of its .tgm file.</summary>
    public static byte[] TextModel(ITokenizer tokenizer, CellType cell, int layers, int hidden, bool oneHot)
    {
        var config = new RecurrentNetConfig
        {
            Cell = cell,
            Layers = layers,
            Hidden = hidden,
            Embedding = 3,
            OneHot = oneHot,
            Dropout = 0,
            VocabularySize = tokenizer.VocabularySize,
        };
        var random = new Random(layers * 31 + hidden);
        var tensors = LanguageModelWeights.ExpectedShapes(config).ToDictionary(
            entry => entry.Key,
            entry => new FloatTensor(entry.Value, [.. Enumerable.Range(0, (int)entry.Value.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)(random.NextDouble() - 0.5))]));
        var metadata = new ModelMetadata
        {
            Tokenizer = tokenizer.Describe(),
            Network = config,
            TokenCounts = [.. Enumerable.Repeat(1L, tokenizer.VocabularySize)],
            // What `textgen info` shows, so that fuzzing starts from every field a header holds.
            Training = layers == 1 ? null : new TrainingSummary
            {
                Corpus = "seed.txt",
                Steps = 12,
                Epochs = 1.5,
                TrainLoss = 2.25,
                ValLoss = 2.5,
                TokensPerSecond = 1e4,
                Seconds = 61,
                BatchSize = 4,
                SequenceLength = 8,
                LearningRate = 2e-3,
                Seed = 7,
                History = [new TrainingPoint(6, 30, 2.5, 2.75, 2e-3), new TrainingPoint(12, 61, 2.25, 2.5, 1e-3)],
            },
        };
        var path = Scratch.Path("seed.tgm");
        ModelFile.Write(path, metadata, HeaderJson.Default.ModelMetadata, new Dictionary<string, byte[]> { [Persistence.TextModel.WeightsSection] = StateDict(tensors) });
        return File.ReadAllBytes(path);
    }

    /// <summary>A weights section in TorchSharp's state-dict format (<see cref="Persistence.StateDict"/> reads it).</summary>
    public static byte[] StateDict(IReadOnlyDictionary<string, FloatTensor> tensors)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write7BitEncodedInt64(tensors.Count);
            foreach (var (name, tensor) in tensors)
            {
                writer.Write(name);
                writer.Write7BitEncodedInt64(6); // float32
                writer.Write7BitEncodedInt64(tensor.Shape.Length);
                foreach (var dimension in tensor.Shape) writer.Write7BitEncodedInt64(dimension);
                foreach (var value in tensor.Values) writer.Write(value);
            }
        }
        return buffer.ToArray();
    }

    public static ITokenizer Words(string text) => WordTokenizer.Build(text, new VocabularyOptions { MinCount = 1, Lowercase = true });

    public static ITokenizer Bpe(string text) => ByteLevelBpeTokenizer.Train(text, 270);

    /// <summary>A model file's bytes without the SHA-256 at its end: the part a fuzzer edits (targets append it again).</summary>
    public static byte[] WithoutChecksum(byte[] file) => file[..^32];

    public static byte[] WithChecksum(byte[] content) => [.. content, .. SHA256.HashData(content)];
}
