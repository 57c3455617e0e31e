using System.Numerics.Tensors;
using TextGen.Modeling;

namespace TextGen.Inference;

/// <summary>
/// A trained language model's weights (<see cref="LanguageModelWeights"/>) in plain float arrays, stepped one token at a time with SIMD kernels
/// instead of one libtorch call per token. Layer 0's input product is precomputed per vocabulary entry (embedding or
/// one-hot), so generation costs the recurrent products, the upper layers and the head. Immutable after construction
/// and safe to share between threads; each stream keeps its own <see cref="InferenceState"/>.
/// </summary>
public sealed class InferenceEngine
{
    private readonly float[] _inputTable;     // (vocab, gates * hidden): layer 0's input product plus biases
    private readonly float[][] _inputWeights; // layer -> (gates * hidden, hidden); index 0 unused
    private readonly float[][] _hiddenWeights;// layer -> (gates * hidden, hidden)
    private readonly float[][] _inputBias;
    private readonly float[][] _hiddenBias;
    private readonly (float[] Weight, float[] Bias)[] _dense; // dense layers with batch normalisation folded in: (units, input)
    private readonly float[] _headWeight;     // (vocab, head input)
    private readonly float[] _headBias;
    // GenerationPrecision.Int8: the same products in int8 (layer 0's input stays the float table lookup).
    private readonly Int8Matrix?[]? _inputInt8;
    private readonly Int8Matrix[]? _hiddenInt8;
    private readonly Int8Matrix? _headInt8;

    public InferenceEngine(LanguageModelWeights weights, GenerationPrecision precision = GenerationPrecision.Fp32)
    {
        var config = weights.Config;
        Cell = config.Cell;
        Layers = config.Layers;
        Hidden = config.Hidden;
        VocabularySize = config.VocabularySize;
        Gates = RecurrentNetConfig.Gates(Cell);
        var width = Gates * Hidden;
        if ((long)VocabularySize * width > Array.MaxLength)
        {
            throw new TextGenException($"this model's input table ({VocabularySize:N0} tokens x {width:N0} gate inputs) is too large to generate with; " +
                                       "train a narrower model or a smaller vocabulary.");
        }

        _inputWeights = weights.Layers.Select((l, i) => i == 0 ? [] : l.InputWeight).ToArray();
        _hiddenWeights = weights.Layers.Select(l => l.HiddenWeight).ToArray();
        _inputBias = weights.Layers.Select(l => l.InputBias).ToArray();
        _hiddenBias = weights.Layers.Select(l => l.HiddenBias).ToArray();

        // Layer 0's input for token v: W_ih · embedding[v] (or column v of W_ih for one-hot input) + b_ih.
        var first = weights.Layers[0];
        var inputs = config.OneHot ? VocabularySize : config.Embedding;
        var transposed = new float[(long)inputs * width]; // (inputs, gates * hidden): row e is column e of W_ih
        for (var r = 0; r < width; r++)
        {
            for (var e = 0; e < inputs; e++) transposed[(long)e * width + r] = first.InputWeight[(long)r * inputs + e];
        }
        _inputTable = new float[(long)VocabularySize * width];
        // Across the cores only for a large table (a word model's): a character model's takes well under a millisecond.
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = (long)VocabularySize * width * inputs > 1 << 26 ? -1 : 1 };
        Parallel.For(0, VocabularySize, parallel, v =>
        {
            var row = _inputTable.AsSpan(v * width, width);
            first.InputBias.CopyTo(row);
            if (weights.Embedding is { } embedding)
            {
                for (var e = 0; e < inputs; e++)
                {
                    TensorPrimitives.MultiplyAdd(transposed.AsSpan(e * width, width), embedding[(long)v * inputs + e], row, row);
                }
            }
            else
            {
                TensorPrimitives.Add(row, transposed.AsSpan(v * width, width), row);
            }
            // LSTM and RNN add both biases to the same sum; GRU needs b_hh apart for its reset gate.
            if (Cell != CellType.Gru) TensorPrimitives.Add(row, _hiddenBias[0], row);
        });
        _dense = [.. weights.Dense.Select(d => d.Folded())];
        DenseWidths = config.Dense;
        HeadInput = config.HeadInput;
        _headWeight = weights.HeadWeight;
        _headBias = weights.HeadBias;
        Precision = precision;
        if (precision == GenerationPrecision.Auto)
        {
            throw new ArgumentException("the engine computes in one precision; resolve Auto first (PrecisionChoice.Resolve)", nameof(precision));
        }
        if (precision == GenerationPrecision.Int8)
        {
            _inputInt8 = _inputWeights.Select((w, i) => i == 0 ? null : new Int8Matrix(w, width, Hidden)).ToArray();
            _hiddenInt8 = _hiddenWeights.Select(w => new Int8Matrix(w, width, Hidden)).ToArray();
            // Int8 inputs are quantized for [-1, 1], where hidden states lie; dense ReLU features do not, so their products stay float32.
            _headInt8 = _dense.Length == 0 ? new Int8Matrix(_headWeight, VocabularySize, Hidden) : null;
        }
    }

    /// <summary>How the products are computed: float32 (the reference) or int8.</summary>
    public GenerationPrecision Precision { get; }

    public CellType Cell { get; }
    public int Layers { get; }
    public int Hidden { get; }
    public int VocabularySize { get; }
    private int Gates { get; }
    private int[] DenseWidths { get; }
    private int HeadInput { get; }

    /// <summary>Floats of gate scratch one stream needs per step (gates x hidden).</summary>
    public int StateWidth => Gates * Hidden;

    public InferenceState NewState(int batch = 1) => new(Layers, batch, Hidden, Gates, Cell == CellType.Lstm, VocabularySize,
        (Hidden + Int8Matrix.Block - 1) / Int8Matrix.Block * Int8Matrix.Block, DenseWidths.DefaultIfEmpty(0).Max());

    /// <summary>Feeds one token per stream and writes the next-token logits, row-major (batch, vocabulary).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Step(ReadOnlySpan<int> tokens, InferenceState state, Span<float> logits)
    {
        var batch = state.Batch;
        if (tokens.Length != batch || logits.Length != batch * VocabularySize)
        {
            throw new ArgumentException("tokens and logits must match the state's batch");
        }
        for (var layer = 0; layer < Layers; layer++)
        {
            StepLayer(layer, tokens, state);
        }
        Head(state, logits);
    }

    /// <summary>One layer of every stream: gate pre-activations from the layer below (or the token) and the own state, then the cell.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void StepLayer(int layer, ReadOnlySpan<int> tokens, InferenceState state)
    {
        var (batch, width) = (state.Batch, Gates * Hidden);
        var gates = state.Gates;
        var hiddenGates = state.HiddenGates;
        for (var b = 0; b < batch; b++)
        {
            var row = gates.AsSpan(b * width, width);
            if (layer == 0)
            {
                if ((uint)tokens[b] >= (uint)VocabularySize) throw new ArgumentOutOfRangeException(nameof(tokens), tokens[b], "token outside the vocabulary");
                _inputTable.AsSpan(tokens[b] * width, width).CopyTo(row);
            }
            else
            {
                _inputBias[layer].CopyTo(row);
                if (Cell != CellType.Gru) TensorPrimitives.Add(row, _hiddenBias[layer], row);
            }
            if (Cell == CellType.Gru) _hiddenBias[layer].CopyTo(hiddenGates.AsSpan(b * width, width));
        }
        var recurrentTarget = Cell == CellType.Gru ? hiddenGates : gates;
        var inputWeights = _inputWeights[layer];
        var hiddenWeights = _hiddenWeights[layer];
        var below = layer > 0 ? state.Hidden[layer - 1] : null;
        var own = state.Hidden[layer];
        var weights = (long)width * Hidden * (below is null ? 1 : 2); // per stream of the batch
        if (_hiddenInt8 is { } hiddenInt8)
        {
            var (quantizedBelow, quantizedOwn, padded) = (state.QuantizedBelow, state.QuantizedOwn, hiddenInt8[layer].PaddedColumns);
            if (below is not null) Int8Matrix.QuantizeInputs(below, Hidden, quantizedBelow, padded);
            Int8Matrix.QuantizeInputs(own, Hidden, quantizedOwn, padded);
            var inputInt8 = _inputInt8![layer];
            MatrixKernels.ForRows(width, weights * batch, (start, end) =>
            {
                inputInt8?.MultiplyAdd(quantizedBelow, gates, batch, start, end);
                hiddenInt8[layer].MultiplyAdd(quantizedOwn, recurrentTarget, batch, start, end);
            });
        }
        else
        {
            MatrixKernels.ForRows(width, weights * batch * sizeof(float), (start, end) =>
            {
                if (below is not null)
                {
                    MatrixKernels.MultiplyAdd(inputWeights, Hidden, below, gates, width, batch, start, end);
                }
                MatrixKernels.MultiplyAdd(hiddenWeights, Hidden, own, recurrentTarget, width, batch, start, end);
            });
        }
        for (var b = 0; b < batch; b++)
        {
            Activate(gates.AsSpan(b * width, width), hiddenGates.AsSpan(b * width, width),
                state.Hidden[layer].AsSpan(b * Hidden, Hidden), state.Cell is null ? default : state.Cell[layer].AsSpan(b * Hidden, Hidden));
        }
    }

    /// <summary>The dense layers (linear, batch normalisation folded in, ReLU) from the top layer's hidden state: the head's input.</summary>
    private ReadOnlyMemory<float> DenseFeatures(InferenceState state)
    {
        var (batch, width) = (state.Batch, Hidden);
        ReadOnlyMemory<float> features = state.Hidden[Layers - 1];
        for (var i = 0; i < _dense.Length; i++)
        {
            var (weight, bias) = _dense[i];
            var (units, input, output) = (bias.Length, features, state.Features[i % 2]);
            for (var b = 0; b < batch; b++) bias.CopyTo(output.AsSpan(b * units, units));
            var columns = width;
            MatrixKernels.ForRows(units, (long)units * columns * batch * sizeof(float),
                (start, end) => MatrixKernels.MultiplyAdd(weight, columns, input.Span, output, units, batch, start, end));
            var all = output.AsMemory(0, batch * units);
            TensorPrimitives.Max(all.Span, 0f, all.Span);
            (features, width) = (all, units);
        }
        return features;
    }

    /// <summary>The head: next-token logits from the top layer's hidden state, through the dense layers if any.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Head(InferenceState state, Span<float> logits)
    {
        var batch = state.Batch;
        for (var b = 0; b < batch; b++)
        {
            _headBias.CopyTo(logits.Slice(b * VocabularySize, VocabularySize));
        }
        var top = _dense.Length == 0 ? state.Hidden[Layers - 1] : DenseFeatures(state);
        var output = state.Logits;
        Array.Clear(output);
        if (_headInt8 is { } headInt8)
        {
            var quantized = state.QuantizedOwn;
            Int8Matrix.QuantizeInputs(top.Span, Hidden, quantized, headInt8.PaddedColumns);
            MatrixKernels.ForRows(VocabularySize, (long)VocabularySize * Hidden * batch,
                (start, end) => headInt8.MultiplyAdd(quantized, output, batch, start, end));
        }
        else
        {
            MatrixKernels.ForRows(VocabularySize, (long)VocabularySize * HeadInput * batch * sizeof(float),
                (start, end) => MatrixKernels.MultiplyAdd(_headWeight, HeadInput, top.Span, output, VocabularySize, batch, start, end));
        }
        TensorPrimitives.Add(logits, output.AsSpan(0, logits.Length), logits);
    }

    /// <summary>Turns one stream's gate pre-activations into its new hidden (and cell) state, PyTorch's equations.</summary>
    private void Activate(Span<float> gates, Span<float> hiddenGates, Span<float> hidden, Span<float> cell)
    {
        var h = Hidden;
        switch (Cell)
        {
            case CellType.Lstm:
            {
                var input = gates[..h];
                var forget = gates.Slice(h, h);
                var candidate = gates.Slice(2 * h, h);
                var output = gates.Slice(3 * h, h);
                TensorPrimitives.Sigmoid(input, input);
                TensorPrimitives.Sigmoid(forget, forget);
                TensorPrimitives.Tanh(candidate, candidate);
                TensorPrimitives.Sigmoid(output, output);
                TensorPrimitives.Multiply(cell, forget, cell);
                TensorPrimitives.FusedMultiplyAdd(input, candidate, cell, cell);
                TensorPrimitives.Tanh(cell, hidden);
                TensorPrimitives.Multiply(hidden, output, hidden);
                break;
            }
            case CellType.Gru:
            {
                var reset = gates[..h];
                var update = gates.Slice(h, h);
                var candidate = gates.Slice(2 * h, h);
                TensorPrimitives.Add(reset, hiddenGates[..h], reset);
                TensorPrimitives.Sigmoid(reset, reset);
                TensorPrimitives.Add(update, hiddenGates.Slice(h, h), update);
                TensorPrimitives.Sigmoid(update, update);
                TensorPrimitives.FusedMultiplyAdd(reset, hiddenGates.Slice(2 * h, h), candidate, candidate);
                TensorPrimitives.Tanh(candidate, candidate);
                // h' = (1 - z) * n + z * h = n + z * (h - n)
                TensorPrimitives.Subtract(hidden, candidate, hidden);
                TensorPrimitives.FusedMultiplyAdd(update, hidden, candidate, hidden);
                break;
            }
            default:
                TensorPrimitives.Tanh(gates, hidden);
                break;
        }
    }

}

/// <summary>The recurrent state of <see cref="Batch"/> streams, with scratch space for one step.</summary>
public sealed class InferenceState
{
    internal InferenceState(int layers, int batch, int hidden, int gates, bool hasCell, int vocabulary, int paddedHidden, int denseWidth)
    {
        Features = [new float[batch * denseWidth], new float[batch * denseWidth]];
        QuantizedBelow = new byte[batch * paddedHidden];
        QuantizedOwn = new byte[batch * paddedHidden];
        Logits = new float[batch * vocabulary];
        Batch = batch;
        Hidden = Enumerable.Range(0, layers).Select(_ => new float[batch * hidden]).ToArray();
        Cell = hasCell ? Enumerable.Range(0, layers).Select(_ => new float[batch * hidden]).ToArray() : null;
        Gates = new float[batch * gates * hidden];
        HiddenGates = new float[batch * gates * hidden];
    }

    public int Batch { get; }
    internal float[][] Hidden { get; }
    internal float[][]? Cell { get; }
    internal float[] Gates { get; }
    internal float[] HiddenGates { get; }
    internal float[] Logits { get; }
    /// <summary>The dense layers' outputs, alternately (each reads the other).</summary>
    internal float[][] Features { get; }
    /// <summary>Int8 generation: the layer below's and the layer's own hidden states as the int8 kernel reads them.</summary>
    internal byte[] QuantizedBelow { get; }
    internal byte[] QuantizedOwn { get; }
}

/// <summary>
/// How generation computes its matrix products: float32, the reference, or int8 weights with per-row scales (hidden
/// states quantized with a fixed step, as they lie in [-1, 1]), fast on AVX-VNNI; Auto picks one per model and CPU
/// (<see cref="PrecisionChoice"/>). Measurements in docs/runtime.md.
/// </summary>
public enum GenerationPrecision
{
    Auto,
    Fp32,
    Int8,
}
