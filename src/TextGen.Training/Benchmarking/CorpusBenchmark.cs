using System.Diagnostics;
using System.Text;
using TextGen.Data;
using TextGen.Tokenization;

namespace TextGen.Benchmarking;

/// <summary>Tokenizing a generated corpus at one level: each pass's speed, the cached start, and reading ids for training.</summary>
/// <param name="HashMegabytesPerSecond">Hashing the file (the cache key), MB/s.</param>
/// <param name="LearnMegabytesPerSecond">Learning the vocabulary (every core counting pieces), MB/s.</param>
/// <param name="TokenizeMegabytesPerSecond">Encoding and writing the ids (every core encoding pieces), MB/s.</param>
/// <param name="CachedSeconds">Opening the same corpus again: found in the cache.</param>
/// <param name="StreamTokensPerSecond">Training batches read from the cached ids (batch x sequence windows across the corpus).</param>
public sealed record CorpusThroughput(string Level, double Megabytes, long Tokens, double HashMegabytesPerSecond, double LearnMegabytesPerSecond,
    double TokenizeMegabytesPerSecond, double CachedSeconds, double StreamTokensPerSecond);

/// <summary>Measures the token cache's passes on a corpus generated in a temporary folder (removed afterwards).</summary>
public static class CorpusBenchmark
{
    public static IReadOnlyList<CorpusThroughput> Run(int megabytes, int batch, int sequence, double seconds, IReadOnlyList<TokenLevel> levels, CancellationToken cancel = default)
    {
        var folder = Directory.CreateTempSubdirectory("textgen-bench-corpus-");
        try
        {
            var path = Path.Combine(folder.FullName, "generated.txt");
            GenerateProse(path, (long)megabytes << 20, seed: 1);
            return levels.Select(level => Measure(path, level, batch, sequence, seconds, new TokenCache(Path.Combine(folder.FullName, "cache-" + level.Name())), cancel)).ToArray();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static CorpusThroughput Measure(string path, TokenLevel level, int batch, int sequence, double seconds, TokenCache cache, CancellationToken cancel)
    {
        var stages = new StageClock();
        var choice = new TokenizerChoice { Level = level };
        using (CorpusEncoder.Encode(path, choice, cache, stages, cancel)) { }
        var megabytes = new FileInfo(path).Length / 1e6;
        var cached = Stopwatch.StartNew();
        using var corpus = CorpusEncoder.Encode(path, choice, cache, cancel: cancel);
        var cachedSeconds = cached.Elapsed.TotalSeconds;
        if (!corpus.FromCache) throw new InvalidOperationException("the second pass missed the cache");

        var batches = new StreamBatcher(corpus.Ids, batch, sequence);
        var inputs = new long[batches.TokensPerStep];
        var targets = new long[batches.TokensPerStep];
        var clock = Stopwatch.StartNew();
        long tokens = 0;
        for (var step = 0; clock.Elapsed.TotalSeconds < seconds; step = (step + 997) % batches.StepsPerEpoch)
        {
            batches.Fill(step, inputs, targets);
            tokens += batches.TokensPerStep;
        }
        return new CorpusThroughput(level.Name(), megabytes, corpus.Ids.Length, megabytes / stages.Seconds("hashing"),
            megabytes / stages.Seconds("learning the vocabulary"), megabytes / stages.Seconds("tokenizing"), cachedSeconds, tokens / clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// English-like prose of <paramref name="bytes"/> bytes: words drawn by Zipf's law (exponent 1.1) from 200,000 made-up
    /// words, sentences with commas and full stops, lines of about 70 characters, a blank line between paragraphs.
    /// Unlike copies of one book, its vocabulary keeps growing with its size, as a real large corpus's does.
    /// </summary>
    public static void GenerateProse(string path, long bytes, int seed)
    {
        var random = new Random(seed);
        string[] syllables = ["th", "e", "an", "re", "on", "at", "en", "nd", "ti", "es", "or", "te", "of", "ed", "is", "it", "al", "ar", "st", "to",
            "nt", "ng", "se", "ha", "as", "ou", "io", "le", "ve", "co", "me", "de", "hi", "ri", "ro", "ic", "ne", "ea", "ra", "ce"];
        var words = new string[200_000];
        var weights = new double[words.Length];
        double total = 0;
        for (var i = 0; i < words.Length; i++)
        {
            var count = 1 + Math.Min(4, (int)Math.Log2(i + 2) / 4 + random.Next(2));
            words[i] = string.Concat(Enumerable.Range(0, count).Select(_ => syllables[random.Next(syllables.Length)]));
            weights[i] = total += 1 / Math.Pow(i + 1, 1.1);
        }
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        long written = 0;
        var line = new StringBuilder();
        var startOfSentence = true;
        while (written < bytes)
        {
            var at = Array.BinarySearch(weights, random.NextDouble() * total);
            var word = words[Math.Min(at < 0 ? ~at : at, words.Length - 1)];
            if (startOfSentence) word = char.ToUpperInvariant(word[0]) + word[1..];
            line.Append(line.Length == 0 ? "" : " ").Append(word);
            var end = random.Next(14);
            line.Append(end == 0 ? "." : end == 1 ? "," : "");
            startOfSentence = end == 0;
            if (line.Length >= 70)
            {
                var paragraph = startOfSentence && random.Next(6) == 0;
                line.Append(paragraph ? "\n\n" : "\n");
                writer.Write(line);
                written += Encoding.UTF8.GetByteCount(line.ToString());
                line.Clear();
            }
        }
    }

    /// <summary>Seconds per pass, from the reports: a pass ends with its last report and the next begins there.</summary>
    private sealed class StageClock : IProgress<ByteProgress>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly Dictionary<string, (double Start, double End)> _stages = [];
        private double _lastEnd;

        public void Report(ByteProgress value)
        {
            var now = _clock.Elapsed.TotalSeconds;
            _stages[value.Stage] = _stages.TryGetValue(value.Stage, out var known) ? (known.Start, now) : (_lastEnd, now);
            _lastEnd = now;
        }

        public double Seconds(string stage) => _stages.TryGetValue(stage, out var s) ? Math.Max(s.End - s.Start, 1e-6) : double.NaN;
    }
}
