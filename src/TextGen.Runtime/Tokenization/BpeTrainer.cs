using System.Text;
using System.Text.RegularExpressions;
using TextGen.Settings;

namespace TextGen.Tokenization;

/// <summary>
/// Learns byte-level BPE merges from a corpus: pieces from GPT-2's pre-tokenization regex are counted once per
/// distinct piece, then the most frequent adjacent pair is merged until the vocabulary reaches its size. Pair counts
/// are updated incrementally in the pieces that contain the merged pair, so a 10 MB corpus trains in seconds.
/// </summary>
public static partial class BpeTrainer
{
    public const int ByteAlphabet = 256;

    /// <summary>GPT-2's pre-tokenization; <see cref="TextPieces.Bpe"/> splits text the same way, faster.</summary>
    [GeneratedRegex(@"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    public static partial Regex PreTokenization();

    /// <summary>
    /// Distinct pieces the merges are learned from, at most (the most frequent): learning from every piece of a very
    /// large corpus costs several times the time and memory, while the most frequent pieces hold nearly all of its
    /// occurrences (docs/corpora.md has the measurements).
    /// </summary>
    public const int MaxLearningPieces = 200_000;

    /// <summary>How often each pre-token piece occurs in <paramref name="text"/>.</summary>
    public static Dictionary<string, long> CountPieces(string text)
    {
        var pieceCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        var lookup = pieceCounts.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var (offset, length) in TextPieces.Bpe(text))
        {
            ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(lookup, text.AsSpan(offset, length), out _);
            count++;
        }
        return pieceCounts;
    }

    /// <summary>The learned vocabulary (byte-map strings, id order: 256 bytes then merges) and merges ("left right").</summary>
    public static (string[] Vocabulary, string[] Merges) Train(string text, int vocabularySize) => Train(CountPieces(text), vocabularySize);

    /// <summary>
    /// Learns from piece counts (<see cref="CountPieces"/>, added up over a corpus): memory and time depend on the
    /// distinct pieces, not on the corpus size.
    /// </summary>
    public static (string[] Vocabulary, string[] Merges) Train(IReadOnlyDictionary<string, long> pieceCounts, int vocabularySize)
    {
        Declared<VocabularyOptions>.Named("vocab-size").Check(vocabularySize);
        var pieces = LearningPieces(pieceCounts);
        var words = pieces.Select(p => Encoding.UTF8.GetBytes(p.Key).Select(b => (int)b).ToList()).ToList();
        var counts = pieces.Select(p => p.Value).ToArray();

        var pairCounts = new Dictionary<(int, int), long>();
        var pairWords = new Dictionary<(int, int), HashSet<int>>();
        var queue = new PriorityQueue<(int, int), (long, int, int)>(); // may hold stale counts; checked when dequeued
        var changed = new HashSet<(int, int)>(); // pairs whose count a merge changed: queued once per merge, not once per word
        for (var w = 0; w < words.Count; w++) AddPairs(w, +1);
        QueueChanged();

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
            foreach (var w in pairWords[best])
            {
                if (!Contains(words[w], best)) continue; // an earlier merge took the pair out of this word
                AddPairs(w, -1);
                words[w] = MergeIn(words[w], best, merged);
                AddPairs(w, +1);
            }
            pairWords.Remove(best);
            pairCounts.Remove(best);
            changed.Remove(best);
            QueueChanged();
        }
        return ([.. vocabulary], [.. merges]);

        void AddPairs(int w, int sign)
        {
            var symbols = words[w];
            for (var i = 0; i + 1 < symbols.Count; i++)
            {
                var pair = (symbols[i], symbols[i + 1]);
                pairCounts[pair] = pairCounts.GetValueOrDefault(pair) + sign * counts[w];
                changed.Add(pair);
                if (sign > 0)
                {
                    if (!pairWords.TryGetValue(pair, out var set)) pairWords[pair] = set = [];
                    set.Add(w);
                }
            }
        }

        void QueueChanged()
        {
            foreach (var pair in changed)
            {
                if (pairCounts.GetValueOrDefault(pair) is var count and > 0) queue.Enqueue(pair, Priority(pair, count));
            }
            changed.Clear();
        }
    }

    /// <summary>
    /// The most frequent pieces only, past <see cref="MaxLearningPieces"/>: they hold nearly every occurrence, and the merge
    /// tables cost about 1 KB per piece. Ordinal order, so the merges do not depend on the order pieces were counted in.
    /// </summary>
    private static KeyValuePair<string, long>[] LearningPieces(IReadOnlyDictionary<string, long> pieceCounts) =>
        (pieceCounts.Count <= MaxLearningPieces ? pieceCounts
            : pieceCounts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(MaxLearningPieces))
        .OrderBy(p => p.Key, StringComparer.Ordinal).ToArray();

    private static bool Contains(List<int> symbols, (int A, int B) pair)
    {
        for (var i = 0; i + 1 < symbols.Count; i++)
        {
            if (symbols[i] == pair.A && symbols[i + 1] == pair.B) return true;
        }
        return false;
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
