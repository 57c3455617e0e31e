using TextGen.Generation;
using TextGen.Inference;
using TextGen.Modeling;
using TextGen.Persistence;
using TextGen.Tokenization;
using TextGen.Training;

namespace TextGen.Tests.Training;

public class FineTuningTests
{
    /// <summary>A model of the periodic corpus, and a request to fine-tune it on <paramref name="corpus"/> for one epoch at a low rate.</summary>
    private static (string Source, TrainRequest Request) Tuning(TempDirectory dir, string corpus, bool oneHot = false)
    {
        var source = dir.File("source.tgm");
        var request = SmallModels.Request(dir.Write("periodic.txt", Corpora.Periodic()), source);
        SmallModels.Train(request with { Network = request.Network with { OneHot = oneHot } });
        var tuning = SmallModels.Request(dir.Write("new.txt", corpus), dir.File("tuned.tgm"), epochs: 1) with { From = source };
        return (source, tuning with { Training = tuning.Training with { LearningRate = 1e-4 }, Given = new HashSet<string> { "learning-rate", "batch-size", "seq-length" } });
    }

    [Fact]
    public void StartsFromTheModelsWeights()
    {
        using var dir = new TempDirectory();
        var (_, request) = Tuning(dir, Corpora.Periodic(200));

        var tuned = SmallModels.Train(request);
        var scratch = SmallModels.Train(request with { From = null, OutputPath = dir.File("scratch.tgm") });

        Assert.True(tuned.Summary.ValLoss < 0.1, $"fine-tuned: {tuned.Summary.ValLoss}");
        Assert.True(scratch.Summary.ValLoss > 1, $"from scratch: {scratch.Summary.ValLoss}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NewCharactersJoinTheVocabularyAndKnownOnesKeepTheirWeights(bool oneHot)
    {
        using var dir = new TempDirectory();
        var (source, request) = Tuning(dir, Corpora.Periodic(100) + "xyz\n", oneHot);

        using var session = TrainingSession.Prepare(request);
        var warning = Assert.Single(session.Warnings);
        Assert.Equal("3 characters of the corpus were not in source.tgm's vocabulary (first: 'x'); they were added to it (8 → 11 tokens).", warning);
        session.Run();

        var before = TextModel.Load(source);
        var after = TextModel.Load(request.OutputPath!);
        Assert.Equal([.. before.Metadata.Tokenizer.Symbols, "x", "y", "z"], after.Metadata.Tokenizer.Symbols);
        // A known character still predicts what it did: one epoch at a tiny rate moves the weights very little.
        var options = new SamplingOptions { Temperature = 0, Length = 13 };
        Assert.Equal("defg\nabcdefg\n", new TextGenerator(after).Generate("abc", options));
    }

    [Fact]
    public void KnownRowsAreCopiedAndNewOnesStartAsTheAverageRarestToken()
    {
        using var dir = new TempDirectory();
        var (source, _) = Tuning(dir, "unused");
        var model = TextModel.Load(source);
        var grown = new DocumentTokenizer(((CharTokenizer)model.Tokenizer).Extend(CharTokenizer.Build("az")));
        var documentsModel = new TextModel(new DocumentTokenizer(model.Tokenizer), model.Metadata with
        {
            Tokenizer = model.Metadata.Tokenizer with { Documents = true },
            Network = model.Metadata.Network with { VocabularySize = 10 },
        }, WithMarkers(model.Weights));

        var weights = FineTuning.Weights(documentsModel, grown, documentsModel.Metadata.Network with { VocabularySize = 11 });

        var embedding = weights["embedding.weight"];
        var width = (int)embedding.Shape[1];
        Assert.Equal([11, width], embedding.Shape);
        float[] Row(float[] values, int row) => values.AsSpan(row * width, width).ToArray();
        var old = documentsModel.Weights.Embedding!;
        for (var id = 0; id < 8; id++) Assert.Equal(Row(old, id), Row(embedding.Values, id)); // \n and a..g keep their ids
        Assert.Equal(Row(old, 8), Row(embedding.Values, 9)); // the markers moved past the new 'z'
        Assert.Equal(Row(old, 9), Row(embedding.Values, 10));
        var mean = Enumerable.Range(0, width).Select(c => (float)Enumerable.Range(0, 10).Average(r => (double)old[r * width + c])).ToArray();
        Assert.Equal(mean, Row(embedding.Values, 8)); // 'z'
        var bias = weights["head.bias"].Values;
        Assert.Equal(documentsModel.Weights.HeadBias.Min(), bias[8]);
        Assert.Equal(5, bias[9]);
    }

    /// <summary>The weights with two more tokens (the document markers), as rows of their own.</summary>
    private static LanguageModelWeights WithMarkers(LanguageModelWeights weights)
    {
        var width = weights.Embedding!.Length / weights.Config.VocabularySize;
        var hidden = weights.HeadWeight.Length / weights.Config.VocabularySize;
        return weights with
        {
            Config = weights.Config with { VocabularySize = weights.Config.VocabularySize + 2 },
            Embedding = [.. weights.Embedding, .. Enumerable.Range(0, 2 * width).Select(i => 10f + i)],
            HeadWeight = [.. weights.HeadWeight, .. Enumerable.Range(0, 2 * hidden).Select(i => -10f - i)],
            HeadBias = [.. weights.HeadBias, 5, 6],
        };
    }

    [Fact]
    public void TheModelDecidesTheArchitectureAndFineTuningTheSchedule()
    {
        using var dir = new TempDirectory();
        var (source, request) = Tuning(dir, Corpora.Prose(10));
        request = request with { Network = new RecurrentNetConfig(), ChooseWidth = true, Training = request.Training with { LearningRate = 0.5 }, Given = new HashSet<string>() };

        using var session = TrainingSession.Prepare(request);

        Assert.Equal(TextModel.Load(source).Metadata.Network with { VocabularySize = session.Network.VocabularySize }, session.Network);
        Assert.Equal(TrainingOptions.ForLevel(TokenLevel.Char).LearningRate, session.Options.LearningRate);
        Assert.False(session.WidthChosen);
    }

    [Fact]
    public void TheHeaderRecordsWhatTheModelWasTunedFromAndResumingKeepsIt()
    {
        using var dir = new TempDirectory();
        var (source, request) = Tuning(dir, Corpora.Periodic(100));
        SmallModels.Train(request);
        var origin = TextModel.Load(source).Metadata;

        var tuned = TextModel.Load(request.OutputPath!).Metadata.TunedFrom;
        Assert.Equal(new TunedFrom("source.tgm", "periodic.txt", origin.Training!.ValLoss, origin.Created), tuned);
        Assert.Contains($"tuned from source.tgm (created {origin.Created.UtcDateTime:yyyy-MM-dd HH:mm} UTC, trained on periodic.txt, validation loss {origin.Training.ValLoss:F4})",
            ModelSummary.Of(TextModel.Load(request.OutputPath!)).Lines());

        var resumed = SmallModels.Train(request with { Resume = true, Training = request.Training with { Epochs = 2 } });
        Assert.Equal(2, resumed.Summary.Epochs, 3);
        Assert.Equal(tuned, TextModel.Load(request.OutputPath!).Metadata.TunedFrom);
    }

    [Fact]
    public void AWordModelKeepsItsVocabularyAndCountsUnknownWords()
    {
        using var dir = new TempDirectory();
        var source = dir.File("words.tgm");
        var words = SmallModels.Request(dir.Write("prose.txt", Corpora.Prose(10)), source, epochs: 1) with { Level = TokenLevel.Word };
        SmallModels.Train(words);
        var tuning = SmallModels.Request(dir.Write("new.txt", Corpora.Prose(10).Replace("Ishmael", "Queequeg").Replace("money", "gold")), dir.File("tuned.tgm"), epochs: 1);

        using (var session = TrainingSession.Prepare(tuning with { From = source }))
        {
            Assert.Contains("20 words of the corpus are not in the model's vocabulary (first: 'Queequeg') and became <unk>.", session.Warnings);
            Assert.Equal(TrainingOptions.ForLevel(TokenLevel.Word).LearningRate, session.Options.LearningRate);
            session.Run();
        }

        Assert.Equal(TextModel.Load(source).Metadata.Tokenizer.Symbols, TextModel.Load(tuning.OutputPath!).Metadata.Tokenizer.Symbols);
    }

    [Theory]
    [InlineData("--layers 3", "--layers 3 differs from source.tgm's 1; fine-tuning keeps the model's architecture, so drop --layers")]
    [InlineData("--cell gru", "--cell gru differs from source.tgm's lstm;")]
    [InlineData("--level word", "--level word differs from source.tgm's char;")]
    [InlineData("--documents lines", "--documents lines differs from source.tgm's none;")]
    [InlineData("--min-count 2", "--min-count shapes a new vocabulary, and --from keeps source.tgm's; drop --min-count.")]
    [InlineData("--embeddings-from glove.txt", "--embeddings-from initialises a new model's embedding; --from starts from the model's, so drop --embeddings-from.")]
    [InlineData("--from missing.tgm", "--from missing.tgm does not exist; pass a model file written by textgen train.")]
    public void SettingsThatContradictTheModelAreRefusedInOneLine(string flags, string expected)
    {
        using var dir = new TempDirectory();
        var (source, request) = Tuning(dir, Corpora.Prose(6));
        var from = flags.StartsWith("--from", StringComparison.Ordinal) ? [] : new[] { "--from", source };

        var outcome = Cli.CliRunner.Run(["train", request.Corpora[0], "--epochs", "1", "-o", dir.File("tuned.tgm"), .. from, .. flags.Split(' ')]);

        Assert.Equal(1, outcome.ExitCode);
        Assert.StartsWith("textgen: " + expected, outcome.ErrorLine);
        Assert.Single(outcome.ErrorLine.Split('\n'));
        Assert.False(File.Exists(dir.File("tuned.tgm")));
    }

    [Fact]
    public void TheModelsOwnSettingsMayBeRepeated()
    {
        using var dir = new TempDirectory();
        var (source, request) = Tuning(dir, Corpora.Prose(6));

        var outcome = Cli.CliRunner.Run(["train", request.Corpora[0], "--epochs", "1", "-o", dir.File("tuned.tgm"), "--from", source,
            "--layers", "1", "--hidden", "32", "--embedding", "8", "--cell", "lstm", "--level", "char", "--dropout", "0.3", "--json"]);

        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(0.3, TextModel.Load(dir.File("tuned.tgm")).Metadata.Network.Dropout);
    }
}
