using TorchSharp;

namespace TextGen.Modeling;

/// <summary>
/// Scalars that live as long as the process. TorchSharp converts a number to a temporary <see cref="Scalar"/> whenever
/// a call takes one, including the hidden <c>alpha = 1</c> of <c>a + b</c>, <c>add(t)</c> and <c>add_(s)</c>; nothing
/// holds the temporary during the native call, so a garbage collection can finalize it while libtorch reads it
/// ("Expected false to be true" from <c>Scalar::toFloat</c>, seen in the suite). Code on training's path passes every
/// scalar explicitly: one held by a <c>using</c> for values that change, or one of these.
/// </summary>
public static class HeldScalars
{
    public static readonly Scalar One = 1.0;
}
