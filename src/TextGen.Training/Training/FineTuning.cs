using TextGen.Modeling;
using TextGen.Persistence;
using TextGen.Settings;
using TextGen.Tokenization;

namespace TextGen.Training;

/// <summary>
/// Fine-tuning (<c>train CORPUS --from MODEL</c>): a new run that starts from a trained model's weights and tokenizer.
/// The model decides the architecture, the level and the documents; a setting the caller chose that contradicts it is
/// refused in one line. At character level the corpus's new characters are added to the vocabulary; at word and BPE
/// level the model's vocabulary is kept and unknown words are counted as usual.
/// </summary>
public static class FineTuning
{
    /// <summary>
    /// <paramref name="request"/> with the model's architecture, level and documents, and the model's level's batch shape
    /// and learning rate, for each setting the caller did not choose (<see cref="TrainRequest.Given"/>). The dropout is the
    /// model's unless chosen. The level's full rate, not a fraction of it: lower peaks lost in every measured fine-tuning
    /// run (docs/training.md, "Fine-tuning"); the warm-up still eases the first steps.
    /// </summary>
    public static TrainRequest Resolve(TrainRequest request, TextModel source, string path)
    {
        var model = source.Metadata.Network;
        var level = Enum.GetValues<TokenLevel>().Single(l => l.Name() == source.Tokenizer.Level);
        var documents = source.Metadata.Tokenizer.Documents ? DocumentSplit.Lines : DocumentSplit.None;
        var asked = request.Network;
        var given = request.Given;
        void Same<T>(string setting, T requested, T own)
        {
            if (given.Contains(setting) && !EqualityComparer<T>.Default.Equals(requested, own))
            {
                throw new SettingException(setting, $"{TrainingSession.Describe(requested)} differs from {Path.GetFileName(path)}'s {TrainingSession.Describe(own)}; " +
                                                    $"fine-tuning keeps the model's architecture, so drop --{setting} (or train from scratch without --from).");
            }
        }
        Same("cell", asked.Cell, model.Cell);
        Same("layers", asked.Layers, model.Layers);
        Same("hidden", asked.Hidden, model.Hidden);
        Same("one-hot", asked.OneHot, model.OneHot);
        if (!model.OneHot) Same("embedding", asked.Embedding, model.Embedding);
        Same("dense", TrainingSession.Describe(asked.Dense), TrainingSession.Describe(model.Dense));
        Same("batch-norm", asked.BatchNorm, model.BatchNorm);
        Same("level", request.Level, level);
        Same("documents", request.Documents, documents);
        if (Declared<VocabularyOptions>.Options.FirstOrDefault(o => given.Contains(o.Name)) is { } vocabulary)
        {
            throw new SettingException(vocabulary.Name, $"shapes a new vocabulary, and --from keeps {Path.GetFileName(path)}'s; drop --{vocabulary.Name}.");
        }
        var defaults = TrainingOptions.ForLevel(level);
        var training = request.Training with
        {
            BatchSize = given.Contains("batch-size") ? request.Training.BatchSize : defaults.BatchSize,
            SequenceLength = given.Contains("seq-length") ? request.Training.SequenceLength : defaults.SequenceLength,
            LearningRate = given.Contains("learning-rate") ? request.Training.LearningRate : defaults.LearningRate,
        };
        return request with
        {
            Network = model with { Dropout = given.Contains("dropout") ? asked.Dropout : model.Dropout },
            ChooseWidth = false,
            Level = level,
            Documents = documents,
            Training = training,
        };
    }

    /// <summary>What the new model's header records about its start.</summary>
    public static TunedFrom Origin(TextModel source, string path) =>
        new(Path.GetFileName(path), source.Metadata.Training?.Corpus, source.Metadata.Training?.ValLoss, source.Metadata.Created);

    /// <summary>
    /// The source model's weights for a network of <paramref name="target"/>'s shape over <paramref name="tokenizer"/>
    /// (the model's vocabulary, grown at character level). A token the model knows keeps its rows: its embedding
    /// (or one-hot input column), its output row and bias. A new token starts as the average known one, with the
    /// smallest known output bias, so that it begins as the rarest token and the model's predictions hardly move.
    /// </summary>
    public static IReadOnlyDictionary<string, FloatTensor> Weights(TextModel source, ITokenizer tokenizer, RecurrentNetConfig target)
    {
        var rows = RowSources(source.Tokenizer.Describe(), tokenizer.Describe(), tokenizer.VocabularySize);
        var oneHotInput = $"recurrent.{target.Cell.ToString().ToLowerInvariant()}.weight_ih_l0";
        return source.Weights.ToStateDict().ToDictionary(p => p.Key, p => p.Key switch
        {
            "embedding.weight" or "head.weight" => Rows(p.Value, rows, Mean),
            "head.bias" => Rows(p.Value, rows, column => column.Min()),
            _ when target.OneHot && p.Key == oneHotInput => Transpose(Rows(Transpose(p.Value), rows, Mean)),
            _ => p.Value,
        }, StringComparer.Ordinal);
    }

    /// <summary>For each id of the new vocabulary, the model's id of the same token, or -1 for a token it lacks.</summary>
    private static int[] RowSources(TokenizerDescription model, TokenizerDescription grown, int size)
    {
        var known = model.Symbols.Select((symbol, id) => (symbol, id)).ToDictionary(p => p.symbol, p => p.id, StringComparer.Ordinal);
        var sources = new int[size];
        for (var id = 0; id < grown.Symbols.Count; id++)
        {
            sources[id] = known.GetValueOrDefault(grown.Symbols[id], -1);
        }
        if (grown.Documents)
        {
            // The start and end markers follow the vocabulary in both (DocumentTokenizer).
            sources[grown.Symbols.Count] = model.Symbols.Count;
            sources[grown.Symbols.Count + 1] = model.Symbols.Count + 1;
        }
        return sources;
    }

    private static float Mean(IEnumerable<float> column) => (float)column.Average(v => (double)v);

    /// <summary>The rows of <paramref name="tensor"/> (a matrix or a vector) in the order of <paramref name="sources"/>; a new row is <paramref name="fill"/> of each column.</summary>
    private static FloatTensor Rows(FloatTensor tensor, int[] sources, Func<IEnumerable<float>, float> fill)
    {
        var count = tensor.Shape[0];
        var width = tensor.Shape.Length == 2 ? (int)tensor.Shape[1] : 1;
        var values = tensor.Values;
        var newRow = Enumerable.Range(0, width).Select(c => fill(Enumerable.Range(0, (int)count).Select(r => values[r * width + c]))).ToArray();
        var result = new float[sources.Length * width];
        for (var row = 0; row < sources.Length; row++)
        {
            if (sources[row] >= 0) Array.Copy(values, (long)sources[row] * width, result, (long)row * width, width);
            else newRow.CopyTo(result, row * width);
        }
        return new FloatTensor(tensor.Shape.Length == 2 ? [sources.Length, width] : [sources.Length], result);
    }

    private static FloatTensor Transpose(FloatTensor matrix)
    {
        int rows = (int)matrix.Shape[0], columns = (int)matrix.Shape[1];
        var result = new float[matrix.Values.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++) result[c * rows + r] = matrix.Values[r * columns + c];
        }
        return new FloatTensor([columns, rows], result);
    }
}
