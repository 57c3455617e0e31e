using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TextGen.Modeling;

/// <summary>
/// bfloat16 ⇄ float32 over spans, for the gate kernels of the mixed-precision LSTM layer: libtorch holds bfloat16 as
/// the upper 16 bits of a float32 (ushort here), and System.Numerics.Tensors 10 has no bfloat16 type.
/// </summary>
internal static class BFloat16Rows
{
    /// <summary>float32 = the bfloat16 bits shifted up; exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Widen(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length != source.Length) throw new ArgumentException($"{source.Length} bfloat16 values into {destination.Length} floats");
        ref var from = ref MemoryMarshal.GetReference(source);
        ref var to = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(destination));
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 32 <= source.Length; i += 32)
            {
                var (low, high) = Vector512.Widen(Vector512.LoadUnsafe(ref from, (nuint)i));
                Vector512.ShiftLeft(low, 16).StoreUnsafe(ref to, (nuint)i);
                Vector512.ShiftLeft(high, 16).StoreUnsafe(ref to, (nuint)i + 16);
            }
        }
        for (; i + 16 <= source.Length; i += 16)
        {
            var (low, high) = Vector256.Widen(Vector256.LoadUnsafe(ref from, (nuint)i));
            Vector256.ShiftLeft(low, 16).StoreUnsafe(ref to, (nuint)i);
            Vector256.ShiftLeft(high, 16).StoreUnsafe(ref to, (nuint)i + 8);
        }
        for (; i < source.Length; i++) Unsafe.Add(ref to, i) = (uint)Unsafe.Add(ref from, i) << 16;
    }

    /// <summary>Rounded to nearest, ties to even, as libtorch rounds; NaN stays NaN (the rounding would carry it to ∞).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Narrow(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length != source.Length) throw new ArgumentException($"{source.Length} floats into {destination.Length} bfloat16 values");
        ref var from = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(source));
        ref var to = ref MemoryMarshal.GetReference(destination);
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 32 <= source.Length; i += 32)
            {
                var low = Round512(Vector512.LoadUnsafe(ref from, (nuint)i));
                var high = Round512(Vector512.LoadUnsafe(ref from, (nuint)i + 16));
                Vector512.Narrow(low, high).StoreUnsafe(ref to, (nuint)i);
            }
        }
        for (; i + 16 <= source.Length; i += 16)
        {
            var low = Round256(Vector256.LoadUnsafe(ref from, (nuint)i));
            var high = Round256(Vector256.LoadUnsafe(ref from, (nuint)i + 8));
            Vector256.Narrow(low, high).StoreUnsafe(ref to, (nuint)i);
        }
        for (; i < source.Length; i++) Unsafe.Add(ref to, i) = Round(Unsafe.Add(ref from, i));
    }

    public static ushort Round(uint bits) =>
        (bits & 0x7FFF_FFFF) > 0x7F80_0000 ? (ushort)((bits >> 16) | 0x40) : (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);

    // The upper halves, rounded: what Narrow keeps of each lane.
    private static Vector512<uint> Round512(Vector512<uint> bits)
    {
        var rounded = Vector512.ShiftRightLogical(bits + Vector512.Create(0x7FFFu) + (Vector512.ShiftRightLogical(bits, 16) & Vector512<uint>.One), 16);
        var nan = Vector512.GreaterThan(bits & Vector512.Create(0x7FFF_FFFFu), Vector512.Create(0x7F80_0000u));
        return Vector512.ConditionalSelect(nan, Vector512.ShiftRightLogical(bits, 16) | Vector512.Create(0x40u), rounded);
    }

    private static Vector256<uint> Round256(Vector256<uint> bits)
    {
        var rounded = Vector256.ShiftRightLogical(bits + Vector256.Create(0x7FFFu) + (Vector256.ShiftRightLogical(bits, 16) & Vector256<uint>.One), 16);
        var nan = Vector256.GreaterThan(bits & Vector256.Create(0x7FFF_FFFFu), Vector256.Create(0x7F80_0000u));
        return Vector256.ConditionalSelect(nan, Vector256.ShiftRightLogical(bits, 16) | Vector256.Create(0x40u), rounded);
    }
}
