using System.Diagnostics;
using System.Runtime.InteropServices;
using TextGen.Modeling;
using TextGen.Training;
using TorchSharp.Modules;

namespace TextGen.Distributed;

/// <summary>
/// Sums every rank's gradients into every rank after the backward pass (an all-reduce of one flat buffer), so all
/// ranks take the same optimizer step. Each rank's loss is scaled beforehand by its share of the step's targets
/// (<see cref="StepAgreement"/>), so the sum is the gradient of the mean loss over all ranks' rows. In bf16 (--allreduce)
/// the buffer is half the bytes and every partial sum is rounded to bfloat16's 8 significant bits.
/// </summary>
internal sealed class GradientExchange
{
    private readonly TrainingRanks _ranks;
    private readonly Parameter[] _parameters;
    private readonly TrainingPrecision _precision;
    private readonly float[] _values;
    private readonly ushort[] _narrow;
    private readonly Stopwatch _reducing = new();

    public GradientExchange(TrainingRanks ranks, Parameter[] parameters, TrainingPrecision precision)
    {
        _ranks = ranks;
        _parameters = parameters;
        _precision = precision;
        var count = parameters.Sum(p => p.numel());
        _values = ranks.Size > 1 ? new float[count] : [];
        _narrow = ranks.Size > 1 && precision == TrainingPrecision.Bf16 ? new ushort[count] : [];
    }

    /// <summary>Bytes each rank sends into one all-reduce (the algorithm moves about twice that over the network).</summary>
    public long BytesPerStep => _ranks.Size > 1 ? _values.LongLength * (_precision == TrainingPrecision.Bf16 ? 2 : 4) : 0;

    /// <summary>Wall time spent in the all-reduces, waiting for the slowest rank included.</summary>
    public TimeSpan Reducing => _reducing.Elapsed;

    /// <summary>Replaces every rank's gradients with their sum over the ranks.</summary>
    public void SumGradients()
    {
        if (_ranks.Size == 1) return;
        Gather();
        _reducing.Start();
        if (_precision == TrainingPrecision.Bf16)
        {
            BFloat16Rows.Narrow(_values, _narrow);
            _ranks.SumBf16InPlace(_narrow);
            BFloat16Rows.Widen(_narrow, _values);
        }
        else
        {
            _ranks.SumInPlace(_values);
        }
        _reducing.Stop();
        Scatter();
    }

    private void Gather()
    {
        var at = 0;
        foreach (var parameter in _parameters)
        {
            var gradient = Floats(parameter);
            gradient.CopyTo(_values.AsSpan(at));
            at += gradient.Length;
        }
    }

    private void Scatter()
    {
        var at = 0;
        foreach (var parameter in _parameters)
        {
            var gradient = Floats(parameter);
            _values.AsSpan(at, gradient.Length).CopyTo(gradient);
            at += gradient.Length;
        }
    }

    /// <summary>A parameter's gradient in place (float32, contiguous, on the CPU, as training makes them); called in the step's dispose scope.</summary>
    private static Span<float> Floats(Parameter parameter) => MemoryMarshal.Cast<byte, float>(
        (parameter.grad ?? throw new InvalidOperationException($"a parameter of shape [{string.Join(",", parameter.shape)}] has no gradient to share")).bytes);
}
