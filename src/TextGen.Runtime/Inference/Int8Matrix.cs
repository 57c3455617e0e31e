using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TextGen.Inference;

/// <summary>
/// A weight matrix in int8 with one float scale per row, multiplied with AVX-VNNI (32 byte products per instruction,
/// four times float32's eight, from a quarter of the memory). Inputs are hidden states, which lie in [-1, 1]: they
/// are quantized with the fixed step 1/127 and offset to unsigned bytes as VNNI wants (u = 127x + 128), and the
/// offset is taken back out with each row's sum of weights. Rows are padded to 32 columns with zero weights.
/// Without VNNI the same integer sums come from AVX2's 16-bit products, or from a plain loop: integer sums are exact,
/// so every path gives the same logits, only slower (training measures int8's loss this way on any CPU).
/// </summary>
internal sealed class Int8Matrix
{
    public const int Block = 32;
    private const float InputSteps = 127f;

    private readonly sbyte[] _weights; // (rows, padded columns)
    private readonly float[] _scales;  // per row: (max |w|) / 127 / 127, the weight step times the input step
    private readonly int[] _offsets;   // per row: 128 * sum of the row's int8 weights

    public Int8Matrix(ReadOnlySpan<float> weights, int rows, int columns)
    {
        Rows = rows;
        Columns = columns;
        PaddedColumns = (columns + Block - 1) / Block * Block;
        _weights = new sbyte[(long)rows * PaddedColumns];
        _scales = new float[rows];
        _offsets = new int[rows];
        for (var r = 0; r < rows; r++)
        {
            var row = weights.Slice(r * columns, columns);
            var max = 0f;
            foreach (var w in row) max = Math.Max(max, Math.Abs(w));
            var step = max > 0 ? max / 127f : 1f;
            var sum = 0;
            for (var c = 0; c < columns; c++)
            {
                var q = (sbyte)Math.Clamp(MathF.Round(row[c] / step), -127, 127);
                _weights[(long)r * PaddedColumns + c] = q;
                sum += q;
            }
            _scales[r] = step / InputSteps;
            _offsets[r] = 128 * sum;
        }
    }

    public int Rows { get; }
    public int Columns { get; }
    public int PaddedColumns { get; }

    /// <summary>
    /// Whether this CPU runs the fast kernel (the VEX-encoded AVX-VNNI: Intel from Alder Lake and Sapphire Rapids, AMD
    /// from Zen 5; Zen 4, Ice Lake and Cascade Lake have only the AVX-512 form). Elsewhere int8 is exact but slower.
    /// </summary>
    public static bool IsAccelerated => AvxVnni.IsSupported;

    /// <summary>Operations (a multiply and an add per byte pair) of one round of <see cref="DotProductLoop"/>.</summary>
    public const int DotProductLoopOps = 8 * 32 * 2;

    /// <summary>
    /// The kernel's instruction on registers only, eight independent chains per round: the int8 peak a benchmark
    /// compares generation against. Returns a value so the work cannot be optimised away.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static int DotProductLoop(int rounds)
    {
        var x = Vector256.Create((byte)3);
        var w = Vector256.Create((sbyte)-2);
        Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (var i = 0; i < rounds; i++)
        {
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, x, w);
            a1 = AvxVnni.MultiplyWideningAndAdd(a1, x, w);
            a2 = AvxVnni.MultiplyWideningAndAdd(a2, x, w);
            a3 = AvxVnni.MultiplyWideningAndAdd(a3, x, w);
            a4 = AvxVnni.MultiplyWideningAndAdd(a4, x, w);
            a5 = AvxVnni.MultiplyWideningAndAdd(a5, x, w);
            a6 = AvxVnni.MultiplyWideningAndAdd(a6, x, w);
            a7 = AvxVnni.MultiplyWideningAndAdd(a7, x, w);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
    }

    /// <summary>Quantizes inputs in [-1, 1] (batch rows of <paramref name="columns"/>) to the bytes the kernel reads (batch rows of padded columns).</summary>
    public static void QuantizeInputs(ReadOnlySpan<float> inputs, int columns, Span<byte> quantized, int paddedColumns)
    {
        var batch = inputs.Length / columns;
        quantized.Fill(128); // padding reads as 0
        for (var b = 0; b < batch; b++)
        {
            var from = inputs.Slice(b * columns, columns);
            var to = quantized.Slice(b * paddedColumns, columns);
            var c = 0;
            for (; c + 32 <= columns; c += 32)
            {
                var words = Vector256.Narrow(Quantize(from.Slice(c, 8)), Quantize(from.Slice(c + 8, 8)));
                var moreWords = Vector256.Narrow(Quantize(from.Slice(c + 16, 8)), Quantize(from.Slice(c + 24, 8)));
                Vector256.Narrow(words, moreWords).CopyTo(to.Slice(c, 32));
            }
            for (; c < columns; c++)
            {
                to[c] = (byte)(MathF.Round(Math.Clamp(from[c], -1f, 1f) * InputSteps) + 128);
            }
        }
    }

    /// <summary>127x + 128 for eight inputs clamped to [-1, 1], rounded to the nearest (ties to even, as MathF.Round).</summary>
    private static Vector256<uint> Quantize(ReadOnlySpan<float> eight) =>
        (Vector256.ConvertToInt32(Vector256.Round(Vector256.Clamp(Vector256.Create(eight), Vector256.Create(-1f), Vector256.Create(1f)) * InputSteps))
         + Vector256.Create(128)).AsUInt32();

    /// <summary>y[b, r] += W[r, :] · x[b, :] for rows [rowStart, rowEnd), x given by <see cref="QuantizeInputs"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void MultiplyAdd(ReadOnlySpan<byte> inputs, Span<float> outputs, int batch, int rowStart, int rowEnd)
    {
        for (var b = 0; b < batch; b++)
        {
            MultiplyAddSingle(inputs.Slice(b * PaddedColumns, PaddedColumns), outputs.Slice(b * Rows, Rows), rowStart, rowEnd);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MultiplyAddSingle(ReadOnlySpan<byte> input, Span<float> output, int rowStart, int rowEnd)
    {
        var r = rowStart;
        if (AvxVnni.IsSupported)
        {
            r = MultiplyAddVnni(input, output, rowStart, rowEnd);
        }
        for (; r < rowEnd; r++)
        {
            output[r] += _scales[r] * (RowDot(input, r) - _offsets[r]);
        }
    }

    /// <summary>Rows four at a time with VNNI; returns the first row left for <see cref="RowDot"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int MultiplyAddVnni(ReadOnlySpan<byte> input, Span<float> output, int rowStart, int rowEnd)
    {
        ref var x = ref Unsafe.AsRef(in input[0]);
        ref var w = ref Unsafe.As<sbyte, byte>(ref _weights[0]);
        var columns = PaddedColumns;
        var r = rowStart;
        for (; r + 4 <= rowEnd; r += 4)
        {
            Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default;
            ref var w0 = ref Unsafe.Add(ref w, (nint)r * columns);
            ref var w1 = ref Unsafe.Add(ref w0, columns);
            ref var w2 = ref Unsafe.Add(ref w1, columns);
            ref var w3 = ref Unsafe.Add(ref w2, columns);
            for (var c = 0; c < columns; c += Block)
            {
                var xv = Vector256.LoadUnsafe(ref x, (nuint)c);
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, xv, Vector256.LoadUnsafe(ref w0, (nuint)c).AsSByte());
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, xv, Vector256.LoadUnsafe(ref w1, (nuint)c).AsSByte());
                a2 = AvxVnni.MultiplyWideningAndAdd(a2, xv, Vector256.LoadUnsafe(ref w2, (nuint)c).AsSByte());
                a3 = AvxVnni.MultiplyWideningAndAdd(a3, xv, Vector256.LoadUnsafe(ref w3, (nuint)c).AsSByte());
            }
            output[r] += _scales[r] * (Vector256.Sum(a0) - _offsets[r]);
            output[r + 1] += _scales[r + 1] * (Vector256.Sum(a1) - _offsets[r + 1]);
            output[r + 2] += _scales[r + 2] * (Vector256.Sum(a2) - _offsets[r + 2]);
            output[r + 3] += _scales[r + 3] * (Vector256.Sum(a3) - _offsets[r + 3]);
        }
        return r;
    }

    /// <summary>One row's integer dot product with the quantized input: VNNI, AVX2's 16-bit products, or a plain loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int RowDot(ReadOnlySpan<byte> input, int row)
    {
        var weights = _weights.AsSpan(row * PaddedColumns, PaddedColumns);
        ref var x = ref Unsafe.AsRef(in input[0]);
        ref var w = ref Unsafe.As<sbyte, byte>(ref weights[0]);
        if (AvxVnni.IsSupported)
        {
            Vector256<int> a = default;
            for (var c = 0; c < PaddedColumns; c += Block)
            {
                a = AvxVnni.MultiplyWideningAndAdd(a, Vector256.LoadUnsafe(ref x, (nuint)c), Vector256.LoadUnsafe(ref w, (nuint)c).AsSByte());
            }
            return Vector256.Sum(a);
        }
        if (Avx2.IsSupported)
        {
            // Bytes widened to 16 bits: each product is at most 255 x 127 and a pair's sum fits 32 bits, so no saturation.
            Vector256<int> a = default;
            for (var c = 0; c < PaddedColumns; c += 16)
            {
                var xs = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref x, (nuint)c));
                var ws = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref w, (nuint)c).AsSByte());
                a += Avx2.MultiplyAddAdjacent(xs, ws);
            }
            return Vector256.Sum(a);
        }
        var sum = 0;
        for (var c = 0; c < PaddedColumns; c++) sum += input[c] * weights[c];
        return sum;
    }
}
