using TextGen.Data;
using TextGen.Modeling;
using TextGen.Persistence;
using TextGen.Tests.Cli;
using TextGen.Tokenization;
using TextGen.Training;
using static TorchSharp.torch;

namespace TextGen.Tests.Training;

public class ManyFilesTrainingTests
{
    [Fact]
    public void HeldOutTextsAreScoredEachFromAZeroState()
    {
        manual_seed(5);
        using var model = new LanguageNetwork(new RecurrentNetConfig { Cell = CellType.Lstm, Layers = 2, Hidden = 16, Embedding = 8, VocabularySize = 7 });
        var random = new Random(2);
        List<TokenIds> texts = [.. new[] { 45, 3, 30, 17 }.Select(length => TokenIds.FromArray([.. Enumerable.Range(0, length).Select(_ => random.Next(7))]))];

        var together = Evaluator.EvaluateTexts(model, texts, batchSize: 1, sequenceLength: 8);

        // One row reads the texts in turn: the same as scoring each alone, so no state passed from one to the next.
        var alone = texts.Select(t => Evaluator.Evaluate(model, t, batchSize: 1, sequenceLength: 8)).ToList();
        Assert.Equal(alone.Sum(l => l.Tokens), together.Tokens);
        Assert.Equal(alone.Sum(l => l.MeanNats * l.Tokens) / together.Tokens, together.MeanNats, 4);
        // More rows start some windows mid-text from a zero state: close, not equal.
        Assert.Equal(together.MeanNats, Evaluator.EvaluateTexts(model, texts, batchSize: 3, sequenceLength: 8).MeanNats, 1);
    }

    [Fact]
    public void ZeroingRowsClearsOnlyThoseRows()
    {
        using var hidden = ones(2, 3, 4);
        using var cell = full(2, 3, 4, 2f);
        using var state = new RecurrentState(hidden, cell).WithRowsZeroed([false, true, false]);
        Assert.Equal([8f, 0f, 8f], state.Hidden.sum([0, 2]).data<float>().ToArray());
        Assert.Equal([16f, 0f, 16f], state.Cell!.sum([0, 2]).data<float>().ToArray());
    }

    [Fact]
    public void TrainsOnAFolderAndFilesHoldingOutTheEndOfEach()
    {
        using var dir = new TempDirectory();
        dir.Write("notes/a.txt", Corpora.Periodic(125)); // 1000 characters: 100 held out
        dir.Write("notes/deeper/b.md", string.Concat(Enumerable.Repeat("hijk\n", 100))); // 500: 50
        var c = dir.Write("c.txt", "xy"); // too short to spare two: trained on whole
        var request = SmallModels.Request(dir.File("notes"), dir.File("m.tgm"), epochs: 20) with { Corpora = [dir.File("notes"), c] };

        using var session = TrainingSession.Prepare(request);
        Assert.Equal(150, session.Data.HeldOutTokens);
        Assert.Equal(1500 + 2 - 150, session.TrainTokens);
        Assert.IsType<SegmentBatcher>(session.Data.Batches);
        var result = session.Run();

        Assert.True(result.Summary.ValLoss < 0.5, $"val loss {result.Summary.ValLoss}");
        var model = TextModel.Load(dir.File("m.tgm"));
        Assert.Equal("notes/, c.txt", model.Metadata.Training!.Corpus);
        Assert.Equal(99 + 49, model.Metadata.Training.Int8!.Tokens); // the int8 check reads each file's held-out part on its own
        Assert.Equal(14, model.Tokenizer.VocabularySize); // a-k, x, y and the line end: every file's characters
    }

    [Fact]
    public void LineDocumentsHoldOutTheLastLinesOfEachFile()
    {
        using var dir = new TempDirectory();
        var a = dir.Write("a.txt", string.Concat(Enumerable.Range(0, 10).Select(i => $"doc{i}a\n")));
        var b = dir.Write("b.txt", string.Concat(Enumerable.Range(0, 10).Select(i => $"doc{i}b\n")));
        var request = SmallModels.Request(a, dir.File("m.tgm"), epochs: 1);
        request = request with { Corpora = [a, b], Documents = DocumentSplit.Lines, Training = request.Training with { ValidationFraction = 0.2 } };

        using var session = TrainingSession.Prepare(request);
        // Two lines of each file, each of five characters and its end marker to predict.
        Assert.Equal(4 * 6, session.Data.HeldOutTokens);
        Assert.Equal(16 * 7, session.TrainTokens);
        session.Run();
    }

    [Fact]
    public void ABinaryOrNonUtf8FileIsRefusedByName()
    {
        using var dir = new TempDirectory();
        var text = dir.Write("a.txt", Corpora.Periodic());
        dir.WriteBytes("notes/b.txt", [0x61, 0x00, 0x62]);
        var latin = dir.WriteBytes("c.txt", [0x63, 0x61, 0x66, 0xE9, 0x0A]);

        var binary = CliRunner.Run("train", text, dir.File("notes"), "--epochs", "1", "-o", dir.File("m.tgm"));
        Assert.NotEqual(0, binary.ExitCode);
        Assert.Equal($"textgen: {dir.File("notes/b.txt")} looks like binary data (NUL byte at offset 1); pass a UTF-8 text file.", binary.ErrorLine);
        var notUtf8 = CliRunner.Run("train", text, latin, "--epochs", "1", "-o", dir.File("m.tgm"));
        Assert.Equal($"textgen: {latin} is not valid UTF-8 near byte 3; convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8).", notUtf8.ErrorLine);
        Assert.False(File.Exists(dir.File("m.tgm")));
    }
}
