using System.Globalization;
using TextGen.Embeddings;
using TextGen.Persistence;
using TextGen.Tests.Cli;
using TextGen.Tokenization;

namespace TextGen.Tests.Embeddings;

public class EmbeddingTests
{
    private static (TempDirectory Dir, string Model) WordModel(int epochs = 2, string? embeddingsFrom = null, bool freeze = false, int embedding = 8)
    {
        var dir = new TempDirectory();
        var request = SmallModels.Request(dir.Write("prose.txt", Corpora.Prose(10)), dir.File("w.tgm"), epochs: epochs) with
        {
            Level = TokenLevel.Word,
            Vocabulary = new VocabularyOptions { MinCount = 1 },
            EmbeddingsFrom = embeddingsFrom,
            FreezeEmbeddings = freeze,
        };
        request = request with { Network = request.Network with { Embedding = embedding } };
        return (dir, SmallModels.Train(request).ModelPath);
    }

    [Fact]
    public void NearestNeighboursStartWithTheTokenItselfAtCosineOne()
    {
        var (dir, model) = WordModel();
        using (dir)
        {
            using var trained = TrainableModel.Load(model);
            var nearest = EmbeddingTable.From(trained.ForGeneration()).Nearest("world", 5);
            Assert.Equal(("▁world", 1.0), (nearest[0].Token, Math.Round(nearest[0].Cosine, 12)));
            Assert.Equal(5, nearest.Count);
            Assert.True(nearest.Skip(1).All(n => n.Cosine <= 1.0 + 1e-9));

            var cli = CliRunner.Run("embed", "--model", model, "--nearest", "world", "-k", "3");
            Assert.Equal(0, cli.ExitCode);
            Assert.StartsWith("  1.0000  ▁world", cli.Output);
        }
    }

    [Fact]
    public void ExportedFilesParseBackToTheSameVectors()
    {
        var (dir, model) = WordModel();
        using (dir)
        {
            using var trained = TrainableModel.Load(model);
            var table = EmbeddingTable.From(trained.ForGeneration());
            var export = Path.Combine(dir.Path, "export");
            Assert.Equal(0, CliRunner.Run("embed", "--model", model, "--export", export, "--plot", dir.File("pca.png")).ExitCode);

            var word2vec = EmbeddingExport.ReadText(Path.Combine(export, EmbeddingExport.Word2VecFile));
            var metadata = File.ReadAllLines(Path.Combine(export, EmbeddingExport.MetadataFile));
            var tsv = File.ReadAllLines(Path.Combine(export, EmbeddingExport.VectorsFile))
                .Select(l => l.Split('\t').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
            Assert.Equal(table.Tokens, metadata);
            for (var i = 0; i < table.Tokens.Count; i++)
            {
                Assert.Equal(table.Vectors[i], word2vec[table.Tokens[i]]);
                Assert.Equal(table.Vectors[i], tsv[i]);
            }
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(dir.File("pca.png"))[..4]);
        }
    }

    [Fact]
    public void PretrainedVectorsInitialiseAndFreezeTheEmbedding()
    {
        using var files = new TempDirectory();
        var glove = files.Write("glove.txt", "world 1 0 0 0\nsea 0 1 0 0\nnotinvocab 0 0 1 0\n");
        var (dir, model) = WordModel(epochs: 2, embeddingsFrom: glove, freeze: true, embedding: 4);
        using (dir)
        {
            using var trained = TrainableModel.Load(model);
            var table = EmbeddingTable.From(trained.ForGeneration());
            Assert.Equal([1f, 0, 0, 0], table.Vectors[table.IndexOf("▁world")]);
            Assert.True(trained.Metadata.FrozenEmbedding);

            // Resuming keeps it frozen (its optimizer state has no moments for it), and must be asked to.
            var resume = SmallModels.Request(dir.File("prose.txt"), model, epochs: 4) with
            {
                Level = TokenLevel.Word,
                Vocabulary = new VocabularyOptions { MinCount = 1 },
                Resume = true,
            };
            resume = resume with { Network = resume.Network with { Embedding = 4 } };
            var refused = Assert.Throws<SettingException>(() => SmallModels.Train(resume));
            Assert.Contains("freeze-embeddings off differs from the checkpoint's on", refused.Message);
            var resumed = SmallModels.Train(resume with { FreezeEmbeddings = true });
            Assert.True(resumed.Summary.Steps > trained.Metadata.Training!.Steps);
            using var again = TrainableModel.Load(model);
            Assert.Equal(table.Vectors, EmbeddingTable.From(again.ForGeneration()).Vectors);
        }
    }

    [Fact]
    public void FreezingWithoutAnEmbeddingFileIsRefused()
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("c.txt", Corpora.Prose(3));
        var outcome = CliRunner.Run("train", corpus, "--freeze-embeddings", "-o", dir.File("m.tgm"));
        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal("textgen: --freeze-embeddings keeps an embedding read from a file or a model fixed; pass --embeddings-from FILE or --from MODEL too.", outcome.ErrorLine);
    }

    [Theory]
    [InlineData("whale 1 0 0\nsea 0 1\n", "has 2 values")]
    [InlineData("whale 1 x 0 0\n", "not a number")]
    [InlineData("whale\n", "no values")]
    [InlineData("whale 1 0 0 0 0\n", "use 5")]
    public void BadEmbeddingFilesAreRefused(string text, string expected)
    {
        using var dir = new TempDirectory();
        var corpus = dir.Write("prose.txt", Corpora.Prose(3));
        var outcome = CliRunner.Run("train", corpus, "--level", "word", "--embedding", "4", "--epochs", "1", "-o", dir.File("m.tgm"), "--embeddings-from", dir.Write("bad.txt", text));
        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains(expected, outcome.ErrorLine);
        Assert.False(File.Exists(dir.File("m.tgm")));
    }

    [Fact]
    public void NearestOfAnUnknownTokenIsAOneLineError()
    {
        var (dir, model) = WordModel();
        using (dir)
        {
            var outcome = CliRunner.Run("embed", "--model", model, "--nearest", "zeppelin");
            Assert.Equal(1, outcome.ExitCode);
            Assert.Contains("not in the model's vocabulary", outcome.ErrorLine);
        }
    }
}
