using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TextGen.Modeling;

/// <summary>
/// An LSTM step's gate arithmetic, one call per step in each direction (<see cref="LstmLayerFunction"/>), row by row so
/// each row's gates stay in cache: what libtorch runs as about ten tensor operations over the whole batch, each an
/// autograd node.
/// Rows are (batch, 4·hidden) in PyTorch's gate order i, f, g, o, and (batch, hidden) for states.
/// </summary>
internal static class LstmGates
{
    /// <summary>
    /// Turns the pre-activations in <paramref name="gates"/> into the activated gates in place, and writes the new cell
    /// state, its tanh and the new hidden state: c = f·c' + i·g, h = o·tanh(c). TensorPrimitives' transcendentals use
    /// the widest vectors the CPU has; a single pass of hand-written Vector&lt;T&gt; code (256 bits) ran 1.4 times slower.
    /// </summary>
    public static void Forward<T>(Span<T> gates, ReadOnlySpan<T> cellPrevious, Span<T> cell, Span<T> cellTanh, Span<T> hidden, int batch, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(gates.Length, 4, batch, width);
        for (var b = 0; b < batch; b++)
        {
            ForwardRow(gates.Slice(b * 4 * width, 4 * width), cellPrevious.Slice(b * width, width), cell.Slice(b * width, width),
                cellTanh.Slice(b * width, width), hidden.Slice(b * width, width));
        }
    }

    /// <summary>
    /// <see cref="Forward{T}"/> for bf16 products: reads the pre-activations as bfloat16 (<paramref name="preActivations"/>,
    /// what the products wrote), writes the activated gates and states in float32, and the hidden state once more in
    /// bfloat16 (<paramref name="hiddenBf16"/>) for the next step's product. Each row is widened into its place in
    /// <paramref name="gates"/> and worked there, so it stays in cache.
    /// </summary>
    public static void ForwardBf16(ReadOnlySpan<ushort> preActivations, Span<float> gates, ReadOnlySpan<float> cellPrevious, Span<float> cell,
        Span<float> cellTanh, Span<float> hidden, Span<ushort> hiddenBf16, int batch, int width)
    {
        Check(preActivations.Length, 4, batch, width);
        Check(gates.Length, 4, batch, width);
        Check(hiddenBf16.Length, 1, batch, width);
        for (var b = 0; b < batch; b++)
        {
            var row = gates.Slice(b * 4 * width, 4 * width);
            BFloat16Rows.Widen(preActivations.Slice(b * 4 * width, 4 * width), row);
            var h = hidden.Slice(b * width, width);
            ForwardRow(row, cellPrevious.Slice(b * width, width), cell.Slice(b * width, width), cellTanh.Slice(b * width, width), h);
            BFloat16Rows.Narrow(h, hiddenBf16.Slice(b * width, width));
        }
    }

    private static void ForwardRow<T>(Span<T> row, ReadOnlySpan<T> cellPrevious, Span<T> cell, Span<T> cellTanh, Span<T> hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var width = hidden.Length;
        var inputForget = row[..(2 * width)];
        var candidate = row.Slice(2 * width, width);
        var output = row.Slice(3 * width, width);
        TensorPrimitives.Sigmoid(inputForget, inputForget);
        TensorPrimitives.Tanh(candidate, candidate);
        TensorPrimitives.Sigmoid(output, output);
        TensorPrimitives.Multiply(row.Slice(width, width), cellPrevious, cell);
        TensorPrimitives.FusedMultiplyAdd(row[..width], candidate, cell, cell);
        TensorPrimitives.Tanh(cell, cellTanh);
        TensorPrimitives.Multiply(output, cellTanh, hidden);
    }

    /// <summary>
    /// One step back: from the activated gates, the previous cell state and tanh(c), and the gradients reaching h (the
    /// output's <paramref name="outputGradient"/> plus <paramref name="hiddenGradient"/> from later steps) and c
    /// (<paramref name="cellGradient"/>), writes the pre-activation gradients and replaces
    /// <paramref name="cellGradient"/> with the gradient reaching the previous cell state.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ReadOnlySpan<T> gates, ReadOnlySpan<T> cellPrevious, ReadOnlySpan<T> cellTanh, ReadOnlySpan<T> outputGradient,
        ReadOnlySpan<T> hiddenGradient, Span<T> cellGradient, Span<T> gateGradients, int batch, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBackward(gates.Length, cellPrevious.Length, cellTanh.Length, outputGradient.Length, cellGradient.Length, batch, width);
        Check(hiddenGradient.Length, 1, batch, width);
        Check(gateGradients.Length, 4, batch, width);
        for (var b = 0; b < batch; b++)
        {
            BackwardRow(gates.Slice(b * 4 * width, 4 * width), cellPrevious.Slice(b * width, width), cellTanh.Slice(b * width, width),
                outputGradient.Slice(b * width, width), hiddenGradient.Slice(b * width, width), cellGradient.Slice(b * width, width),
                gateGradients.Slice(b * 4 * width, 4 * width));
        }
    }

    /// <summary>
    /// <see cref="Backward{T}"/> for bf16 products: the gradient from later steps arrives in bfloat16 (what the recurrent
    /// product wrote) and the pre-activation gradients leave in bfloat16, for the products that take them. Each row goes
    /// through float32 scratch rows, which stay in cache.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardBf16(ReadOnlySpan<float> gates, ReadOnlySpan<float> cellPrevious, ReadOnlySpan<float> cellTanh, ReadOnlySpan<float> outputGradient,
        ReadOnlySpan<ushort> hiddenGradient, Span<float> cellGradient, Span<ushort> gateGradients, int batch, int width)
    {
        CheckBackward(gates.Length, cellPrevious.Length, cellTanh.Length, outputGradient.Length, cellGradient.Length, batch, width);
        Check(hiddenGradient.Length, 1, batch, width);
        Check(gateGradients.Length, 4, batch, width);
        // On the stack up to width 2048 (40 KB): this runs once per step and layer.
        var scratch = width <= 2048 ? stackalloc float[5 * width] : new float[5 * width];
        Span<float> dh = scratch[..width], dGates = scratch[width..];
        for (var b = 0; b < batch; b++)
        {
            BFloat16Rows.Widen(hiddenGradient.Slice(b * width, width), dh);
            BackwardRow<float>(gates.Slice(b * 4 * width, 4 * width), cellPrevious.Slice(b * width, width), cellTanh.Slice(b * width, width),
                outputGradient.Slice(b * width, width), dh, cellGradient.Slice(b * width, width), dGates);
            BFloat16Rows.Narrow(dGates, gateGradients.Slice(b * 4 * width, 4 * width));
        }
    }

    // One row: gates and gate gradients hold 4·width elements, the rest width (checked by the callers).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRow<T>(ReadOnlySpan<T> gates, ReadOnlySpan<T> cellPrevious, ReadOnlySpan<T> cellTanh, ReadOnlySpan<T> outputGradient,
        ReadOnlySpan<T> hiddenGradient, Span<T> cellGradient, Span<T> gateGradients)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var width = cellTanh.Length;
        ref var g0 = ref MemoryMarshal.GetReference(gates);
        ref var d0 = ref MemoryMarshal.GetReference(gateGradients);
        ref var cp0 = ref MemoryMarshal.GetReference(cellPrevious);
        ref var t0 = ref MemoryMarshal.GetReference(cellTanh);
        ref var dy0 = ref MemoryMarshal.GetReference(outputGradient);
        ref var dh0 = ref MemoryMarshal.GetReference(hiddenGradient);
        ref var dc0 = ref MemoryMarshal.GetReference(cellGradient);
        var one = Vector<T>.One;
        var lanes = Vector<T>.Count;
        var w = (nuint)width;
        var j = 0;
        for (; j + lanes <= width; j += lanes)
        {
            var s = (nuint)j;
            var i = Vector.LoadUnsafe(ref g0, s);
            var f = Vector.LoadUnsafe(ref g0, s + w);
            var g = Vector.LoadUnsafe(ref g0, s + 2 * w);
            var o = Vector.LoadUnsafe(ref g0, s + 3 * w);
            var tanh = Vector.LoadUnsafe(ref t0, s);
            var dh = Vector.LoadUnsafe(ref dy0, s) + Vector.LoadUnsafe(ref dh0, s);
            var dc = Vector.LoadUnsafe(ref dc0, s) + dh * o * (one - tanh * tanh);
            (dc * g * i * (one - i)).StoreUnsafe(ref d0, s);
            (dc * Vector.LoadUnsafe(ref cp0, s) * f * (one - f)).StoreUnsafe(ref d0, s + w);
            (dc * i * (one - g * g)).StoreUnsafe(ref d0, s + 2 * w);
            (dh * tanh * o * (one - o)).StoreUnsafe(ref d0, s + 3 * w);
            (dc * f).StoreUnsafe(ref dc0, s);
        }
        for (; j < width; j++)
        {
            T i = gates[j], f = gates[j + width], g = gates[j + 2 * width], o = gates[j + 3 * width], tanh = cellTanh[j];
            var dh = outputGradient[j] + hiddenGradient[j];
            var dc = cellGradient[j] + dh * o * (T.One - tanh * tanh);
            gateGradients[j] = dc * g * i * (T.One - i);
            gateGradients[j + width] = dc * cellPrevious[j] * f * (T.One - f);
            gateGradients[j + 2 * width] = dc * i * (T.One - g * g);
            gateGradients[j + 3 * width] = dh * tanh * o * (T.One - o);
            cellGradient[j] = dc * f;
        }
    }

    private static void CheckBackward(int gates, int cellPrevious, int cellTanh, int outputGradient, int cellGradient, int batch, int width)
    {
        Check(gates, 4, batch, width);
        Check(cellPrevious, 1, batch, width);
        Check(cellTanh, 1, batch, width);
        Check(outputGradient, 1, batch, width);
        Check(cellGradient, 1, batch, width);
    }

    /// <summary>The unchecked loads above stay inside every span: each holds (batch, gates·width) elements.</summary>
    private static void Check(int length, int gates, int batch, int width)
    {
        if (length != (long)gates * batch * width) throw new ArgumentException($"expected {(long)gates * batch * width} elements, got {length}");
    }
}
