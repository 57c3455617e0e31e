using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace TextGen.Modeling;

/// <summary>
/// Dropout whose keep-mask is a hash of each element's index and a per-call key drawn from libtorch's generator
/// (deterministic under <c>manual_seed</c>), computed in vector registers. libtorch draws its mask one random number
/// at a time on one core (its vectorised MKL path is for Intel CPUs only), a noticeable share of a training step on
/// other CPUs (docs/training.md has the measurements).
/// Same semantics as nn.Dropout: in training, each element is kept with probability 1 - p and scaled by 1 / (1 - p).
/// </summary>
public sealed class CounterDropout(double probability) : nn.Module<Tensor, Tensor>("CounterDropout")
{
    public double Probability { get; } = probability;

    public override Tensor forward(Tensor input) => Apply(input, Probability, training);

    public static Tensor Apply(Tensor input, double probability, bool training)
    {
        if (!training || probability <= 0) return input.alias();
        if (input.dtype is not (ScalarType.Float32 or ScalarType.Float64)) return nn.functional.dropout(input, probability, training);
        if (probability >= 1) return input * 0; // still in the graph: its gradient is zero, not missing
        long drawn;
        using (var draw = randint(0, int.MaxValue, [1], ScalarType.Int64)) drawn = draw.item<long>(); // manual_seed decides it
        var key = (uint)drawn;
        using var mask = empty(input.shape, input.dtype, input.device);
        if (input.dtype == ScalarType.Float32) Fill(MemoryMarshal.Cast<byte, float>(mask.bytes), key, probability);
        else Fill(MemoryMarshal.Cast<byte, double>(mask.bytes), key, probability);
        return input * mask;
    }

    /// <summary>mask[i] = 0 where the hash of (i, key) falls below p·2^32, else 1 / (1 - p).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Fill<T>(Span<T> mask, uint key, double probability) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var threshold = (uint)Math.Min(uint.MaxValue, probability * 4294967296.0);
        var kept = T.CreateChecked(1 / (1 - probability));
        var mixed = Mix(key);
        var lanes = Vector<uint>.Count;
        var i = 0;
        if (Vector<T>.Count == lanes) // float32: one hash lane per element
        {
            var index = Vector<uint>.Indices;
            var keys = new Vector<uint>(mixed);
            var thresholds = new Vector<uint>(threshold);
            var keptLanes = new Vector<T>(kept);
            ref var m0 = ref MemoryMarshal.GetReference(mask);
            for (; i + lanes <= mask.Length; i += lanes)
            {
                var h = Mix((index + new Vector<uint>((uint)i)) * new Vector<uint>(0x9E3779B9u) ^ keys);
                var keep = Vector.GreaterThanOrEqual(h, thresholds);
                Vector.ConditionalSelect(Vector.As<uint, T>(keep), keptLanes, Vector<T>.Zero).StoreUnsafe(ref m0, (nuint)i);
            }
        }
        for (; i < mask.Length; i++) mask[i] = Mix((uint)i * 0x9E3779B9u ^ mixed) >= threshold ? kept : T.Zero;
    }

    // MurmurHash3's 32-bit finaliser: every input bit reaches every output bit.
    private static uint Mix(uint h)
    {
        h ^= h >> 16; h *= 0x85EBCA6Bu; h ^= h >> 13; h *= 0xC2B2AE35u; h ^= h >> 16;
        return h;
    }

    private static Vector<uint> Mix(Vector<uint> h)
    {
        h ^= Vector.ShiftRightLogical(h, 16); h *= new Vector<uint>(0x85EBCA6Bu);
        h ^= Vector.ShiftRightLogical(h, 13); h *= new Vector<uint>(0xC2B2AE35u);
        return h ^ Vector.ShiftRightLogical(h, 16);
    }
}
