namespace TextGen.Persistence;

/// <summary>
/// What a text model is and how it was trained, in one flat record: what `textgen info` prints (and as JSON) and what
/// the server's playground shows in its model panel.
/// </summary>
public sealed record ModelSummary(
    string? Path, long? FileBytes, DateTimeOffset Created,
    string Cell, int Layers, int Hidden, int? Embedding, double Dropout, long Parameters,
    string Level, int Vocabulary, bool Documents, bool FrozenEmbedding,
    long? CorpusTokens, TrainingSummary? Training, TunedFrom? TunedFrom)
{
    /// <summary>The dense layers between the recurrent layers and the head ("256,128", "+ batch norm"), or null for none.</summary>
    public string? Dense { get; init; }

    /// <summary>The summary of <paramref name="model"/>, read from <paramref name="path"/> when known.</summary>
    public static ModelSummary Of(TextModel model, string? path = null)
    {
        var network = model.Metadata.Network;
        return new ModelSummary(
            path is null ? null : System.IO.Path.GetFullPath(path), path is null ? null : new FileInfo(path).Length, model.Metadata.Created,
            network.Cell.ToString().ToLowerInvariant(), network.Layers, network.Hidden, network.OneHot ? null : network.Embedding,
            network.Dropout, network.ParameterCount(),
            model.Tokenizer.Level, model.Tokenizer.VocabularySize, model.Metadata.Tokenizer.Documents, model.Metadata.FrozenEmbedding,
            CorpusTokensOf(model.Metadata), model.Metadata.Training, model.Metadata.TunedFrom)
        {
            Dense = network.Dense is { Length: > 0 } dense ? string.Join(",", dense) + (network.BatchNorm ? " with batch norm" : "") : null,
        };
    }

    /// <summary>Tokens of the training corpus (training and validation parts), from the per-token counts the header keeps.</summary>
    private static long? CorpusTokensOf(ModelMetadata metadata)
    {
        if (metadata.TokenCounts is not { Count: > 0 } counts) return null;
        long total = 0;
        foreach (var count in counts)
        {
            if (count < 0 || total > long.MaxValue - count) return null; // an edited header: no size rather than a wrong one
            total += count;
        }
        return total;
    }

    /// <summary>Seconds as h:mm:ss (hours past 24 included); a number from a file that is not a duration shows as "?".</summary>
    public static string Duration(double seconds)
    {
        if (!double.IsFinite(seconds) || seconds is < 0 or > 1e9) return "?";
        var whole = (long)seconds;
        return $"{whole / 3600}:{whole / 60 % 60:00}:{whole % 60:00}";
    }

    /// <summary>The summary as lines of text: one per aspect, label first.</summary>
    public IEnumerable<string> Lines()
    {
        yield return $"{Path ?? "model"} ({(FileBytes is { } bytes ? $"{bytes / 1e6:F1} MB, " : "")}created {Created.UtcDateTime:yyyy-MM-dd HH:mm} UTC)";
        yield return $"network    {Layers}x{Hidden} {Cell}, {(Embedding is { } width ? $"embedding {width}{(FrozenEmbedding ? " (frozen)" : "")}" : "one-hot input")}, " +
                     $"{(Dense is { } layers ? $"dense {layers}, " : "")}dropout {Dropout:0.##}, {Parameters:N0} parameters";
        yield return $"tokenizer  {Level}, vocabulary {Vocabulary:N0}{(Documents ? ", line documents" : "")}";
        if (TunedFrom is { } start)
        {
            var corpus = start.Corpus is { } name ? $", trained on {name}" : "";
            var loss = start.ValLoss is { } l && double.IsFinite(l) ? $", validation loss {l:F4}" : "";
            yield return $"tuned from {start.Model} (created {start.Created.UtcDateTime:yyyy-MM-dd HH:mm} UTC{corpus}{loss})";
        }
        if (Training is not { } run)
        {
            yield return "training   not recorded";
            yield break;
        }
        yield return $"training   {run.Corpus}{(CorpusTokens is { } tokens ? $" ({tokens:N0} tokens)" : "")}: {run.Steps:N0} steps ({run.Epochs:F2} epochs) " +
                     $"in {Duration(run.Seconds)} at {run.TokensPerSecond:N0} tokens/s; " +
                     $"batch {run.BatchSize}x{run.SequenceLength}, learning rate {run.LearningRate:G3}, seed {run.Seed}";
        yield return $"loss       validation {run.ValLoss:F4} nats/token ({run.ValLoss / Math.Log(2):F3} bits), training {run.TrainLoss:F4}";
        if (run.Int8 is { } int8)
        {
            yield return $"int8       {int8.Difference:+0.0000;-0.0000} nats/token against fp32 on {int8.Tokens:N0} held-out tokens";
        }
        yield return $"curve      {run.History.Count} evaluations{(run.History.Count > 0 ? $", steps {run.History[0].Step:N0} to {run.History[^1].Step:N0}" : "")}";
    }
}

/// <summary>JSON has no NaN or infinity: a number that is not finite is written as null (and read back as NaN).</summary>
public sealed class FiniteOrNullConverter : System.Text.Json.Serialization.JsonConverter<double>
{
    public override double Read(ref System.Text.Json.Utf8JsonReader reader, Type type, System.Text.Json.JsonSerializerOptions options) =>
        reader.TokenType == System.Text.Json.JsonTokenType.Null ? double.NaN : reader.GetDouble();

    public override void Write(System.Text.Json.Utf8JsonWriter writer, double value, System.Text.Json.JsonSerializerOptions options)
    {
        if (double.IsFinite(value)) writer.WriteNumberValue(value);
        else writer.WriteNullValue();
    }
}

/// <summary>The JSON of a <see cref="ModelSummary"/> for people and scripts: snake_case, null for numbers that are not finite.</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(
    PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower,
    Converters = [typeof(FiniteOrNullConverter)])]
[System.Text.Json.Serialization.JsonSerializable(typeof(ModelSummary))]
public sealed partial class SummaryJson : System.Text.Json.Serialization.JsonSerializerContext;
