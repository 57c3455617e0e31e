using System.Runtime.CompilerServices;
using TextGen.Inference;
using TextGen.Persistence;
using TextGen.Tokenization;

namespace TextGen.Generation;

/// <summary>
/// Generates text from a trained model: the public facade for programs that embed TextGen. Load once, then call
/// <see cref="Generate"/>, <see cref="Stream"/>, <see cref="GenerateStreamingAsync"/> or <see cref="GenerateMany"/>
/// from any number of threads: the weights are shared and read-only, every call has its own recurrent state.
/// </summary>
public sealed class TextGenerator : IDisposable
{
    private readonly TrainedModel _model;

    public TextGenerator(TrainedModel model)
    {
        _model = model;
        Engine = new CpuLanguageModel(model.Network);
    }

    public static TextGenerator Load(string path) => new(TrainedModel.Load(path));

    public ITokenizer Tokenizer => _model.Tokenizer;
    public ModelMetadata Metadata => _model.Metadata;
    public CpuLanguageModel Engine { get; }

    /// <summary>The prefix as the model will see it; unknown characters are dropped and counted.</summary>
    public EncodedText EncodePrefix(string prefix) => Tokenizer.Encode(TextNormalizer.Normalize(prefix));

    /// <summary>The generated continuation of <paramref name="prompt"/> (without the prompt).</summary>
    public string Generate(string prompt, SamplingOptions options, CancellationToken cancel = default) =>
        string.Concat(Stream(prompt, options, cancel));

    /// <summary>The continuation with why it ended and token counts.</summary>
    public GenerationResult Complete(string prompt, SamplingOptions options, CancellationToken cancel = default)
    {
        var text = new System.Text.StringBuilder();
        GenerationUpdate? last = null;
        foreach (var update in Run(prompt, options, cancel))
        {
            text.Append(update.Text);
            last = update;
        }
        return new GenerationResult(text.ToString(), last!.Finish!.Value, last.PromptTokens, last.CompletionTokens);
    }

    /// <summary>The continuation as it is generated, piece by piece; stops within one token of cancellation.</summary>
    public async IAsyncEnumerable<string> GenerateStreamingAsync(string prompt, SamplingOptions options, [EnumeratorCancellation] CancellationToken cancel = default)
    {
        await foreach (var update in RunAsync(prompt, options, cancel))
        {
            if (update.Text.Length > 0)
            {
                yield return update.Text;
            }
        }
    }

    /// <summary>Yields the continuation token by token (text held back only while it may be the start of a stop sequence).</summary>
    public IEnumerable<string> Stream(string prompt, SamplingOptions options, CancellationToken cancel = default) =>
        Run(prompt, options, cancel).Select(u => u.Text).Where(t => t.Length > 0);

    /// <summary><see cref="Run"/> for async callers (servers, chat clients); generation runs off the caller's thread.</summary>
    public async IAsyncEnumerable<GenerationUpdate> RunAsync(string prompt, SamplingOptions options, [EnumeratorCancellation] CancellationToken cancel = default)
    {
        await Task.Yield();
        foreach (var update in Run(prompt, options, cancel))
        {
            yield return update;
        }
    }

    /// <summary>
    /// One update per generated token (its text may be empty while held back for a stop sequence), and a last one
    /// that says why generation ended.
    /// </summary>
    public IEnumerable<GenerationUpdate> Run(string prompt, SamplingOptions options, CancellationToken cancel = default)
    {
        options.Validate();
        var stream = new GenerationStream(this, options);
        var state = Engine.NewState();
        var logits = new float[Engine.VocabularySize];
        var context = Context(prompt);
        foreach (var token in context)
        {
            Engine.Step([token], state, logits);
            stream.Remember(token);
        }
        var generated = 0;
        while (generated < options.Length && !stream.Finished)
        {
            cancel.ThrowIfCancellationRequested();
            var next = stream.Pick(logits);
            generated++;
            if (next == EndOfDocument)
            {
                yield return new GenerationUpdate(stream.End(), FinishReason.Stop, context.Length, generated);
                yield break;
            }
            var piece = stream.Emit(next);
            if (stream.Finished)
            {
                yield return new GenerationUpdate(piece, FinishReason.Stop, context.Length, generated);
                yield break;
            }
            yield return new GenerationUpdate(piece, null, context.Length, generated);
            if (generated < options.Length)
            {
                Engine.Step([next], state, logits);
            }
        }
        yield return new GenerationUpdate(stream.Flush(), FinishReason.Length, context.Length, generated);
    }

    /// <summary>
    /// <paramref name="count"/> samples of the same prompt generated together as one batch (faster than one by one);
    /// sample i uses <see cref="SamplingOptions.ForSample"/>(i).
    /// </summary>
    public string[] GenerateMany(string prompt, SamplingOptions options, int count, CancellationToken cancel = default)
    {
        options.Validate();
        var vocabulary = Engine.VocabularySize;
        var streams = Enumerable.Range(0, count).Select(i => new GenerationStream(this, options.ForSample(i))).ToArray();
        var state = Engine.NewState(count);
        var logits = new float[count * vocabulary];
        var tokens = new int[count];
        foreach (var token in Context(prompt))
        {
            Array.Fill(tokens, token);
            Engine.Step(tokens, state, logits);
            foreach (var stream in streams) stream.Remember(token);
        }
        for (var i = 0; i < options.Length && streams.Any(s => !s.Finished); i++)
        {
            cancel.ThrowIfCancellationRequested();
            for (var s = 0; s < count; s++)
            {
                tokens[s] = streams[s].Pick(logits.AsSpan(s * vocabulary, vocabulary));
                if (streams[s].Finished) continue;
                if (tokens[s] == EndOfDocument) streams[s].End();
                else streams[s].Emit(tokens[s]);
            }
            if (i + 1 < options.Length)
            {
                Engine.Step(tokens, state, logits);
            }
        }
        return streams.Select(s => s.Text()).ToArray();
    }

    /// <summary>The likeliest next tokens after <paramref name="context"/>, with their probabilities (for interactive sampling).</summary>
    public IReadOnlyList<(int Token, string Text, double Probability)> NextTokens(string context, int count)
    {
        var state = Engine.NewState();
        var logits = new float[Engine.VocabularySize];
        foreach (var token in Context(context))
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

    /// <summary>The end-of-document token of a documents model (generation stops there), or -1.</summary>
    private int EndOfDocument => Tokenizer is DocumentTokenizer documents ? documents.End : -1;

    /// <summary>
    /// The prompt's tokens. A documents model starts every sample with its start marker; otherwise, with no prompt,
    /// the model starts as at the beginning of a paragraph (a newline) if it knows one.
    /// </summary>
    private int[] Context(string prompt)
    {
        var ids = EncodePrefix(prompt).Ids;
        if (Tokenizer is DocumentTokenizer documents)
        {
            return [documents.Start, .. ids];
        }
        if (ids.Length > 0)
        {
            return ids;
        }
        var newline = Tokenizer.Encode("\n").Ids;
        return newline.Length > 0 ? newline : [0];
    }

    public void Dispose() => _model.Dispose();

    /// <summary>One sample's sampler state: its random numbers, recent tokens, stop filter and output.</summary>
    private sealed class GenerationStream(TextGenerator generator, SamplingOptions options)
    {
        private readonly Random _random = options.Seed is { } seed ? new Random(seed) : new Random();
        private readonly Queue<int> _recent = new();
        private readonly StopSequenceFilter _stops = new(options.StopSequences);
        private readonly System.Text.StringBuilder _text = new();
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

        public string Emit(int token)
        {
            Remember(token);
            var piece = _stops.Push(_decoder.Push(token));
            _text.Append(piece);
            return piece;
        }

        public string Flush()
        {
            if (_stops.Stopped)
            {
                return "";
            }
            var rest = _stops.Push(_decoder.Flush());
            rest += _stops.Stopped ? "" : _stops.Flush();
            _text.Append(rest);
            return rest;
        }

        public string Text()
        {
            Flush();
            return _text.ToString();
        }
    }
}
