using System.Text;
using System.Text.RegularExpressions;

namespace TextGen.Tokenization;

/// <summary>
/// Learns byte-level BPE merges from a corpus: pieces from GPT-2's pre-tokenization regex are counted once per
/// distinct piece, then the most frequent adjacent pair is merged until the vocabulary reaches its size. Pair counts
/// are updated incrementally in the pieces that contain the merged pair, so a 10 MB corpus trains in seconds.
/// </summary>
public static partial class BpeTrainer
{
    public const int ByteAlphabet = 256;

    [GeneratedRegex(@"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    public static partial Regex PreTokenization();

    /// <summary>The learned vocabulary (byte-map strings, id order: 256 bytes then merges) and merges ("left right").</summary>
    public static (string[] Vocabulary, string[] Merges) Train(string text, int vocabularySize)
    {
        VocabularySettings.BpeVocabularySize.Check(vocabularySize);
        var pieceCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var match in PreTokenization().EnumerateMatches(text))
        {
            var key = text.Substring(match.Index, match.Length);
            pieceCounts[key] = pieceCounts.GetValueOrDefault(key) + 1;
        }
        var words = pieceCounts.Keys.Select(p => Encoding.UTF8.GetBytes(p).Select(b => (int)b).ToList()).ToList();
        var counts = pieceCounts.Values.ToArray();

        var pairCounts = new Dictionary<(int, int), long>();
        var pairWords = new Dictionary<(int, int), HashSet<int>>();
        var queue = new PriorityQueue<(int, int), (long, int, int)>(); // may hold stale counts; checked when dequeued
        for (var w = 0; w < words.Count; w++) AddPairs(w, +1);

        var vocabulary = Enumerable.Range(0, ByteAlphabet).Select(b => ByteLevel.ByteToChar[b].ToString()).ToList();
        var merges = new List<string>();
        while (vocabulary.Count < vocabularySize && queue.TryDequeue(out var best, out var priority))
        {
            var current = pairCounts.GetValueOrDefault(best);
            if (current <= 0) continue;
            if (-priority.Item1 != current)
            {
                queue.Enqueue(best, Priority(best, current)); // stale entry: requeue with the current count
                continue;
            }
            var merged = vocabulary.Count;
            vocabulary.Add(vocabulary[best.Item1] + vocabulary[best.Item2]);
            merges.Add(vocabulary[best.Item1] + " " + vocabulary[best.Item2]);
            foreach (var w in pairWords[best].ToArray())
            {
                AddPairs(w, -1);
                words[w] = MergeIn(words[w], best, merged);
                AddPairs(w, +1);
            }
            pairWords.Remove(best);
            pairCounts.Remove(best);
        }
        return ([.. vocabulary], [.. merges]);

        void AddPairs(int w, int sign)
        {
            var symbols = words[w];
            for (var i = 0; i + 1 < symbols.Count; i++)
            {
                var pair = (symbols[i], symbols[i + 1]);
                var updated = pairCounts.GetValueOrDefault(pair) + sign * counts[w];
                pairCounts[pair] = updated;
                if (sign > 0)
                {
                    if (!pairWords.TryGetValue(pair, out var set)) pairWords[pair] = set = [];
                    set.Add(w);
                    queue.Enqueue(pair, Priority(pair, updated));
                }
            }
        }
    }

    /// <summary>Highest count first; ties broken by the pair's ids so training is deterministic.</summary>
    private static (long, int, int) Priority((int A, int B) pair, long count) => (-count, pair.A, pair.B);

    private static List<int> MergeIn(List<int> symbols, (int A, int B) pair, int merged)
    {
        var result = new List<int>(symbols.Count);
        for (var i = 0; i < symbols.Count; i++)
        {
            if (i + 1 < symbols.Count && symbols[i] == pair.A && symbols[i + 1] == pair.B)
            {
                result.Add(merged);
                i++;
            }
            else
            {
                result.Add(symbols[i]);
            }
        }
        return result;
    }
}
