using System.Numerics;
using System.Numerics.Tensors;

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
    /// <see cref="Forward{T}"/> for bf16 products: widens each row of the recurrent products (bfloat16, what the product
    /// wrote) into its place in <paramref name="gates"/>, works it there, and writes the hidden state once more in
    /// bfloat16 for the next step's product.
    /// </summary>
    public static void ForwardBf16(ReadOnlySpan<float> inputProjection, ReadOnlySpan<ushort> products, Span<float> gates, ReadOnlySpan<float> candidateBias,
        ReadOnlySpan<float> hiddenPrevious, Span<float> candidateHidden, Span<float> hidden, Span<ushort> hiddenBf16, int batch, int width)
    {
        Check(gates.Length, batch, width);
        for (var b = 0; b < batch; b++)
        {
            var row = gates.Slice(b * 3 * width, 3 * width);
            BFloat16Rows.Widen(products.Slice(b * 3 * width, 3 * width), row);
            var output = hidden.Slice(b * width, width);
            ForwardRow(inputProjection.Slice(b * 3 * width, 3 * width), row, candidateBias, hiddenPrevious.Slice(b * width, width), candidateHidden.Slice(b * width, width), output);
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
    /// above) and its state (<paramref name="hiddenGradient"/>, from the step after), the gradients of the input
    /// projection (also the input bias's), of the recurrent projection (also the recurrent bias's; in bfloat16 too where
    /// <paramref name="hiddenProjectionGradientBf16"/> is not empty, for a bf16 product) and the part of the previous
    /// state's gradient that bypasses the recurrent product (z·dh), written over <paramref name="hiddenGradient"/>.
    /// </summary>
    public static void Backward<T>(ReadOnlySpan<T> gates, ReadOnlySpan<T> candidateHidden, ReadOnlySpan<T> hiddenPrevious, ReadOnlySpan<T> outputGradient,
        Span<T> hiddenGradient, Span<T> inputProjectionGradient, Span<T> hiddenProjectionGradient, Span<ushort> hiddenProjectionGradientBf16, int batch, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(gates.Length, batch, width);
        var one = Vector<T>.One;
        for (var b = 0; b < batch; b++)
        {
            var row = b * 3 * width;
            var i = 0;
            for (; i + Vector<T>.Count <= width; i += Vector<T>.Count)
            {
                var (r, z, n) = (new Vector<T>(gates[(row + i)..]), new Vector<T>(gates[(row + width + i)..]), new Vector<T>(gates[(row + 2 * width + i)..]));
                var s = b * width + i;
                var d = new Vector<T>(outputGradient[s..]) + new Vector<T>(hiddenGradient[s..]);
                var dCandidate = d * (one - z) * (one - n * n);
                var dReset = dCandidate * new Vector<T>(candidateHidden[s..]) * r * (one - r);
                var dUpdate = d * (new Vector<T>(hiddenPrevious[s..]) - n) * z * (one - z);
                dReset.CopyTo(inputProjectionGradient[(row + i)..]);
                dReset.CopyTo(hiddenProjectionGradient[(row + i)..]);
                dUpdate.CopyTo(inputProjectionGradient[(row + width + i)..]);
                dUpdate.CopyTo(hiddenProjectionGradient[(row + width + i)..]);
                dCandidate.CopyTo(inputProjectionGradient[(row + 2 * width + i)..]);
                (dCandidate * r).CopyTo(hiddenProjectionGradient[(row + 2 * width + i)..]);
                (d * z).CopyTo(hiddenGradient[s..]);
            }
            for (; i < width; i++)
            {
                var (r, z, n) = (gates[row + i], gates[row + width + i], gates[row + 2 * width + i]);
                var s = b * width + i;
                var d = outputGradient[s] + hiddenGradient[s];
                var dCandidate = d * (T.One - z) * (T.One - n * n);
                var dReset = dCandidate * candidateHidden[s] * r * (T.One - r);
                var dUpdate = d * (hiddenPrevious[s] - n) * z * (T.One - z);
                inputProjectionGradient[row + i] = hiddenProjectionGradient[row + i] = dReset;
                inputProjectionGradient[row + width + i] = hiddenProjectionGradient[row + width + i] = dUpdate;
                inputProjectionGradient[row + 2 * width + i] = dCandidate;
                hiddenProjectionGradient[row + 2 * width + i] = dCandidate * r;
                hiddenGradient[s] = d * z;
            }
            if (!hiddenProjectionGradientBf16.IsEmpty && typeof(T) == typeof(float))
            {
                var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(hiddenProjectionGradient.Slice(row, 3 * width));
                BFloat16Rows.Narrow(floats, hiddenProjectionGradientBf16.Slice(row, 3 * width));
            }
        }
    }

    private static void Check(int gates, int batch, int width)
    {
        if (gates != 3 * batch * width) throw new ArgumentException($"expected {batch} rows of 3 x {width} gates, got {gates} values");
    }
}
