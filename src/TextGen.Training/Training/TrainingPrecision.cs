using TextGen.Benchmarking;
using TextGen.Modeling;

namespace TextGen.Training;

/// <summary>
/// How training computes its products. Either way the weights, Adam's moments, the gate arithmetic, the states and the
/// saved model are float32; bf16 rounds only the operands of the LSTM layers' matrix products (oneDNN, float32
/// accumulation), which run about twice as fast on CPUs with bf16 instructions (docs/training.md has the figures).
/// </summary>
public enum TrainingPrecision
{
    Fp32,
    Bf16,
}

public static class TrainingPrecisions
{
    public const string Names = "auto, fp32 or bf16";

    /// <summary>"auto" (or null) is null: <see cref="Resolve"/> picks.</summary>
    public static TrainingPrecision? Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => null,
        "fp32" or "float32" => TrainingPrecision.Fp32,
        "bf16" or "bfloat16" => TrainingPrecision.Bf16,
        _ => throw new SettingException("precision", $"{text} is not a training precision; use {Names}."),
    };

    public static string Name(this TrainingPrecision precision) => precision == TrainingPrecision.Bf16 ? "bf16" : "fp32";

    /// <summary>
    /// The precision a run takes: the one asked for, checked against the CPU and the cell, or by default bf16 where it
    /// trains faster to the same loss (an LSTM on a CPU with avx512_bf16 or AMX), fp32 elsewhere.
    /// </summary>
    public static TrainingPrecision Resolve(TrainingPrecision? requested, CellType cell)
    {
        var bf16Runs = CpuFeatures.HasBf16;
        switch (requested)
        {
            case TrainingPrecision.Bf16 when cell != CellType.Lstm:
                throw new SettingException("precision", $"bf16 is for LSTM layers; {cell.ToString().ToLowerInvariant()} layers train in fp32, so use --precision fp32 (or auto).");
            case TrainingPrecision.Bf16 when !bf16Runs:
                throw new SettingException("precision", "bf16 needs a CPU with bf16 instructions (avx512_bf16 or AMX), and this one has none; use --precision fp32 (or auto).");
            case { } asked:
                return asked;
            default:
                return bf16Runs && cell == CellType.Lstm ? TrainingPrecision.Bf16 : TrainingPrecision.Fp32;
        }
    }
}
