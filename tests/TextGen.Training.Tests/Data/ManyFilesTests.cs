using TextGen.Data;
using TextGen.Tokenization;

namespace TextGen.Tests.Data;

public class ManyFilesTests
{
    [Fact]
    public void AFolderMeansItsTextFilesInOrderSkippingHiddenOnes()
    {
        using var dir = new TempDirectory();
        dir.Write("notes/b.txt", "b");
        dir.Write("notes/a.md", "a");
        dir.Write("notes/sub/c.txt", "c");
        dir.Write("notes/.hidden/d.txt", "d");
        dir.Write("notes/.e.txt", "e");
        dir.Write("notes/picture.png", "not text");
        var single = dir.Write("single.dat", "named files may end in anything");
        Directory.CreateSymbolicLink(dir.File("notes/sub/loop"), dir.File("notes")); // a linked folder is not entered

        var files = CorpusFiles.Expand([dir.File("notes"), single, dir.File("notes/a.md")]);

        Assert.Equal(["notes/a.md", "notes/b.txt", "notes/sub/c.txt", "single.dat"], files.Select(f => Path.GetRelativePath(dir.Path, f).Replace('\\', '/')));
        Assert.Equal("notes", CorpusFiles.Name([dir.File("notes") + "/", single]));
        Assert.Equal("notes/, single.dat", CorpusFiles.Describe([dir.File("notes"), single]));
        Directory.CreateDirectory(dir.File("empty"));
        var error = Assert.Throws<TextGenException>(() => CorpusFiles.Expand([dir.File("empty")]));
        Assert.Contains("holds no text files", error.Message);
    }

    /// <summary>Texts whose ids tell which text and position they are: token t of text i is 100i + t.</summary>
    private static List<TokenIds> Texts(params int[] lengths) =>
        [.. lengths.Select((length, i) => TokenIds.FromArray([.. Enumerable.Range(0, length).Select(t => 100 * i + t)]))];

    [Theory]
    [InlineData(4, 5, false)]
    [InlineData(3, 4, true)]
    [InlineData(64, 8, true)]
    public void NoWindowCrossesATextAndRowsStartingATextAreFresh(int batch, int sequence, bool everyWindow)
    {
        var texts = Texts(23, 2, 1, 40, 9, 17); // the text of one token has nothing to predict
        var batcher = new SegmentBatcher(texts, batch, sequence, seed: 3, everyWindow);
        var inputs = new long[batcher.TokensPerStep];
        var targets = new long[batcher.TokensPerStep];
        var scored = 0;
        for (var epoch = 0; epoch < (everyWindow ? 1 : 3); epoch++)
        {
            var previous = new long[batcher.BatchSize];
            for (var step = 0; step < batcher.StepsPerEpoch; step++)
            {
                batcher.Fill(epoch, step, inputs, targets);
                for (var b = 0; b < batcher.BatchSize; b++)
                {
                    var row = Enumerable.Range(b * batcher.SequenceLength, batcher.SequenceLength).Where(at => targets[at] != DocumentBatcher.Ignore).ToList();
                    if (row.Count == 0)
                    {
                        Assert.True(batcher.FreshRows![b]); // padding
                        continue;
                    }
                    // Every target is the next token of the same text, and padding only ends a text's last window.
                    Assert.Equal(row, Enumerable.Range(b * batcher.SequenceLength, row.Count));
                    Assert.All(row, at => Assert.Equal(inputs[at] + 1, targets[at]));
                    Assert.True(row.Count == batcher.SequenceLength || texts[(int)(targets[row[^1]] / 100)].Length - 1 == targets[row[^1]] % 100);
                    // A row's state carries on only where its window continues the text of its last one; otherwise it starts a text fresh.
                    if (!batcher.FreshRows![b]) Assert.Equal(previous[b], inputs[row[0]]);
                    else if (step > 0) Assert.Equal(0, inputs[row[0]] % 100);
                    previous[b] = targets[row[^1]];
                    scored += row.Count;
                }
            }
        }
        if (everyWindow)
        {
            // Evaluation reads every target of every text exactly once.
            Assert.Equal(texts.Sum(t => Math.Max(0, t.Length - 1)), scored);
            Assert.Equal(batcher.Targets, scored);
        }
    }

    [Fact]
    public void EachEpochDealsTheWindowsDifferently()
    {
        var batcher = new SegmentBatcher(Texts(200, 150, 90), 4, 8, seed: 1);
        var first = new long[batcher.TokensPerStep];
        var second = new long[batcher.TokensPerStep];
        batcher.Fill(1, 0, first, new long[batcher.TokensPerStep]);
        batcher.Fill(2, 0, second, new long[batcher.TokensPerStep]);
        Assert.NotEqual(first, second);
        Assert.Equal(first, Refill(batcher, 1));
    }

    private static long[] Refill(SegmentBatcher batcher, long epoch)
    {
        var inputs = new long[batcher.TokensPerStep];
        batcher.Fill(epoch, 0, inputs, new long[batcher.TokensPerStep]);
        return inputs;
    }

    [Fact]
    public void CharactersOfManyFilesJoinOneVocabularyAndAddingAFileTokenizesOnlyIt()
    {
        using var dir = new TempDirectory();
        var cache = new TokenCache(dir.File("cache"));
        var a = dir.Write("a.txt", "banana bandana\n");
        var b = dir.Write("b.txt", "xyz zyx\n");
        var choice = new TokenizerChoice { Level = TokenLevel.Char };
        using (var corpora = TokenizedCorpora.Encode([a, b], choice, cache))
        {
            Assert.Equal("\n abdnxyz".Select(c => c.ToString()), corpora.Tokenizer.Describe().Symbols);
            Assert.Equal("xyz zyx\n", corpora.Tokenizer.Decode(corpora.Files[1].Ids.ToArray()));
            Assert.Equal(6, corpora.Counts[corpora.Tokenizer.Encode("a").Ids[0]]);
            Assert.False(corpora.FromCache);
        }
        var idsFiles = Directory.GetFiles(dir.File("cache"), "*.ids", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);

        var c = dir.Write("0.txt", "café\n"); // sorts first, and brings new characters
        using (var corpora = TokenizedCorpora.Encode([c, a, b], choice, cache))
        {
            Assert.Equal("banana bandana\n", corpora.Tokenizer.Decode(corpora.Files[1].Ids.ToArray()));
            Assert.Equal("café\n", corpora.Tokenizer.Decode(corpora.Files[0].Ids.ToArray()));
        }
        var after = Directory.GetFiles(dir.File("cache"), "*.ids", SearchOption.AllDirectories);
        Assert.Equal(idsFiles.Count + 1, after.Length);
        Assert.All(idsFiles, f => Assert.Equal(f.Value, File.GetLastWriteTimeUtc(f.Key)));
    }

    [Fact]
    public void AModelsCharactersKeepTheirIdsWhenManyFilesExtendThem()
    {
        using var dir = new TempDirectory();
        var model = CharTokenizer.FromDescription(new TokenizerDescription(CharTokenizer.LevelName, ["b", "a"])); // a model's order, not code-point order
        var choice = new TokenizerChoice { Level = TokenLevel.Char, Extends = model };
        using var corpora = TokenizedCorpora.Encode([dir.Write("1.txt", "abz"), dir.Write("2.txt", "bay")], choice, new TokenCache(dir.File("cache")));
        Assert.Equal(["b", "a", "y", "z"], corpora.Tokenizer.Describe().Symbols);
        Assert.Equal([1, 0, 3], corpora.Files[0].Ids.ToArray());
        Assert.Equal([0, 1, 2], corpora.Files[1].Ids.ToArray());
    }

    [Fact]
    public void WordsAreLearnedOverAllFiles()
    {
        using var dir = new TempDirectory();
        // "whale" occurs once in each file: below a minimum count of 2 in either, above it in both.
        var a = dir.Write("a.txt", "the whale the sea the sea\n");
        var b = dir.Write("b.txt", "a whale a ship a ship\n");
        var choice = new TokenizerChoice { Level = TokenLevel.Word, Vocabulary = new VocabularyOptions { MinCount = 2 } };
        using var corpora = TokenizedCorpora.Encode([a, b], choice, new TokenCache(dir.File("cache")));
        Assert.Contains(" whale", corpora.Tokenizer.Describe().Symbols);
        using var alone = TokenizedCorpora.Encode([a], choice, new TokenCache(dir.File("cache")));
        Assert.DoesNotContain(" whale", alone.Tokenizer.Describe().Symbols);
    }
}
