using System.Text;
using System.Text.Json;
using TextGen.Data;
using TextGen.Persistence;
using TextGen.Tokenization;

namespace TextGen.Fuzzing;

/// <summary>
/// The token cache's records as a later run finds them: an entry's record (JSON), the vocabulary record, and the
/// document starts, in any state. Whatever they say, tokenizing must give exactly the ids, counts, document starts and
/// vocabulary of a clean run on the same corpus (rebuilding a damaged entry, with a warning); nothing is refused.
/// An input is a choice byte (character, word, or line-document level), then the three files separated by
/// <see cref="Separator"/>; a missing part keeps the clean run's file.
/// </summary>
internal sealed class TokenCacheTarget : FuzzTarget
{
    public override string Name => "token-cache";

    public override string Description => "token cache records (entry JSON, vocabulary JSON, document starts), then the ids a run gets";

    private static readonly byte[] Separator = "\n#####\n"u8.ToArray();

    private static readonly TokenizerChoice[] Choices =
    [
        new() { Level = TokenLevel.Char },
        new() { Level = TokenLevel.Word, Vocabulary = new VocabularyOptions { MinCount = 2 } },
        new() { Level = TokenLevel.Char, Documents = true },
    ];

    private const string Corpus = "the cat sat on the mat.\n\nthe dog sat on the log; a cat ran.\nÜber 🙂 tab\there\n";

    /// <summary>Per choice: the clean run's result and its files (entry record, vocabulary record, document starts).</summary>
    private sealed record Clean(int[] Ids, long[] Counts, long[]? Starts, string Tokenizer, string Entry, string Vocabulary, string Documents,
        byte[] EntryBytes, byte[] VocabularyBytes, byte[]? DocumentBytes);

    private static readonly Lazy<(TokenCache Cache, string Corpus, Clean[] Runs)> Setup = new(() =>
    {
        var cache = new TokenCache(Scratch.Path("cache"));
        var corpus = Scratch.Write("corpus.txt", Encoding.UTF8.GetBytes(Corpus));
        var runs = Choices.Select(choice =>
        {
            var before = Files(cache);
            using var result = CorpusEncoder.Encode(corpus, choice, cache);
            var added = Files(cache).Except(before).ToArray();
            var entry = added.Single(f => f.EndsWith(".json") && !f.EndsWith(".tokenizer.json") && !f.Contains("corpora"));
            var vocabulary = Directory.GetFiles(Path.GetDirectoryName(entry)!, "*.tokenizer.json").Single(f =>
                JsonSerializer.Deserialize(File.ReadAllBytes(f), TokenCacheJson.Default.LearnedVocabulary)!.Tokenizer!.Level == choice.Level.Name());
            var documents = Path.ChangeExtension(entry, ".docs");
            return new Clean(result.Ids.ToArray(), [.. result.Counts], result.DocumentStarts, Describe(result.Tokenizer), entry, vocabulary, documents,
                File.ReadAllBytes(entry), File.ReadAllBytes(vocabulary), File.Exists(documents) ? File.ReadAllBytes(documents) : null);
        }).ToArray();
        return (cache, corpus, runs);
    });

    private static string[] Files(TokenCache cache) =>
        Directory.Exists(cache.Directory) ? Directory.GetFiles(cache.Directory, "*", SearchOption.AllDirectories) : [];

    private static string Describe(ITokenizer tokenizer) => JsonSerializer.Serialize(tokenizer.Describe(), HeaderJson.Default.TokenizerDescription);

    public override bool Run(byte[] input)
    {
        if (input.Length == 0) return false;
        var (cache, corpus, runs) = Setup.Value;
        var choice = input[0] % Choices.Length;
        var clean = runs[choice];
        var parts = Split(input.AsSpan(1));
        File.WriteAllBytes(clean.Entry, parts.ElementAtOrDefault(0) ?? clean.EntryBytes);
        File.WriteAllBytes(clean.Vocabulary, parts.ElementAtOrDefault(1) ?? clean.VocabularyBytes);
        if ((parts.ElementAtOrDefault(2) ?? clean.DocumentBytes) is { } documents) File.WriteAllBytes(clean.Documents, documents);
        using var result = CorpusEncoder.Encode(corpus, Choices[choice], cache);
        var problem =
            !result.Ids.ToArray().SequenceEqual(clean.Ids) ? "ids" :
            !result.Counts.SequenceEqual(clean.Counts) ? "token counts" :
            !(result.DocumentStarts ?? []).SequenceEqual(clean.Starts ?? []) ? "document starts" :
            Describe(result.Tokenizer) != clean.Tokenizer ? "vocabulary" : null;
        if (problem is not null) throw new FuzzFinding($"the token cache served {problem} other than a clean run's");
        return true;
    }

    private static List<byte[]> Split(ReadOnlySpan<byte> rest)
    {
        var parts = new List<byte[]>();
        while (parts.Count < 2 && rest.IndexOf(Separator) is var at and >= 0)
        {
            parts.Add(rest[..at].ToArray());
            rest = rest[(at + Separator.Length)..];
        }
        parts.Add(rest.ToArray());
        return parts;
    }

    public override IEnumerable<(string, byte[])> Seeds()
    {
        var runs = Setup.Value.Runs;
        string[] names = ["char", "word", "documents"];
        for (var i = 0; i < runs.Length; i++)
        {
            byte[] bytes = [(byte)i, .. runs[i].EntryBytes, .. Separator, .. runs[i].VocabularyBytes, .. Separator, .. runs[i].DocumentBytes ?? []];
            yield return (names[i], bytes);
        }
    }
}
