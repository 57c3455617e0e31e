using CsCheck;
using TextGen.Generation;

namespace TextGen.Tests.Properties;

/// <summary>What sampling and stop sequences guarantee for any logits, options, text and chunking.</summary>
public class GenerationProperties
{
    private static readonly Gen<SamplingOptions> Options = Gen.Select(Gen.Double[0, 5], Gen.Int[0, 12], Gen.Double[0.01, 1], Gen.Double[1, 3]).Select(
        (temperature, topK, topP, penalty) => new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP, RepetitionPenalty = penalty });

    private static readonly Gen<float[]> Logits = Gen.Frequency((3, Gen.Float[-20, 20]), (1, Gen.Const(0f))).Array[1, 40];

    [Fact]
    public void SamplingPicksATokenTheOptionsAllow() =>
        Gen.Select(Logits, Options, Gen.Int[0, 60].Array[0, 8], Gen.Int).Sample((logits, options, recent, seed) =>
        {
            options.Validate();
            var token = Sampler.Next(logits, options, new Random(seed), recent);
            Assert.InRange(token, 0, logits.Length - 1);
            var adjusted = Penalized(logits, recent, options.RepetitionPenalty);
            if (options.Temperature == 0 || options.TopK == 1)
            {
                Assert.Equal(Sampler.ArgMax(adjusted), token);
                return;
            }
            // Both limits are on probabilities: weights exp((logit - max) / T) as the sampler computes them, so logits
            // closer than a double's precision after scaling are ties, and either may be picked.
            var max = adjusted.Max();
            var weights = adjusted.Select(l => Math.Exp((l - max) / options.Temperature)).ToArray();
            var descending = weights.OrderDescending().ToArray();
            var picked = weights[token] * (1 + 1e-12);
            if (options.TopK > 0 && options.TopK < weights.Length)
            {
                Assert.True(picked >= descending[options.TopK - 1], $"token {token} is outside the top {options.TopK}");
            }
            // Top-p keeps the likeliest tokens until their share reaches p: nothing less likely than the one crossing p.
            double total = descending.Sum(), share = 0;
            var crossing = descending.Length - 1;
            for (var i = 0; i < descending.Length; i++)
            {
                share += descending[i] / total;
                if (share >= options.TopP) { crossing = i; break; }
            }
            Assert.True(picked >= descending[crossing] * (1 - 1e-9), $"token {token} is outside the top-p {options.TopP} set");
        }, iter: 2000);

    private static float[] Penalized(float[] logits, int[] recent, double penalty)
    {
        var adjusted = (float[])logits.Clone();
        foreach (var id in recent.Where(id => id < adjusted.Length).Distinct())
        {
            adjusted[id] = adjusted[id] > 0 ? adjusted[id] / (float)penalty : adjusted[id] * (float)penalty;
        }
        return adjusted;
    }

    [Fact]
    public void StopSequencesCutAtTheFirstToCompleteWhateverTheChunks() =>
        Gen.Select(Gen.Char["ab\n"].Array[0, 40], Gen.Char["ab\n"].Array[1, 4].Array[1, 3], Gen.Int[1, 6].Array[1, 40]).Sample((chars, stopChars, cuts) =>
        {
            var text = new string(chars);
            var stops = stopChars.Select(s => new string(s)).ToArray();
            var filter = new StopSequenceFilter(stops);
            var shown = new System.Text.StringBuilder();
            var at = 0;
            foreach (var cut in cuts.Append(int.MaxValue))
            {
                if (filter.Stopped || at >= text.Length) break;
                var piece = text.Substring(at, Math.Min(cut, text.Length - at));
                at += piece.Length;
                shown.Append(filter.Push(piece));
            }
            if (!filter.Stopped) shown.Append(filter.Flush());
            // Generation ends when a stop sequence completes: the first to complete wins (the leftmost of those completing
            // together), and the text shown is what came before it, however the text was cut into tokens.
            var found = stops.Select(s => (Start: text.IndexOf(s, StringComparison.Ordinal), End: text.IndexOf(s, StringComparison.Ordinal) + s.Length))
                .Where(f => f.Start >= 0).OrderBy(f => f.End).ThenBy(f => f.Start).ToArray();
            Assert.Equal(found.Length > 0, filter.Stopped);
            Assert.Equal(found.Length > 0 ? text[..found[0].Start] : text, shown.ToString());
        }, iter: 3000);
}
