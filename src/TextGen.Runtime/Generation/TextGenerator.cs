using System.Runtime.CompilerServices;
using TextGen.Inference;
using TextGen.Persistence;
using TextGen.Tokenization;

namespace TextGen.Generation;

/// <summary>
/// Generates text from a trained model: the public facade for programs that embed TextGen. Load once, then call
/// <see cref="Generate"/>, <see cref="Stream"/>, <see cref="GenerateStreamingAsync"/>, <see cref="GenerateMany"/> or
/// <see cref="Run(IReadOnlyList{GenerationRequest}, CancellationToken)"/> from any number of threads: the weights are
/// shared and read-only, every call has its own recurrent state. Every entry point goes through that one
/// <c>Run</c>, which steps any number of streams together as one batch.
/// </summary>
public sealed class TextGenerator
{
    private readonly TextModel _model;

    /// <param name="precision">How the engine computes its products: float32 (the reference), int8, or Auto, int8 where
    /// the CPU has AVX-VNNI and the model's training measured it as good as fp32 (<see cref="PrecisionChoice"/>).</param>
    public TextGenerator(TextModel model, GenerationPrecision precision = GenerationPrecision.Auto)
    {
        _model = model;
        Precision = PrecisionChoice.Resolve(precision, model.Metadata);
        Engine = new InferenceEngine(model.Weights, Precision.Precision);
        _newline = Tokenizer.Encode("\n").Ids;
        _endsLine = Enumerable.Range(0, Tokenizer.VocabularySize).Select(t => Tokenizer.TokenText(t).EndsWith('\n')).ToArray();
    }

    private readonly int[] _newline;
    private readonly bool[] _endsLine;

    public static TextGenerator Load(string path, GenerationPrecision precision = GenerationPrecision.Auto) => new(TextModel.Load(path), precision);

    /// <summary>The precision the engine runs in and why (for Auto: the CPU and the model's int8 check).</summary>
    public PrecisionChoice Precision { get; }

    public TextModel Model => _model;
    public ITokenizer Tokenizer => _model.Tokenizer;
    public ModelMetadata Metadata => _model.Metadata;
    public InferenceEngine Engine { get; }

    /// <summary>The prefix as the model will see it; unknown characters are dropped and counted.</summary>
    public EncodedText EncodePrefix(string prefix) => Tokenizer.Encode(TextNormalizer.Normalize(prefix));

    /// <summary>The generated continuation of <paramref name="prompt"/> (without the prompt).</summary>
    public string Generate(string prompt, SamplingOptions options, CancellationToken cancel = default) =>
        string.Concat(Stream(prompt, options, cancel));

    /// <summary>The continuation with why it ended and token counts.</summary>
    public GenerationResult Complete(string prompt, SamplingOptions options, CancellationToken cancel = default) =>
        Complete([new GenerationRequest(prompt, options)], cancel)[0];

    /// <summary>
    /// Every request's continuation, generated together as one batch; results in request order.
    /// <paramref name="observe"/> sees each update as it comes (the server times the first token with it).
    /// </summary>
    public GenerationResult[] Complete(IReadOnlyList<GenerationRequest> requests, CancellationToken cancel = default, Action<GenerationUpdate>? observe = null)
    {
        var collector = new GenerationCollector(requests.Count);
        foreach (var update in Run(requests, cancel))
        {
            collector.Add(update);
            observe?.Invoke(update);
        }
        return collector.Results();
    }

    /// <summary>
    /// <paramref name="count"/> samples of the same prompt generated together as one batch (faster than one by one);
    /// sample i uses <see cref="SamplingOptions.ForSample"/>(i).
    /// </summary>
    public string[] GenerateMany(string prompt, SamplingOptions options, int count, CancellationToken cancel = default) =>
        Complete(Samples(prompt, options, count), cancel).Select(r => r.Text).ToArray();

    /// <summary>The requests for <paramref name="count"/> samples of one prompt: sample i with <see cref="SamplingOptions.ForSample"/>(i).</summary>
    public static GenerationRequest[] Samples(string prompt, SamplingOptions options, int count) =>
        Enumerable.Range(0, count).Select(i => new GenerationRequest(prompt, options.ForSample(i))).ToArray();

    /// <summary>The continuation as it is generated, piece by piece; stops within one token of cancellation.</summary>
    public async IAsyncEnumerable<string> GenerateStreamingAsync(string prompt, SamplingOptions options, [EnumeratorCancellation] CancellationToken cancel = default)
    {
        await foreach (var update in RunAsync([new GenerationRequest(prompt, options)], cancel))
        {
            if (update.Text.Length > 0)
            {
                yield return update.Text;
            }
        }
    }

    /// <summary>Yields the continuation token by token (text held back only while it may be the start of a stop sequence).</summary>
    public IEnumerable<string> Stream(string prompt, SamplingOptions options, CancellationToken cancel = default) =>
        Run([new GenerationRequest(prompt, options)], cancel).Select(u => u.Text).Where(t => t.Length > 0);

    /// <summary><see cref="Run(IReadOnlyList{GenerationRequest}, CancellationToken)"/> for async callers (servers, chat clients); generation runs off the caller's thread.</summary>
    public async IAsyncEnumerable<GenerationUpdate> RunAsync(IReadOnlyList<GenerationRequest> requests, [EnumeratorCancellation] CancellationToken cancel = default)
    {
        await Task.Yield();
        foreach (var update in Run(requests, cancel))
        {
            yield return update;
        }
    }

    /// <summary>
    /// The generation loop. The requests are rows of one batch: each row reads its prompt, then samples; rows with
    /// shorter prompts start sampling while others still read. Each row yields one update per generated token (its
    /// text may be empty while held back for a stop sequence) and a last one that says why it ended, tagged with the
    /// row's index. A finished row stops costing sampling work; the batch ends when every row has.
    /// </summary>
    public IEnumerable<GenerationUpdate> Run(IReadOnlyList<GenerationRequest> requests, CancellationToken cancel = default)
    {
        foreach (var request in requests) request.Options.Validate();
        var rows = requests.Count;
        var vocabulary = Engine.VocabularySize;
        // One logit per token per row: the batch size is bounded by what that costs, not by an int overflow.
        var perRow = Math.Max(vocabulary, Engine.StateWidth);
        if ((long)rows * perRow > MaxBatchLogits)
        {
            throw new SettingException("n", $"{rows} samples of this model are too many for one batch; use at most {MaxBatchLogits / perRow}.");
        }
        var prompts = requests.Select(r => EncodePrefix(r.Prompt).Ids).ToArray();
        var contexts = prompts.Select(Context).ToArray();
        var samples = requests.Select(r => new SampleState(this, r.Options)).ToArray();
        var warming = requests.Select((r, i) => WarmsUp(prompts[i], r.Options) ? 0 : -1).ToArray(); // warm-up tokens so far; -1 when none
        var read = new int[rows];      // prompt tokens stepped so far
        var generated = new int[rows];
        var last = new int[rows];      // the token each sampling row steps next
        var active = Enumerable.Repeat(true, rows).ToArray();
        var inputs = new int[rows];
        var state = Engine.NewState(rows);
        var logits = new float[rows * vocabulary];
        var remaining = rows;
        using var stream = RowWorkers.EnterStream();
        while (remaining > 0)
        {
            cancel.ThrowIfCancellationRequested();
            for (var i = 0; i < rows; i++)
            {
                inputs[i] = !active[i] ? 0 : read[i] < contexts[i].Length ? contexts[i][read[i]] : last[i];
            }
            Engine.Step(inputs, state, logits);
            for (var i = 0; i < rows; i++)
            {
                if (!active[i]) continue;
                if (read[i] < contexts[i].Length)
                {
                    samples[i].Remember(contexts[i][read[i]++]);
                    if (read[i] < contexts[i].Length) continue;
                }
                if (warming[i] >= 0)
                {
                    last[i] = samples[i].Pick(logits.AsSpan(i * vocabulary, vocabulary));
                    samples[i].Remember(last[i]);
                    warming[i]++;
                    var atLineStart = EndsLine(last[i]);
                    if (atLineStart && warming[i] >= MinWarmUp || warming[i] >= MaxWarmUp) warming[i] = -1;
                    continue;
                }
                var update = Sample(i, samples[i], logits.AsSpan(i * vocabulary, vocabulary), requests[i].Options.Length, contexts[i].Length, ref generated[i], out last[i]);
                if (update.Finish is not null)
                {
                    active[i] = false;
                    remaining--;
                }
                yield return update;
                if (active[i] && generated[i] == requests[i].Options.Length)
                {
                    active[i] = false;
                    remaining--;
                    yield return new GenerationUpdate(i, samples[i].Flush(), FinishReason.Length, contexts[i].Length, generated[i]);
                }
            }
        }
    }

    /// <summary>Row <paramref name="index"/>'s next token from its logits, or the end of the row.</summary>
    private GenerationUpdate Sample(int index, SampleState sample, ReadOnlySpan<float> logits, int length, int promptTokens, ref int generated, out int next)
    {
        next = 0;
        if (generated >= length)
        {
            return new GenerationUpdate(index, sample.Flush(), FinishReason.Length, promptTokens, generated);
        }
        next = sample.Pick(logits);
        generated++;
        var logprob = sample.Logprob(logits, next);
        if (next == EndOfDocument)
        {
            return new GenerationUpdate(index, sample.End(), FinishReason.Stop, promptTokens, generated) { Logprob = logprob };
        }
        var piece = sample.Emit(next);
        return new GenerationUpdate(index, piece, sample.Finished ? FinishReason.Stop : null, promptTokens, generated) { Logprob = logprob };
    }

    /// <summary>The likeliest next tokens after <paramref name="context"/>, with their probabilities (for interactive sampling).</summary>
    public IReadOnlyList<(int Token, string Text, double Probability)> NextTokens(string context, int count)
    {
        var state = Engine.NewState();
        var logits = new float[Engine.VocabularySize];
        foreach (var token in Context(EncodePrefix(context).Ids))
        {
            Engine.Step([token], state, logits);
        }
        var max = logits.Max();
        var weights = logits.Select(l => Math.Exp(l - max)).ToArray();
        var total = weights.Sum();
        return Enumerable.Range(0, weights.Length)
            .OrderByDescending(i => weights[i])
            .Take(count)
            .Select(i => (i, Tokenizer.TokenText(i), weights[i] / total))
            .ToArray();
    }

    /// <summary>
    /// A sample with no prompt starts where training text starts: at a line start, with a state warmed on text. From a
    /// zero state the first tokens come out as junk (`XF3ן*:ŒO7` on the Moby-Dick model); so the model first writes,
    /// unseen, until a line break at least <see cref="MinWarmUp"/> tokens in (at most <see cref="MaxWarmUp"/>), and
    /// the sample begins after it. Document models start from their start marker instead, as they were trained.
    /// </summary>
    private bool WarmsUp(int[] prompt, SamplingOptions options) =>
        prompt.Length == 0 && options.Length > 0 && Tokenizer is not DocumentTokenizer && _newline.Length > 0;

    /// <summary>Whether a token's text ends a line (a newline token, or a BPE or word token that ends with one).</summary>
    private bool EndsLine(int token) => _endsLine[token];

    private const int MinWarmUp = 16;
    private const int MaxWarmUp = 512;

    /// <summary>Logits one batch may hold: 64 M floats (256 MB).</summary>
    private const long MaxBatchLogits = 1L << 26;

    /// <summary>The end-of-document token of a documents model (generation stops there), or -1.</summary>
    private int EndOfDocument => Tokenizer is DocumentTokenizer documents ? documents.End : -1;

    /// <summary>
    /// The tokens stepped before sampling. A documents model starts every sample with its start marker; otherwise,
    /// with no prompt, the model starts as at the beginning of a paragraph (a newline) if it knows one.
    /// </summary>
    private int[] Context(int[] ids)
    {
        if (Tokenizer is DocumentTokenizer documents)
        {
            return [documents.Start, .. ids];
        }
        if (ids.Length > 0)
        {
            return ids;
        }
        return _newline.Length > 0 ? _newline : [0];
    }

    /// <summary>One sample's sampler state: its random numbers, recent tokens, stop filter and output.</summary>
    private sealed class SampleState(TextGenerator generator, SamplingOptions options)
    {
        private readonly Random _random = options.Seed is { } seed ? new Random(seed) : new Random();
        private readonly Queue<int> _recent = new();
        private readonly StopSequenceFilter _stops = new(options.StopSequences);
        private readonly ITokenStreamDecoder _decoder = generator.Tokenizer.NewStreamDecoder();

        private bool _ended;

        public bool Finished => _stops.Stopped || _ended;

        /// <summary>The document ended: release what is held back and finish.</summary>
        public string End()
        {
            var rest = Flush();
            _ended = true;
            return rest;
        }

        public void Remember(int token)
        {
            _recent.Enqueue(token);
            if (_recent.Count > SamplingOptions.RepetitionWindow) _recent.Dequeue();
        }

        private readonly int[] _recentBuffer = new int[SamplingOptions.RepetitionWindow];

        public int Pick(ReadOnlySpan<float> logits)
        {
            _recent.CopyTo(_recentBuffer, 0);
            return Sampler.Next(logits, options, _random, _recentBuffer.AsSpan(0, _recent.Count));
        }

        private float[]? _logprobs;

        /// <summary>
        /// The log-probability of <paramref name="token"/>, just picked from <paramref name="logits"/> (the recent
        /// tokens as the pick saw them), and the likeliest alternatives; null unless the options ask for them.
        /// </summary>
        public TokenLogprob? Logprob(ReadOnlySpan<float> logits, int token)
        {
            if (options.Logprobs is not { } count) return null;
            _logprobs ??= new float[logits.Length];
            Sampler.LogProbabilities(logits, options, _recentBuffer.AsSpan(0, _recent.Count), _logprobs);
            var tokenizer = generator.Tokenizer;
            var top = Likeliest(_logprobs, count).Select(i => new TokenAlternative(i, tokenizer.TokenText(i), _logprobs[i])).ToArray();
            return new TokenLogprob(token, tokenizer.TokenText(token), _logprobs[token], top);
        }

        /// <summary>The indices of the <paramref name="count"/> largest values, largest first (ties: lower index first), in one pass.</summary>
        private static int[] Likeliest(float[] values, int count)
        {
            var best = new int[Math.Min(count, values.Length)];
            if (best.Length == 0) return best;
            var found = 0;
            for (var i = 0; i < values.Length; i++)
            {
                if (found == best.Length && values[i] <= values[best[^1]]) continue;
                var at = found < best.Length ? found++ : best.Length - 1;
                while (at > 0 && values[best[at - 1]] < values[i])
                {
                    best[at] = best[at - 1];
                    at--;
                }
                best[at] = i;
            }
            return best;
        }

        public string Emit(int token)
        {
            Remember(token);
            return _stops.Push(_decoder.Push(token));
        }

        public string Flush()
        {
            if (_stops.Stopped)
            {
                return "";
            }
            var rest = _stops.Push(_decoder.Flush());
            return rest + (_stops.Stopped ? "" : _stops.Flush());
        }
    }
}
