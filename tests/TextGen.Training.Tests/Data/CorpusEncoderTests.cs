using System.Text;
using TextGen.Data;
using TextGen.Tokenization;

namespace TextGen.Tests.Data;

public class CorpusEncoderTests
{
    /// <summary>Text that puts every kind of boundary near the cut points: CRLF, blank lines, indented lines, runs of spaces, multi-byte characters, a long line.</summary>
    private static string MixedText(int seed, int length)
    {
        var random = new Random(seed);
        string[] pieces = ["whale", " the", "  sea", ",", ".", "\r\n", "\n", "\n\n", "\n  indented", "\t", "café", " 🐋", "don't", " 42", "—", "\r"];
        var text = new StringBuilder("\uFEFF");
        while (text.Length < length) text.Append(pieces[random.Next(pieces.Length)]);
        return text.ToString();
    }

    private static readonly VocabularyOptions Vocabulary = new() { MinCount = 1, BpeSize = 300 };

    private static TokenizerChoice Choice(TokenLevel level, bool documents = false) => new()
    {
        Level = level,
        Vocabulary = Vocabulary,
        Documents = documents,
    };

    [Theory]
    [InlineData(TokenLevel.Char)]
    [InlineData(TokenLevel.Word)]
    [InlineData(TokenLevel.Bpe)]
    public void PiecesGiveTheTokensOfTheWholeText(TokenLevel level)
    {
        using var dir = new TempDirectory();
        foreach (var (seed, chunkBytes) in new[] { (1, 1500), (2, 700), (3, 4096), (4, 999) })
        {
            var text = MixedText(seed, 60_000);
            var path = dir.Write($"c{seed}.txt", text);
            var whole = TextNormalizer.Normalize(text);
            Assert.Equal(whole, CorpusFileTests.ReadWhole(path));

            // Pieces of about a KB: dozens of cuts, each where no token crosses.
            Assert.True(CorpusFile.Open(path, chunkBytes).Chunks().Count() > 10);
            using var corpus = CorpusEncoder.Encode(CorpusFile.Open(path, chunkBytes), Choice(level), new TokenCache(dir.File("cache")));
            var reference = VocabularyLearner.For(level, Vocabulary).Learn(whole);
            Assert.Equal(reference.Describe().Symbols, corpus.Tokenizer.Describe().Symbols);
            Assert.Equal(reference.Describe().Merges, corpus.Tokenizer.Describe().Merges);
            Assert.Equal(reference.Encode(whole).Ids, corpus.Ids.ToArray());
            Assert.False(corpus.FromCache);
        }
    }

    [Fact]
    public void PlainPiecesAreEncodedFromTheirBytesToTheSameIdsAndCounts()
    {
        using var dir = new TempDirectory();
        var random = new Random(9);
        string[] plain = ["whale", " the", "  sea", ",", ".", "\n", "\n\n", "\tdon't", " 42", "café", " 🐋", "—"];
        string[] other = ["\r\n", "\r"];
        var text = new StringBuilder();
        while (text.Length < 40_000) text.Append(random.Next(600) == 0 ? other[random.Next(other.Length)] : plain[random.Next(plain.Length)]);
        var path = dir.Write("mostly-ascii.txt", text.ToString());
        var chunks = CorpusFile.Open(path, 700).Chunks().ToArray();
        Assert.Contains(chunks, c => c.PlainUtf8 is not null);
        Assert.Contains(chunks, c => c.PlainUtf8 is null);

        var whole = TextNormalizer.Normalize(text.ToString());
        using var corpus = CorpusEncoder.Encode(CorpusFile.Open(path, 700), Choice(TokenLevel.Char), new TokenCache(dir.File("cache")));
        var reference = VocabularyLearner.For(TokenLevel.Char, Vocabulary).Learn(whole);
        Assert.Equal(reference.Describe().Symbols, corpus.Tokenizer.Describe().Symbols);
        var ids = reference.Encode(whole).Ids;
        Assert.Equal(ids, corpus.Ids.ToArray());
        Assert.Equal(Enumerable.Range(0, reference.VocabularySize).Select(id => (long)ids.Count(i => i == id)), corpus.Counts);

        // A given vocabulary without 'w': plain pieces holding one fall back to decoding, which counts and names it.
        var withoutW = CharTokenizer.Build(whole.Replace("w", ""));
        using var given = CorpusEncoder.Encode(CorpusFile.Open(path, 700), new TokenizerChoice { Given = withoutW }, new TokenCache(dir.File("cache")));
        Assert.Equal(whole.Count(c => c == 'w'), given.Unknown);
        Assert.Equal("w", given.FirstUnknown);
        Assert.Equal(withoutW.Encode(whole).Ids, given.Ids.ToArray());
    }

    [Theory]
    [InlineData(TokenLevel.Word)]
    [InlineData(TokenLevel.Bpe)]
    public void TextWithoutAsciiIsCutAtItsLineEnds(TokenLevel level)
    {
        using var dir = new TempDirectory();
        var random = new Random(5);
        string[] lines = ["他说。", "她笑了，然后走了。", "こんにちは世界", "ขอบคุณมาก", "我们明天见"];
        var text = string.Join("\n", Enumerable.Range(0, 3000).Select(_ => lines[random.Next(lines.Length)]));
        var path = dir.Write("cjk.txt", text);
        var chunks = CorpusFile.Open(path, 700).Chunks().ToArray();
        Assert.True(chunks.Length > 20);
        Assert.All(chunks.SkipLast(1), c => Assert.EndsWith("\n", c.Text));
        using var corpus = CorpusEncoder.Encode(CorpusFile.Open(path, 700), Choice(level), new TokenCache(dir.File("cache")));
        Assert.Equal(VocabularyLearner.For(level, Vocabulary).Learn(text).Encode(text).Ids, corpus.Ids.ToArray());
    }

    [Fact]
    public void OneLineCorporaAreCutBetweenWords()
    {
        using var dir = new TempDirectory();
        var text = string.Concat(Enumerable.Range(0, 5000).Select(i => $" word{i % 97} and some more"));
        var path = dir.Write("text8.txt", text);
        var chunks = CorpusFile.Open(path, 2000).Chunks().ToArray();
        Assert.True(chunks.Length > 10);
        Assert.All(chunks.Skip(1), c => Assert.StartsWith(" ", c.Text));
        using var corpus = CorpusEncoder.Encode(CorpusFile.Open(path, 2000), Choice(TokenLevel.Bpe), new TokenCache(dir.File("cache")));
        Assert.Equal(ByteLevelBpeTokenizer.Train(text, 300).Encode(text).Ids, corpus.Ids.ToArray());
    }

    [Fact]
    public void LineDocumentsAreNeverCutAndLongLinesGrowThePiece()
    {
        using var dir = new TempDirectory();
        var text = "short one\n" + new string('x', 5000) + "\nanother\n\n  indented last";
        var path = dir.Write("docs.txt", text);
        using var corpus = CorpusEncoder.Encode(CorpusFile.Open(path, 1000), Choice(TokenLevel.Char, documents: true), new TokenCache(dir.File("cache")));
        var documents = LineDocuments.FromStarts(corpus.Ids, corpus.DocumentStarts!);
        Assert.Equal(4, documents.Count);
        // The piece that holds a long line grows; the pieces after it are back to their size.
        var longThenShort = dir.Write("long.txt", new string('x', 5000) + "\n" + string.Concat(Enumerable.Repeat("a short line of thirty bytes.\n", 400)));
        var pieces = CorpusFile.Open(longThenShort, 1000).Chunks(wholeLines: true).ToArray();
        Assert.True(pieces[0].Bytes > 5000);
        Assert.All(pieces.Skip(1), c => Assert.True(c.Bytes <= 1000, $"a piece of {c.Bytes} bytes after the long line"));
        var tokenizer = (DocumentTokenizer)corpus.Tokenizer;
        Assert.Equal(["short one", new string('x', 5000), "another", "  indented last"],
            Enumerable.Range(0, 4).Select(d => tokenizer.Decode(documents.Document(d))));
    }

    [Fact]
    public void ASecondRunReadsTheCacheAndAChangedCorpusIsTokenizedAgain()
    {
        using var dir = new TempDirectory();
        var cache = new TokenCache(dir.File("cache"));
        var path = dir.Write("c.txt", Corpora.Prose(20));
        Thread.Sleep(300); // past the racy window (FileStamp.OlderThan): a record made now can vouch for the file
        var passes = new List<string>();
        var progress = new Progress(passes);
        int[] first;
        IReadOnlyList<string> words;
        using (var corpus = CorpusEncoder.Encode(path, Choice(TokenLevel.Word), cache, progress))
        {
            Assert.False(corpus.FromCache);
            first = corpus.Ids.ToArray();
            words = corpus.Tokenizer.Describe().Symbols;
        }
        Assert.Equal(["hashing", "learning the vocabulary", "tokenizing"], passes.Distinct());
        passes.Clear();
        using (var again = CorpusEncoder.Encode(path, Choice(TokenLevel.Word), cache, progress))
        {
            Assert.True(again.FromCache);
            Assert.Equal(first, again.Ids.ToArray());
        }
        Assert.Empty(passes); // not even hashed: size, times and inode are unchanged

        // Same size, new content and time: hashed, learned and tokenized again.
        File.WriteAllText(path, Corpora.Prose(20).Replace("Call", "Hail"));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        using var changed = CorpusEncoder.Encode(path, Choice(TokenLevel.Word), cache, progress);
        Assert.False(changed.FromCache);
        Assert.Contains("Hail", changed.Tokenizer.Describe().Symbols);
        Assert.DoesNotContain("Hail", words);
    }

    [Fact]
    public void NewContentIsSeenWhateverSizeAndModificationTimeSay()
    {
        using var dir = new TempDirectory();
        var cache = new TokenCache(dir.File("cache"));
        var path = dir.Write("c.txt", Corpora.Prose(20));
        var written = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc); // whole seconds: put back exactly below
        File.SetLastWriteTimeUtc(path, written);
        var stamp = FileStamp.Of(path);
        using (var first = CorpusEncoder.Encode(path, Choice(TokenLevel.Word), cache)) Assert.DoesNotContain("Hail", first.Tokenizer.Describe().Symbols);

        // Same size, new content, and the old modification time put back (as `touch -r` or an unpacker would): only the
        // inode's change time tells, and the corpus is read again.
        File.WriteAllText(path, Corpora.Prose(20).Replace("Call", "Hail"));
        File.SetLastWriteTimeUtc(path, written);
        var after = FileStamp.Of(path);
        Assert.Equal((stamp.Length, stamp.ModifiedNs), (after.Length, after.ModifiedNs));
        using var changed = CorpusEncoder.Encode(path, Choice(TokenLevel.Word), cache);
        Assert.False(changed.FromCache);
        Assert.Contains("Hail", changed.Tokenizer.Describe().Symbols);
    }

    [Fact]
    public void ARecordVouchesOnlyForAFileClearlyOlderThanIt()
    {
        const long second = 1_000_000_000;
        var fine = new FileStamp(10, 1_700_000_000 * second + 123_456_789, 1_700_000_000 * second + 123_456_789, 1, 1);
        Assert.False(fine.OlderThan(fine.LatestNs + 50_000_000)); // within a timer tick: racily clean
        Assert.True(fine.OlderThan(fine.LatestNs + 150_000_000));
        var coarse = new FileStamp(10, 1_700_000_000 * second, 1_700_000_000 * second, 1, 1); // whole seconds (FAT, ext3)
        Assert.False(coarse.OlderThan(coarse.LatestNs + 1_500_000_000));
        Assert.True(coarse.OlderThan(coarse.LatestNs + 2_500_000_000));
    }

    [Fact]
    public void TheStampIsWhatStatSays()
    {
        if (!OperatingSystem.IsLinux()) return; // statx is Linux's; elsewhere the stamp is FileInfo's
        using var dir = new TempDirectory();
        var path = dir.Write("c.txt", "some text");
        var stamp = FileStamp.Of(path);
        var start = new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%i %s %Y %Z", path]) { RedirectStandardOutput = true };
        using var stat = System.Diagnostics.Process.Start(start)!;
        var fields = stat.StandardOutput.ReadToEnd().Trim().Split(' ').Select(long.Parse).ToArray();
        stat.WaitForExit();
        Assert.Equal(fields, new[] { (long)stamp.Inode, stamp.Length, stamp.ModifiedNs / 1_000_000_000, stamp.ChangedNs / 1_000_000_000 });
        Assert.NotEqual(0UL, stamp.Device);
    }

    [Theory]
    [InlineData("truncated ids")]
    [InlineData("garbage record")]
    [InlineData("counts edited")]
    [InlineData("counts null")]
    [InlineData("count overflows")]
    [InlineData("another corpus's entry")]
    [InlineData("ids out of range")]
    [InlineData("ids changed but in range")]
    public void ADamagedEntryIsTokenizedAgainNotTrusted(string damage)
    {
        using var dir = new TempDirectory();
        var cache = new TokenCache(dir.File("cache"));
        var path = dir.Write("c.txt", Corpora.Prose(5));
        int[] expected;
        using (var corpus = CorpusEncoder.Encode(path, Choice(TokenLevel.Char), cache)) expected = corpus.Ids.ToArray();
        var ids = Directory.GetFiles(dir.File("cache"), "*.ids", SearchOption.AllDirectories).Single();
        var record = Path.ChangeExtension(ids, ".json");
        switch (damage)
        {
            case "truncated ids": File.WriteAllBytes(ids, File.ReadAllBytes(ids)[..10]); break;
            case "garbage record": File.WriteAllText(record, "{\"format\": 1, \"count\": -5"); break;
            case "counts edited": File.WriteAllText(record, File.ReadAllText(record).Replace("\"counts\":[", "\"counts\":[1000000,")); break;
            case "counts null": File.WriteAllText(record, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(record), "\"counts\":\\[[^\\]]*\\]", "\"counts\":null")); break;
            case "count overflows": File.WriteAllText(record, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(record), "\"count\":\\d+", "\"count\":4611686018427387904")); break;
            case "another corpus's entry":
                File.WriteAllText(record, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(record), "\"content_hash\":\"[0-9a-f]+\"", "\"content_hash\":\"00\""));
                break;
            case "ids out of range": File.WriteAllBytes(ids, Enumerable.Repeat((byte)250, expected.Length).ToArray()); break;
            default:
                // Damage that keeps every id a valid one: only the ids file's checksum can tell.
                var bytes = File.ReadAllBytes(ids);
                var other = Array.FindIndex(bytes, b => b != bytes[0]);
                (bytes[0], bytes[other]) = (bytes[other], bytes[0]); // the same ids, counts and size, in another order
                File.WriteAllBytes(ids, bytes);
                break;
        }
        using var again = CorpusEncoder.Encode(path, Choice(TokenLevel.Char), cache);
        Assert.False(again.FromCache);
        Assert.Equal(expected, again.Ids.ToArray());
        if (damage == "garbage record") Assert.Null(again.CacheWarning); // no record, no entry: a plain miss
        else Assert.StartsWith($"the token cache's entry for {path} was damaged", again.CacheWarning);
    }

    [Fact]
    public void AnEditedVocabularyRecordIsLearnedAgainNotTrusted()
    {
        // Found by fuzzing (tests/TextGen.Fuzzing/findings/token-cache): one symbol edited is still a valid vocabulary,
        // which would tokenize the corpus into other ids; the record's checksum tells.
        using var dir = new TempDirectory();
        var cache = new TokenCache(dir.File("cache"));
        var path = dir.Write("c.txt", Corpora.Prose(5));
        string learned;
        int[] expected;
        using (var corpus = CorpusEncoder.Encode(path, Choice(TokenLevel.Char), cache))
        {
            learned = string.Join("", corpus.Tokenizer.Describe().Symbols);
            expected = corpus.Ids.ToArray();
        }
        var record = Directory.GetFiles(dir.File("cache"), "*.tokenizer.json", SearchOption.AllDirectories).Single();
        File.WriteAllText(record, File.ReadAllText(record).Replace("\"a\"", "\"\u00e0\""));
        using var again = CorpusEncoder.Encode(path, Choice(TokenLevel.Char), cache);
        Assert.Equal(learned, string.Join("", again.Tokenizer.Describe().Symbols));
        Assert.Equal(expected, again.Ids.ToArray());
    }

    [Theory]
    [InlineData("counts swapped")]
    [InlineData("a document dropped")]
    public void AnEntryEditedConsistentlyIsTokenizedAgainNotTrusted(string edit)
    {
        // Edits that keep the record consistent with itself and its files: only the record's own checksum tells.
        using var dir = new TempDirectory();
        var cache = new TokenCache(dir.File("cache"));
        var path = dir.Write("c.txt", "the cat sat\nthe dog ran\na cat sat\n");
        long[] counts, starts;
        using (var corpus = CorpusEncoder.Encode(path, Choice(TokenLevel.Char, documents: true), cache)) (counts, starts) = ([.. corpus.Counts], corpus.DocumentStarts!);
        var ids = Directory.GetFiles(dir.File("cache"), "*.ids", SearchOption.AllDirectories).Single();
        var record = Path.ChangeExtension(ids, ".json");
        var entry = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(record))!;
        if (edit == "counts swapped")
        {
            var stored = entry["counts"]!.AsArray();
            var (a, b) = (stored.IndexOf(stored.First(c => (long)c! != (long)stored[0]!)), 0);
            (stored[a], stored[b]) = ((long)stored[b]!, (long)stored[a]!);
        }
        else
        {
            entry["documents"] = starts.Length - 1;
            var docs = Path.ChangeExtension(ids, ".docs");
            File.WriteAllBytes(docs, File.ReadAllBytes(docs)[..^8]);
        }
        File.WriteAllText(record, entry.ToJsonString());
        using var again = CorpusEncoder.Encode(path, Choice(TokenLevel.Char, documents: true), cache);
        Assert.Equal(counts, again.Counts);
        Assert.Equal(starts, again.DocumentStarts);
        Assert.StartsWith($"the token cache's entry for {path} was damaged", again.CacheWarning);
    }

    [Fact]
    public void AVocabularyRecordOfTheOldFormatIsLearnedAgain()
    {
        // Before its checksum, the record was the bare vocabulary: read now, it has none, and is a plain miss.
        using var dir = new TempDirectory();
        var cache = new TokenCache(dir.File("cache"));
        var path = dir.Write("c.txt", Corpora.Prose(2));
        string learned;
        using (var corpus = CorpusEncoder.Encode(path, Choice(TokenLevel.Char), cache)) learned = string.Join("", corpus.Tokenizer.Describe().Symbols);
        var record = Directory.GetFiles(dir.File("cache"), "*.tokenizer.json", SearchOption.AllDirectories).Single();
        var bare = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(record))!["tokenizer"]!.ToJsonString();
        File.WriteAllText(record, bare.Replace("\"a\"", "\"\u00e0\""));
        Assert.Null(cache.FindTokenizer(Path.GetFileName(record).Split('.')[0]));
        using var again = CorpusEncoder.Encode(path, Choice(TokenLevel.Char), cache);
        Assert.Equal(learned, string.Join("", again.Tokenizer.Describe().Symbols));
    }

    [Fact]
    public void AnUnwritableCacheIsOneLineNamingTheSetting()
    {
        using var dir = new TempDirectory();
        var notAFolder = dir.Write("cache", "a file where the cache folder should be");
        var error = Assert.Throws<TextGenException>(() => CorpusEncoder.Encode(dir.Write("c.txt", Corpora.Prose(2)), Choice(TokenLevel.Char), new TokenCache(notAFolder)));
        Assert.Contains("set TEXTGEN_CACHE to a writable folder", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void IdsUseTheNarrowestIntegerTheVocabularyAllows()
    {
        Assert.Equal(1, TokenIds.ElementSize(256));
        Assert.Equal(2, TokenIds.ElementSize(257));
        Assert.Equal(2, TokenIds.ElementSize(65_536));
        Assert.Equal(4, TokenIds.ElementSize(65_537));
        using var dir = new TempDirectory();
        var path = dir.Write("c.txt", Corpora.Prose(3));
        using var corpus = CorpusEncoder.Encode(path, Choice(TokenLevel.Char), new TokenCache(dir.File("cache")));
        var ids = Directory.GetFiles(dir.File("cache"), "*.ids", SearchOption.AllDirectories).Single();
        Assert.Equal(corpus.Ids.Length, new FileInfo(ids).Length); // one byte per character
    }

    private sealed class Progress(List<string> stages) : IProgress<ByteProgress>
    {
        public void Report(ByteProgress value) => stages.Add(value.Stage);
    }
}
