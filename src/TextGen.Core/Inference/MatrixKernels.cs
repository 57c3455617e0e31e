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
        for (var r = rowStart; r < rowEnd; r++)
        {
            var row = weights.Slice(r * columns, columns);
            for (var b = 0; b < batch; b++)
            {
                outputs[b * rows + r] += TensorPrimitives.Dot(row, inputs.Slice(b * columns, columns));
            }
        }
    }

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
