using TextGen.Generation;
using TextGen.Persistence;
using TextGen.Tokenization;
using TextGen.Training;

namespace TextGen.Tests.Training;

public class LevelsAndDocumentsTests
{
    [Theory]
    [InlineData(TokenLevel.Word)]
    [InlineData(TokenLevel.Bpe)]
    public void WordAndBpeModelsTrainSaveAndSampleWithTheirTokenizer(TokenLevel level)
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("prose.txt", Corpora.Prose(30));
        var request = SmallModels.Request(corpus, dir.File("m.tgm"), epochs: 15) with { Level = level, Vocabulary = new VocabularyOptions { MinCount = 1, BpeSize = 300 } };
        var result = SmallModels.Train(request);

        var generator = TextGenerator.Load(result.ModelPath);
        Assert.Equal(level.Name(), generator.Tokenizer.Level);
        var text = generator.Generate("Call me", new SamplingOptions { Temperature = 0, Length = 12 });
        Assert.StartsWith(" Ishmael", text);
        var evaluation = CorpusEvaluation.Run(TrainableModel.Load(result.ModelPath), corpus);
        Assert.True(evaluation.Loss.MeanNats < 1, $"{level} loss {evaluation.Loss.MeanNats}");
    }

    [Fact]
    public void DocumentsModelGeneratesWholeDocumentsThatEndAtTheEndMarker()
    {
        using var dir = new TempDirectory();
        var titles = string.Join('\n', Enumerable.Range(0, 60).Select(i => i % 2 == 0 ? "the white whale" : "a grey ship")) + "\n";
        var request = SmallModels.Request(dir.Write("titles.txt", titles), dir.File("m.tgm"), epochs: 60) with { Documents = DocumentSplit.Lines };
        var result = SmallModels.Train(request);

        var generator = TextGenerator.Load(result.ModelPath);
        Assert.IsType<DocumentTokenizer>(generator.Tokenizer);
        Assert.True(generator.Metadata.Training!.Int8!.Tokens > 0); // the int8 check reads held-out documents
        var documents = generator.GenerateMany("", new SamplingOptions { Temperature = 0.5, Length = 200, Seed = 1 }, 10);
        Assert.Equal(10, documents.Length);
        Assert.All(documents, d => Assert.Contains(d, new[] { "the white whale", "a grey ship" }));
        var result2 = generator.Complete("the w", new SamplingOptions { Temperature = 0, Length = 200 });
        Assert.Equal(("hite whale", FinishReason.Stop), (result2.Text, result2.Finish));
    }

    [Fact]
    public void TooFewDocumentsAreRefused()
    {
        using var dir = new TempDirectory();
        var request = SmallModels.Request(dir.Write("one.txt", "only one line here\n\n"), dir.File("m.tgm"), epochs: 1) with { Documents = DocumentSplit.Lines };
        var error = Assert.ThrowsAny<TextGenException>(() => TrainingSession.Prepare(request));
        Assert.Contains("needs documents to hold out for validation", error.Message);
    }
}
