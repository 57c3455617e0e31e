using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace TextGen.Modeling;

/// <summary>Where the fused layers hand libtorch's buffers to their C# kernels.</summary>
internal static class TensorElements
{
    /// <summary>The elements of a contiguous CPU tensor, in place (the kernels check their lengths).</summary>
    public static Span<T> Elements<T>(Tensor tensor) where T : unmanaged => MemoryMarshal.Cast<byte, T>(tensor.bytes);
}
