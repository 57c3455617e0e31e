using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TextGen.Inference;

/// <summary>
/// Matrix-vector products on row-major float weights, the inner loop of generation. Four rows share each load of the
/// input, which keeps the loads per multiply-add low; a batch of inputs shares each load of a weight row.
/// </summary>
internal static class MatrixKernels
{
    /// <summary>y[b, r] += W[r, :] · x[b, :] for rows [rowStart, rowEnd) and every input b of the batch.</summary>
    /// <param name="weights">Row-major (rows, columns).</param>
    /// <param name="columns">Row length of <paramref name="weights"/>, and length of each input.</param>
    /// <param name="inputs">Row-major (batch, columns).</param>
    /// <param name="outputs">Row-major (batch, rows).</param>
    public static void MultiplyAdd(ReadOnlySpan<float> weights, int columns, ReadOnlySpan<float> inputs, Span<float> outputs, int rows, int batch, int rowStart, int rowEnd)
    {
        if (batch == 1)
        {
            MultiplyAddSingle(weights, columns, inputs, outputs, rowStart, rowEnd);
            return;
        }
        var b = 0;
        if (Avx2.IsSupported && Fma.IsSupported && columns >= 8)
        {
            for (; b + 4 <= batch; b += 4)
            {
                MultiplyAddFour(weights, columns, inputs.Slice(b * columns, 4 * columns), outputs, rows, b, rowStart, rowEnd);
            }
        }
        for (; b < batch; b++)
        {
            MultiplyAddSingle(weights, columns, inputs.Slice(b * columns, columns), outputs.Slice(b * rows, rows), rowStart, rowEnd);
        }
    }

    /// <summary>Four inputs at once: each weight load feeds four multiply-adds, two rows at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyAddFour(ReadOnlySpan<float> weights, int columns, ReadOnlySpan<float> inputs, Span<float> outputs, int rows, int firstInput, int rowStart, int rowEnd)
    {
        var vectorColumns = columns & ~7;
        ref var w = ref Unsafe.AsRef(in weights[0]);
        ref var x0 = ref Unsafe.AsRef(in inputs[0]);
        ref var x1 = ref Unsafe.Add(ref x0, columns);
        ref var x2 = ref Unsafe.Add(ref x1, columns);
        ref var x3 = ref Unsafe.Add(ref x2, columns);
        var r = rowStart;
        for (; r + 2 <= rowEnd; r += 2)
        {
            ref var wa = ref Unsafe.Add(ref w, r * columns);
            ref var wb = ref Unsafe.Add(ref wa, columns);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
            for (var c = 0; c < vectorColumns; c += 8)
            {
                var va = Vector256.LoadUnsafe(ref wa, (nuint)c);
                var vb = Vector256.LoadUnsafe(ref wb, (nuint)c);
                var v0 = Vector256.LoadUnsafe(ref x0, (nuint)c);
                var v1 = Vector256.LoadUnsafe(ref x1, (nuint)c);
                var v2 = Vector256.LoadUnsafe(ref x2, (nuint)c);
                var v3 = Vector256.LoadUnsafe(ref x3, (nuint)c);
                a0 = Fma.MultiplyAdd(va, v0, a0);
                a1 = Fma.MultiplyAdd(va, v1, a1);
                a2 = Fma.MultiplyAdd(va, v2, a2);
                a3 = Fma.MultiplyAdd(va, v3, a3);
                b0 = Fma.MultiplyAdd(vb, v0, b0);
                b1 = Fma.MultiplyAdd(vb, v1, b1);
                b2 = Fma.MultiplyAdd(vb, v2, b2);
                b3 = Fma.MultiplyAdd(vb, v3, b3);
            }
            float sa0 = Vector256.Sum(a0), sa1 = Vector256.Sum(a1), sa2 = Vector256.Sum(a2), sa3 = Vector256.Sum(a3);
            float sb0 = Vector256.Sum(b0), sb1 = Vector256.Sum(b1), sb2 = Vector256.Sum(b2), sb3 = Vector256.Sum(b3);
            for (var c = vectorColumns; c < columns; c++)
            {
                float ca = Unsafe.Add(ref wa, c), cb = Unsafe.Add(ref wb, c);
                sa0 += ca * Unsafe.Add(ref x0, c); sa1 += ca * Unsafe.Add(ref x1, c); sa2 += ca * Unsafe.Add(ref x2, c); sa3 += ca * Unsafe.Add(ref x3, c);
                sb0 += cb * Unsafe.Add(ref x0, c); sb1 += cb * Unsafe.Add(ref x1, c); sb2 += cb * Unsafe.Add(ref x2, c); sb3 += cb * Unsafe.Add(ref x3, c);
            }
            var o = firstInput * rows + r;
            outputs[o] += sa0; outputs[o + rows] += sa1; outputs[o + 2 * rows] += sa2; outputs[o + 3 * rows] += sa3;
            outputs[o + 1] += sb0; outputs[o + rows + 1] += sb1; outputs[o + 2 * rows + 1] += sb2; outputs[o + 3 * rows + 1] += sb3;
        }
        for (; r < rowEnd; r++)
        {
            var row = weights.Slice(r * columns, columns);
            for (var b = 0; b < 4; b++)
            {
                outputs[(firstInput + b) * rows + r] += TensorPrimitives.Dot(row, inputs.Slice(b * columns, columns));
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> over row ranges [start, end) that split <paramref name="rows"/> between the cores
    /// (<see cref="RowWorkers"/>) when the product is big enough to pay for the hand-off; otherwise on the calling
    /// thread. The threshold and what it gains are measured in docs/runtime.md.
    /// </summary>
    /// <param name="work">The product's weight bytes times the streams in the batch.</param>
    public static void ForRows(int rows, long work, Action<int, int> body)
    {
        const long parallelThreshold = 1024 * 1024;
        if (rows < 64 || work < parallelThreshold)
        {
            body(0, rows);
            return;
        }
        RowWorkers.Shared.Run(rows, body);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first token: skip the tiered-JIT warm-up
    private static void MultiplyAddSingle(ReadOnlySpan<float> weights, int columns, ReadOnlySpan<float> input, Span<float> output, int rowStart, int rowEnd)
    {
        var r = rowStart;
        if (Avx2.IsSupported && Fma.IsSupported && columns >= 8)
        {
            var vectorColumns = columns & ~7;
            ref var w = ref Unsafe.AsRef(in weights[0]);
            ref var x = ref Unsafe.AsRef(in input[0]);
            for (; r + 4 <= rowEnd; r += 4)
            {
                var a0 = Vector256<float>.Zero;
                var a1 = Vector256<float>.Zero;
                var a2 = Vector256<float>.Zero;
                var a3 = Vector256<float>.Zero;
                ref var w0 = ref Unsafe.Add(ref w, r * columns);
                ref var w1 = ref Unsafe.Add(ref w0, columns);
                ref var w2 = ref Unsafe.Add(ref w1, columns);
                ref var w3 = ref Unsafe.Add(ref w2, columns);
                for (var c = 0; c < vectorColumns; c += 8)
                {
                    var xv = Vector256.LoadUnsafe(ref x, (nuint)c);
                    a0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref w0, (nuint)c), xv, a0);
                    a1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref w1, (nuint)c), xv, a1);
                    a2 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref w2, (nuint)c), xv, a2);
                    a3 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref w3, (nuint)c), xv, a3);
                }
                float s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
                for (var c = vectorColumns; c < columns; c++)
                {
                    var xc = input[c];
                    s0 += Unsafe.Add(ref w0, c) * xc;
                    s1 += Unsafe.Add(ref w1, c) * xc;
                    s2 += Unsafe.Add(ref w2, c) * xc;
                    s3 += Unsafe.Add(ref w3, c) * xc;
                }
                output[r] += s0;
                output[r + 1] += s1;
                output[r + 2] += s2;
                output[r + 3] += s3;
            }
        }
        for (; r < rowEnd; r++)
        {
            output[r] += TensorPrimitives.Dot(weights.Slice(r * columns, columns), input);
        }
    }
}
