using TextGen.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextGen.Training;

/// <summary>
/// TorchSharp's Adam (the same state, state dict and arithmetic, so checkpoints are unchanged), with the scalars of a
/// step held until the step is done. TorchSharp's own step passes temporaries converted from double
/// (<c>exp_avg.mul_(beta1)</c>, <c>value: 1 - beta2</c>, ...) to libtorch; a garbage collection between the conversion
/// and libtorch's read can finalize one, and libtorch then reads freed memory ("Expected false to be true" from
/// <c>Scalar::toDouble</c>, seen once in CI). Weight decay, AMSGrad and maximize are not used here and are refused.
/// Its name is TorchSharp's class's: a saved optimizer state names its type, and checkpoints written by either load
/// into the other.
/// </summary>
public sealed class Adam : TorchSharp.Modules.Adam
{
    public Adam(IEnumerable<Parameter> parameters, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
        : base(parameters, lr, beta1, beta2, eps)
    {
    }

    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        if (options.weight_decay is not (null or 0) || options.amsgrad == true || options.maximize == true)
        {
            throw new NotSupportedException("TextGen.Training.Adam implements plain Adam only (no weight decay, AMSGrad or maximize).");
        }
        var beta1 = options.beta1!.Value;
        var beta2 = options.beta2!.Value;
        using Scalar keep1 = beta1, add1 = 1 - beta1, keep2 = beta2, add2 = 1 - beta2, epsilon = options.eps!.Value;
        foreach (var parameter in group.Parameters)
        {
            var grad = parameter.grad;
            if (grad is null) continue;
            var state = (State)_state[parameter.Handle];
            state.step += 1;
            var correction1 = 1 - Math.Pow(beta1, state.step);
            var correction2 = 1 - Math.Pow(beta2, state.step);
            using Scalar root = Math.Sqrt(correction2), stepSize = -(options.LearningRate!.Value / correction1);
            state.exp_avg.mul_(keep1).add_(grad, alpha: add1);
            state.exp_avg_sq.mul_(keep2).addcmul_(grad, grad.conj(), value: add2);
            using var denominator = (state.exp_avg_sq.sqrt() / root).add_(epsilon, HeldScalars.One);
            parameter.addcdiv_(state.exp_avg, denominator, value: stepSize);
        }
    }, closure);
}
