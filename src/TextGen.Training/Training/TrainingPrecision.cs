using TextGen.Benchmarking;
using TextGen.Modeling;

namespace TextGen.Training;

/// <summary>
/// How training computes its products. Either way the weights, Adam's moments, the gate arithmetic, the cell state and
/// the saved model are float32. bf16 runs the LSTM and GRU layers' matrix products in bfloat16 (oneDNN: bfloat16 operands and
/// results, float32 accumulation inside each product), about twice as fast on CPUs with bf16 instructions; so the
/// pre-activations and the gradients those products give keep bfloat16's 8 significant bits before they are widened
/// (docs/training.md has the figures).
/// </summary>
public enum TrainingPrecision
{
    Fp32,
    Bf16,
}

public static class TrainingPrecisions
{
    public static string Name(this TrainingPrecision precision) => precision == TrainingPrecision.Bf16 ? "bf16" : "fp32";

    /// <summary>
    /// The precision a run takes: the one asked for, checked against the CPU and the cell, or by default bf16 where it
    /// trains faster to the same loss (LSTM and GRU layers on a CPU with avx512_bf16 or AMX), fp32 elsewhere.
    /// </summary>
    public static TrainingPrecision Resolve(TrainingPrecision? requested, CellType cell) => Resolve(requested, cell, CpuFeatures.HasBf16);

    internal static TrainingPrecision Resolve(TrainingPrecision? requested, CellType cell, bool cpuHasBf16)
    {
        switch (requested)
        {
            case TrainingPrecision.Bf16 when cell == CellType.Rnn:
                throw new SettingException("precision", "bf16 is for LSTM and GRU layers; rnn layers train in fp32, so use --precision fp32 (or auto).");
            case TrainingPrecision.Bf16 when !cpuHasBf16:
                throw new SettingException("precision", "bf16 needs a CPU with bf16 instructions (avx512_bf16 or AMX), and this one has none; use --precision fp32 (or auto).");
            case { } asked:
                return asked;
            default:
                return cpuHasBf16 && cell != CellType.Rnn ? TrainingPrecision.Bf16 : TrainingPrecision.Fp32;
        }
    }

    /// <summary>The precisions a run of <paramref name="cell"/> layers can take on this CPU: fp32, and bf16 where it applies.</summary>
    public static IReadOnlyList<TrainingPrecision> Available(CellType cell) =>
        CpuFeatures.HasBf16 && cell != CellType.Rnn ? [TrainingPrecision.Fp32, TrainingPrecision.Bf16] : [TrainingPrecision.Fp32];
}
