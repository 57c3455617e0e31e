using TextGen.Modeling;
using TextGen.Persistence;
using TextGen.Tokenization;
using static TorchSharp.torch;

namespace TextGen.Generation;

/// <summary>
/// Generates text from a trained model: the public facade for programs that embed TextGen.
/// Load once, then call <see cref="Generate"/> or <see cref="Stream"/>; calls are serialised internally.
/// </summary>
public sealed class TextGenerator : IDisposable
{
    private readonly TrainedModel _model;
    private readonly object _gate = new();

    public TextGenerator(TrainedModel model)
    {
        _model = model;
        _model.Network.eval();
    }

    public static TextGenerator Load(string path) => new(TrainedModel.Load(path));

    public ITokenizer Tokenizer => _model.Tokenizer;
    public ModelMetadata Metadata => _model.Metadata;

    /// <summary>The prefix as the model will see it; unknown characters are dropped and counted.</summary>
    public EncodedText EncodePrefix(string prefix) => Tokenizer.Encode(TextNormalizer.Normalize(prefix));

    /// <summary>The generated continuation of <paramref name="prefix"/> (without the prefix).</summary>
    public string Generate(string prefix, SamplingOptions options, CancellationToken cancel = default) =>
        string.Concat(Stream(prefix, options, cancel));

    /// <summary>Yields the continuation token by token, as it is generated.</summary>
    public IEnumerable<string> Stream(string prefix, SamplingOptions options, CancellationToken cancel = default)
    {
        options.Validate();
        var random = options.Seed is { } seed ? new Random(seed) : new Random();
        var context = EncodePrefix(prefix).Ids;
        if (context.Length == 0)
        {
            context = StartTokens();
        }
        RecurrentState? state = null;
        try
        {
            var logits = Feed(context, ref state);
            for (var i = 0; i < options.Length; i++)
            {
                cancel.ThrowIfCancellationRequested();
                var next = Sampler.Next(logits, options.Temperature, random);
                yield return Tokenizer.TokenText(next);
                if (i + 1 < options.Length)
                {
                    logits = Feed([next], ref state);
                }
            }
        }
        finally
        {
            state?.Dispose();
        }
    }

    /// <summary>With no prefix the model starts as at the beginning of a paragraph (a newline) when it knows one.</summary>
    private int[] StartTokens()
    {
        var newline = Tokenizer.Encode("\n").Ids;
        return newline.Length > 0 ? newline : [0];
    }

    private float[] Feed(int[] tokens, ref RecurrentState? state)
    {
        lock (_gate)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var input = tensor(tokens.Select(t => (long)t).ToArray(), new long[] { 1, tokens.Length });
            var (logits, next) = _model.Network.call(input, state);
            state?.Dispose();
            state = next.MoveToOuterDisposeScope();
            return logits[0, -1].data<float>().ToArray();
        }
    }

    public void Dispose() => _model.Dispose();
}
