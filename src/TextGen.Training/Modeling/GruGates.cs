using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TextGen.Modeling;

/// <summary>
/// A GRU step's gate arithmetic, one call per step in each direction (<see cref="GruLayerFunction"/>), row by row so
/// each row stays in cache. PyTorch's equations and gate order r, z, n:
/// r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r·(h_n + b_hn)), h' = (1 − z)·n + z·h, where x_* are the input
/// projections (with b_ih, and b_hr and b_hz folded in, as they only add) and h_* the recurrent products without
/// bias: the reset gate scales the candidate's recurrent part, its bias b_hn included. Rows are (batch, 3·hidden) for
/// gates and projections, (batch, hidden) for states.
/// </summary>
internal static class GruGates
{
    // Scratch rows go on the stack up to this width (7 rows of 1024 floats, 28 KB): the kernels run once per step and layer.
    private const int ScratchWidth = 1024;

    /// <summary>
    /// Turns the recurrent products in <paramref name="gates"/> into the activated gates r, z, n in place, and writes
    /// h_n + b_hn into <paramref name="candidateHidden"/> (the backward pass needs it) and the new hidden state.
    /// </summary>
    public static void Forward<T>(ReadOnlySpan<T> inputProjection, Span<T> gates, ReadOnlySpan<T> candidateBias, ReadOnlySpan<T> hiddenPrevious,
        Span<T> candidateHidden, Span<T> hidden, int batch, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(gates.Length, batch, width);
        for (var b = 0; b < batch; b++)
        {
            ForwardRow(inputProjection.Slice(b * 3 * width, 3 * width), gates.Slice(b * 3 * width, 3 * width), candidateBias,
                hiddenPrevious.Slice(b * width, width), candidateHidden.Slice(b * width, width), hidden.Slice(b * width, width));
        }
    }

    /// <summary>
    /// <see cref="Forward{T}"/> for bf16 products: the input projection and the recurrent products arrive in bfloat16
    /// (what the products wrote); each row is widened in cache, the products into their place in
    /// <paramref name="gates"/>, and the hidden state is written once more in bfloat16 for the next step's product.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardBf16(ReadOnlySpan<ushort> inputProjection, ReadOnlySpan<ushort> products, Span<float> gates, ReadOnlySpan<float> candidateBias,
        ReadOnlySpan<float> hiddenPrevious, Span<float> candidateHidden, Span<float> hidden, Span<ushort> hiddenBf16, int batch, int width)
    {
        Check(gates.Length, batch, width);
        Check(inputProjection.Length, batch, width);
        Check(products.Length, batch, width);
        var x = width <= ScratchWidth ? stackalloc float[3 * width] : new float[3 * width];
        for (var b = 0; b < batch; b++)
        {
            var row = gates.Slice(b * 3 * width, 3 * width);
            BFloat16Rows.Widen(products.Slice(b * 3 * width, 3 * width), row);
            BFloat16Rows.Widen(inputProjection.Slice(b * 3 * width, 3 * width), x);
            var output = hidden.Slice(b * width, width);
            ForwardRow<float>(x, row, candidateBias, hiddenPrevious.Slice(b * width, width), candidateHidden.Slice(b * width, width), output);
            BFloat16Rows.Narrow(output, hiddenBf16.Slice(b * width, width));
        }
    }

    private static void ForwardRow<T>(ReadOnlySpan<T> x, Span<T> g, ReadOnlySpan<T> candidateBias, ReadOnlySpan<T> previous, Span<T> hn, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var width = previous.Length;
        var resetAndUpdate = g[..(2 * width)];
        TensorPrimitives.Add(resetAndUpdate, x[..(2 * width)], resetAndUpdate);
        TensorPrimitives.Sigmoid<T>(resetAndUpdate, resetAndUpdate);
        var reset = g[..width];
        var update = g.Slice(width, width);
        var candidate = g.Slice(2 * width, width);
        TensorPrimitives.Add(candidate, candidateBias, hn);
        TensorPrimitives.FusedMultiplyAdd(reset, hn, x.Slice(2 * width, width), candidate);
        TensorPrimitives.Tanh<T>(candidate, candidate);
        // h' = n + z·(h − n)
        TensorPrimitives.Subtract(previous, candidate, output);
        TensorPrimitives.FusedMultiplyAdd(update, output, candidate, output);
    }

    /// <summary>
    /// One step back: from the gradient reaching the step's output (<paramref name="outputGradient"/>, from the layer
    /// above) and its state (<paramref name="hiddenGradient"/>, from the step after), writes the gradients of the input
    /// projection (also the input bias's) and of the recurrent projection (also the recurrent bias's), and replaces
    /// <paramref name="hiddenGradient"/> with the part of the previous state's gradient that bypasses the recurrent
    /// product (z·dh); the caller adds the part through the recurrent weights.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ReadOnlySpan<T> gates, ReadOnlySpan<T> candidateHidden, ReadOnlySpan<T> hiddenPrevious, ReadOnlySpan<T> outputGradient,
        Span<T> hiddenGradient, Span<T> inputProjectionGradient, Span<T> hiddenProjectionGradient, int batch, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBackward(gates.Length, candidateHidden.Length, hiddenPrevious.Length, outputGradient.Length, hiddenGradient.Length, batch, width);
        Check(inputProjectionGradient.Length, batch, width);
        Check(hiddenProjectionGradient.Length, batch, width);
        for (var b = 0; b < batch; b++)
        {
            BackwardRow(gates.Slice(b * 3 * width, 3 * width), candidateHidden.Slice(b * width, width), hiddenPrevious.Slice(b * width, width),
                outputGradient.Slice(b * width, width), hiddenGradient.Slice(b * width, width), inputProjectionGradient.Slice(b * 3 * width, 3 * width),
                hiddenProjectionGradient.Slice(b * 3 * width, 3 * width));
        }
    }

    /// <summary>
    /// <see cref="Backward{T}"/> for bf16 products: the recurrent product's part of the state's gradient arrives in
    /// bfloat16 (<paramref name="throughWeights"/>, what that product wrote) and is added to
    /// <paramref name="hiddenGradient"/> here, and the projection gradients leave in bfloat16, for the products that take
    /// them. Each row goes through float32 scratch rows, which stay in cache.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardBf16(ReadOnlySpan<float> gates, ReadOnlySpan<float> candidateHidden, ReadOnlySpan<float> hiddenPrevious, ReadOnlySpan<float> outputGradient,
        ReadOnlySpan<ushort> throughWeights, Span<float> hiddenGradient, Span<ushort> inputProjectionGradient, Span<ushort> hiddenProjectionGradient, int batch, int width)
    {
        CheckBackward(gates.Length, candidateHidden.Length, hiddenPrevious.Length, outputGradient.Length, hiddenGradient.Length, batch, width);
        if (throughWeights.Length != hiddenGradient.Length) throw new ArgumentException($"expected {hiddenGradient.Length} bfloat16 values, got {throughWeights.Length}");
        Check(inputProjectionGradient.Length, batch, width);
        Check(hiddenProjectionGradient.Length, batch, width);
        var scratch = width <= ScratchWidth ? stackalloc float[7 * width] : new float[7 * width];
        Span<float> dh = scratch[..width], dInput = scratch.Slice(width, 3 * width), dHidden = scratch[(4 * width)..];
        for (var b = 0; b < batch; b++)
        {
            var state = hiddenGradient.Slice(b * width, width);
            BFloat16Rows.Widen(throughWeights.Slice(b * width, width), dh);
            TensorPrimitives.Add(state, dh, state);
            BackwardRow<float>(gates.Slice(b * 3 * width, 3 * width), candidateHidden.Slice(b * width, width), hiddenPrevious.Slice(b * width, width),
                outputGradient.Slice(b * width, width), state, dInput, dHidden);
            BFloat16Rows.Narrow(dInput, inputProjectionGradient.Slice(b * 3 * width, 3 * width));
            BFloat16Rows.Narrow(dHidden, hiddenProjectionGradient.Slice(b * 3 * width, 3 * width));
        }
    }

    // One row: gates and the projection gradients hold 3·width elements, the rest width (checked by the callers).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRow<T>(ReadOnlySpan<T> gates, ReadOnlySpan<T> candidateHidden, ReadOnlySpan<T> hiddenPrevious, ReadOnlySpan<T> outputGradient,
        Span<T> hiddenGradient, Span<T> inputProjectionGradient, Span<T> hiddenProjectionGradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var width = hiddenGradient.Length;
        ref var g0 = ref MemoryMarshal.GetReference(gates);
        ref var hn0 = ref MemoryMarshal.GetReference(candidateHidden);
        ref var hp0 = ref MemoryMarshal.GetReference(hiddenPrevious);
        ref var dy0 = ref MemoryMarshal.GetReference(outputGradient);
        ref var dh0 = ref MemoryMarshal.GetReference(hiddenGradient);
        ref var dx0 = ref MemoryMarshal.GetReference(inputProjectionGradient);
        ref var dp0 = ref MemoryMarshal.GetReference(hiddenProjectionGradient);
        var one = Vector<T>.One;
        var w = (nuint)width;
        var i = 0;
        for (; i + Vector<T>.Count <= width; i += Vector<T>.Count)
        {
            var s = (nuint)i;
            var (r, z, n) = (Vector.LoadUnsafe(ref g0, s), Vector.LoadUnsafe(ref g0, s + w), Vector.LoadUnsafe(ref g0, s + 2 * w));
            var d = Vector.LoadUnsafe(ref dy0, s) + Vector.LoadUnsafe(ref dh0, s);
            var dCandidate = d * (one - z) * (one - n * n);
            var dReset = dCandidate * Vector.LoadUnsafe(ref hn0, s) * r * (one - r);
            var dUpdate = d * (Vector.LoadUnsafe(ref hp0, s) - n) * z * (one - z);
            dReset.StoreUnsafe(ref dx0, s);
            dReset.StoreUnsafe(ref dp0, s);
            dUpdate.StoreUnsafe(ref dx0, s + w);
            dUpdate.StoreUnsafe(ref dp0, s + w);
            dCandidate.StoreUnsafe(ref dx0, s + 2 * w);
            (dCandidate * r).StoreUnsafe(ref dp0, s + 2 * w);
            (d * z).StoreUnsafe(ref dh0, s);
        }
        for (; i < width; i++)
        {
            var (r, z, n) = (gates[i], gates[width + i], gates[2 * width + i]);
            var d = outputGradient[i] + hiddenGradient[i];
            var dCandidate = d * (T.One - z) * (T.One - n * n);
            var dReset = dCandidate * candidateHidden[i] * r * (T.One - r);
            var dUpdate = d * (hiddenPrevious[i] - n) * z * (T.One - z);
            inputProjectionGradient[i] = hiddenProjectionGradient[i] = dReset;
            inputProjectionGradient[width + i] = hiddenProjectionGradient[width + i] = dUpdate;
            inputProjectionGradient[2 * width + i] = dCandidate;
            hiddenProjectionGradient[2 * width + i] = dCandidate * r;
            hiddenGradient[i] = d * z;
        }
    }

    private static void CheckBackward(int gates, int candidateHidden, int hiddenPrevious, int outputGradient, int hiddenGradient, int batch, int width)
    {
        Check(gates, batch, width);
        foreach (var length in (ReadOnlySpan<int>)[candidateHidden, hiddenPrevious, outputGradient, hiddenGradient])
        {
            if (length != (long)batch * width) throw new ArgumentException($"expected {batch} rows of {width} values, got {length}");
        }
    }

    /// <summary>The unchecked loads above stay inside every span: each holds (batch, 3·width) elements.</summary>
    private static void Check(int gates, int batch, int width)
    {
        if (gates != 3L * batch * width) throw new ArgumentException($"expected {batch} rows of 3 x {width} gates, got {gates} values");
    }
}
