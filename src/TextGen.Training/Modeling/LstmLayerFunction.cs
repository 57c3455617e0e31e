using System.Runtime.CompilerServices;
using TextGen.Native;
using static TextGen.Modeling.TensorElements;
using static TorchSharp.torch;

namespace TextGen.Modeling;

/// <summary>
/// One LSTM layer over a whole time-major sequence, as one autograd node, laid out as cuDNN lays it: the input
/// projection of every timestep is one matrix product, each step is one recurrent product plus one call of gate
/// arithmetic (<see cref="LstmGates"/>), and the backward pass computes the weight gradients as one product over all
/// timesteps. libtorch's own CPU layer runs about ten autograd nodes a step and one small weight-gradient product per
/// step and weight.
/// </summary>
/// <remarks>
/// Arguments of <c>apply</c>: input (time, batch, in), h0 and c0 (batch, hidden), weight_ih (4·hidden, in), weight_hh
/// (4·hidden, hidden), bias_ih and bias_hh (4·hidden); PyTorch's gate order i, f, g, o; then optionally <c>true</c> for
/// bf16 products (float32 only: bfloat16 operands, float32 accumulation, gates and states). Results: output (time,
/// batch, hidden), hT, cT. Float32 or float64 (the parity tests' reference), contiguous, CPU.
/// </remarks>
internal sealed class LstmLayerFunction : autograd.MultiTensorFunction<LstmLayerFunction>
{
    public override string Name => "TextGenLstmLayer";

    // Fully optimised from the first call: a training run's first minute would otherwise loop through these in tier-0
    // code, and short benchmarks would read low.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (input, h0, c0) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2]);
        var (weightIh, weightHh, biasIh, biasHh) = ((Tensor)vars[3], (Tensor)vars[4], (Tensor)vars[5], (Tensor)vars[6]);
        long time = input.shape[0], batch = input.shape[1], features = input.shape[2], hidden = weightHh.shape[1];
        // bf16 products: the weights, the summed bias and the input are rounded once per call, each product (oneDNN,
        // float32 accumulation inside) writes bfloat16 pre-activations, which the gate kernel widens in cache, and the
        // kernel writes the hidden state in both types. Activated gates, states and outputs stay float32.
        var bf16 = vars.Length > 7 && vars[7] is true;
        if (bf16 && input.dtype != ScalarType.Float32) throw new NotSupportedException($"bf16 products are for float32 layers, not {input.dtype}");
        using var oneDnn = bf16 ? OneDnnSwitch.TurnedOn() : default;
        var operand = bf16 ? ScalarType.BFloat16 : input.dtype;
        var inputOperand = input.to(operand);
        var weightIhOperand = weightIh.to(operand);
        var weightHhOperand = weightHh.to(operand);

        // projected[t] starts as the input projection plus both biases and gets the recurrent product added; the gate
        // kernel turns it into the activated gates (in place in float32 and float64): what the backward pass needs.
        using var bias = biasIh.add(biasHh, HeldScalars.One).to(operand); // not `+`: HeldScalars says why
        var projected = addmm(bias, inputOperand.reshape(time * batch, features), weightIhOperand.t(), beta: 1, alpha: 1).view(time, batch, 4 * hidden);
        var gates = bf16 ? empty(time, batch, 4 * hidden, input.dtype) : projected;
        // hs[0] = h0 and hs[t + 1] = h_t, so hs[0..T) are the previous states and hs[1..T] the output, both contiguous;
        // hsOperand is hs in the products' type (hs itself in float32 and float64).
        var hs = empty(time + 1, batch, hidden, input.dtype);
        var hsOperand = bf16 ? empty(time + 1, batch, hidden, operand) : hs;
        var cs = empty(time + 1, batch, hidden, input.dtype);
        var cellTanh = empty(time, batch, hidden, input.dtype);
        hs[0].copy_(h0);
        if (bf16) hsOperand[0].copy_(h0);
        cs[0].copy_(c0);
        using var weightHhT = weightHhOperand.t();
        for (long t = 0; t < time; t++)
        {
            using var pre = projected[t];
            using var previous = hsOperand[t];
            pre.addmm_(previous, weightHhT);
            using var step = gates[t];
            using var cellPrevious = cs[t];
            using var cell = cs[t + 1];
            using var tanhCell = cellTanh[t];
            using var output = hs[t + 1];
            if (bf16)
            {
                using var outputOperand = hsOperand[t + 1];
                LstmGates.ForwardBf16(Elements<ushort>(pre), Elements<float>(step), Elements<float>(cellPrevious), Elements<float>(cell),
                    Elements<float>(tanhCell), Elements<float>(output), Elements<ushort>(outputOperand), (int)batch, (int)hidden);
            }
            else if (step.dtype == ScalarType.Float32) LstmGates.Forward(Elements<float>(step), Elements<float>(cellPrevious), Elements<float>(cell),
                Elements<float>(tanhCell), Elements<float>(output), (int)batch, (int)hidden);
            else LstmGates.Forward(Elements<double>(step), Elements<double>(cellPrevious), Elements<double>(cell), Elements<double>(tanhCell), Elements<double>(output), (int)batch, (int)hidden);
        }

        ctx.save_for_backward([inputOperand, weightIhOperand, weightHhOperand, gates, hsOperand, cs, cellTanh]);
        // Unused results get no gradient, not zeros: TorchSharp would make those from output copies it keeps in the
        // caller's dispose scope, which ends before the backward pass.
        ctx.set_materialize_grads(false);
        // Copies, not views of the saved buffers: a caller may change its outputs in place.
        return [hs.narrow(0, 1, time).clone(), hs[time].clone(), cs[time].clone()];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> gradients)
    {
        // The gate arithmetic is not itself differentiable: a double backward (create_graph) would be silently wrong.
        if (is_grad_enabled()) throw new NotSupportedException("the fused LSTM layer has no second derivatives (backward with create_graph)");
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var (input, weightIh, weightHh, gates, hs, cs, cellTanh) = (saved[0], saved[1], saved[2], saved[3], saved[4], saved[5], saved[6]);
        long time = input.shape[0], batch = input.shape[1], features = input.shape[2], hidden = weightHh.shape[1];
        // The saved operands say which products the forward pass ran; gate gradients, like the gates, are computed in
        // the weights' type and leave the kernel in the products' type (BackwardBf16 rounds them).
        var operand = weightHh.dtype;
        var bf16 = operand == ScalarType.BFloat16;
        var type = gates.dtype;
        using var oneDnn = bf16 ? OneDnnSwitch.TurnedOn() : default;
        Tensor Gradient(int i, ScalarType dtype, params long[] shape) => gradients[i].IsInvalid ? zeros(shape, dtype) : gradients[i].to(dtype).contiguous();
        var gradOutput = Gradient(0, type, time, batch, hidden);
        // dh and dc run backwards through time: the gradient reaching h_t and c_t from the steps after t. dh is what the
        // recurrent product writes, so it is in the products' type.
        var dh = Gradient(1, operand, batch, hidden).clone();
        var dc = Gradient(2, type, batch, hidden).clone();
        var gateGradients = empty(time, batch, 4 * hidden, operand);
        for (var t = time - 1; t >= 0; t--)
        {
            using var dy = gradOutput[t];
            using var step = gates[t];
            using var cellPrevious = cs[t];
            using var tanhCell = cellTanh[t];
            using var dGates = gateGradients[t];
            if (bf16) LstmGates.BackwardBf16(Elements<float>(step), Elements<float>(cellPrevious), Elements<float>(tanhCell), Elements<float>(dy),
                Elements<ushort>(dh), Elements<float>(dc), Elements<ushort>(dGates), (int)batch, (int)hidden);
            else if (type == ScalarType.Float32) LstmGates.Backward(Elements<float>(step), Elements<float>(cellPrevious), Elements<float>(tanhCell), Elements<float>(dy),
                Elements<float>(dh), Elements<float>(dc), Elements<float>(dGates), (int)batch, (int)hidden);
            else LstmGates.Backward(Elements<double>(step), Elements<double>(cellPrevious), Elements<double>(tanhCell), Elements<double>(dy),
                Elements<double>(dh), Elements<double>(dc), Elements<double>(dGates), (int)batch, (int)hidden);
            dh.addmm_(dGates, weightHh, beta: 0); // dh for h_{t-1}: this step's gates through the recurrent weights
        }

        var dGatesAll = gateGradients.view(time * batch, 4 * hidden);
        var dInput = mm(dGatesAll, weightIh).to(type).view(time, batch, features);
        var dWeightIh = mm(dGatesAll.t(), input.reshape(time * batch, features)).to(type);
        var dWeightHh = mm(dGatesAll.t(), hs.narrow(0, 0, time).reshape(time * batch, hidden)).to(type);
        var dBias = dGatesAll.sum(0L, type: type); // 0L: a literal 0 would convert to ScalarType and sum everything
        // The gradients in apply's order; the last argument, the bf16 flag, is no tensor and gets none.
        List<Tensor> result = [dInput, dh.to(type), dc, dWeightIh, dWeightHh, dBias, dBias.clone()];
        foreach (var tensor in result) tensor.MoveToOuterDisposeScope();
        return [.. result, null!];
    }
}
