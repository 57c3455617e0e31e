using TextGen.Inference;
using TextGen.Settings;

namespace TextGen.Generation;

/// <summary>How a loaded model computes, for every request it serves (the settings of `sample` and `serve` that are not per sample).</summary>
public sealed record GeneratorOptions
{
    [Option("precision", "Generation arithmetic: auto (int8 where the CPU has AVX-VNNI and the model's training measured it within 0.01 nats of fp32), " +
                         "fp32 (the reference) or int8 (per-row int8 weights; docs/runtime.md).")]
    public GenerationPrecision Precision { get; init; }
}
