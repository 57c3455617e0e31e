using TextGen.Data;
using TextGen.Persistence;
using TextGen.Tokenization;
using TextGen.Training;

namespace TextGen.Tests.Training;

public class TokenCacheReuseTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ASecondRunResumeAndEvalReadTheCachedIdsAndGiveTheSameFigures(bool documents)
    {
        using var dir = new TempDirectory();
        var cache = new TokenCache(dir.File("cache"));
        var corpus = dir.Write("prose.txt", Corpora.Prose(30));
        Thread.Sleep(300); // past the racy window (FileStamp.OlderThan): a record made now can vouch for the file
        var output = dir.File("m.tgm");
        var request = SmallModels.Request(corpus, output, epochs: 2) with { Cache = cache, Documents = documents ? DocumentSplit.Lines : DocumentSplit.None };
        var passes = new List<string>();
        var listener = new Stages(passes);

        using (var first = TrainingSession.Prepare(request, listener))
        {
            Assert.False(first.TokensFromCache);
            first.Run();
        }
        Assert.Contains("tokenizing", passes);
        passes.Clear();

        using (var again = TrainingSession.Prepare(request, listener))
        {
            Assert.True(again.TokensFromCache);
        }
        using (var resumed = TrainingSession.Prepare(request with { Resume = true, Training = request.Training with { Epochs = 3 } }, listener))
        {
            Assert.True(resumed.TokensFromCache); // the checkpoint's tokenizer finds the same ids
            resumed.Run();
        }
        using var model = TrainableModel.Load(output);
        var cached = CorpusEvaluation.Run(model, corpus, cache: cache, tokenizing: listener);
        Assert.Empty(passes); // nothing hashed, learned or tokenized after the first run
        var fresh = CorpusEvaluation.Run(model, corpus, cache: new TokenCache(dir.File("fresh-cache")));
        Assert.Equal(fresh.Loss, cached.Loss);
        Assert.Null(cached.CacheWarning);

        // Damage that keeps every id valid: eval tokenizes again, scores the same, and says why it took longer.
        var ids = Directory.GetFiles(dir.File("cache"), "*.ids", SearchOption.AllDirectories).Single();
        var bytes = File.ReadAllBytes(ids);
        var other = Array.FindIndex(bytes, b => b != bytes[0]);
        (bytes[0], bytes[other]) = (bytes[other], bytes[0]);
        File.WriteAllBytes(ids, bytes);
        var repaired = CorpusEvaluation.Run(model, corpus, cache: cache);
        Assert.Equal(fresh.Loss, repaired.Loss);
        Assert.StartsWith($"the token cache's entry for {corpus} was damaged", repaired.CacheWarning);
    }

    private sealed class Stages(List<string> stages) : IProgress<ByteProgress>
    {
        public void Report(ByteProgress value) => stages.Add(value.Stage);
    }
}
