using TextGen.Generation;
using TextGen.Modeling;
using TextGen.Persistence;
using TextGen.Tokenization;

namespace TextGen.Fuzzing;

/// <summary>
/// A text model file whose checksum is always right (the target appends it), so every edit reaches the header and
/// weights checks; a file that loads is then summarised as `textgen info` does, generates, and ranks next tokens, as
/// `textgen sample` and the server do.
/// </summary>
internal sealed class ModelFileTarget : FuzzTarget
{
    public override string Name => "model";

    public override string Description => ".tgm text model file (header JSON, tokenizer, sections, weights), then its summary and generation";

    public override bool Run(byte[] input) => Refusable(() =>
    {
        var path = Scratch.Write("model.tgm", SeedFiles.WithChecksum(input));
        var generator = TextGenerator.Load(path);
        // `textgen info`, plain and --json (the playground shows the same summary).
        var summary = ModelSummary.Of(generator.Model, path);
        _ = summary.Lines().ToList();
        _ = System.Text.Json.JsonSerializer.Serialize(summary, SummaryJson.Default.ModelSummary);
        var options = new SamplingOptions { Length = 12, Temperature = 0.9, TopK = 3, Seed = 1, StopSequences = ["\n\n"] };
        generator.Complete("ab c", options);
        generator.NextTokens("a", 3);
    });

    public override IEnumerable<(string, byte[])> Seeds()
    {
        var text = "the cat sat on the mat.\nthe dog sat on the log.\n";
        var chars = CharTokenizer.Build(text);
        yield return ("char-lstm", SeedFiles.WithoutChecksum(SeedFiles.TextModel(chars, CellType.Lstm, 1, 4, oneHot: false)));
        yield return ("char-gru-onehot", SeedFiles.WithoutChecksum(SeedFiles.TextModel(chars, CellType.Gru, 2, 3, oneHot: true)));
        yield return ("word-rnn", SeedFiles.WithoutChecksum(SeedFiles.TextModel(SeedFiles.Words(text), CellType.Rnn, 1, 4, oneHot: false)));
        yield return ("bpe-lstm", SeedFiles.WithoutChecksum(SeedFiles.TextModel(SeedFiles.Bpe(text), CellType.Lstm, 1, 2, oneHot: false)));
    }
}
