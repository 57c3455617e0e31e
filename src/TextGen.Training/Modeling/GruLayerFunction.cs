using System.Runtime.CompilerServices;
using TextGen.Native;
using static TextGen.Modeling.TensorElements;
using static TorchSharp.torch;

namespace TextGen.Modeling;

/// <summary>
/// One GRU layer over a whole time-major sequence, as one autograd node, as <see cref="LstmLayerFunction"/> is for
/// LSTM: the input projection of every timestep is one matrix product, each step is one recurrent product (its bias
/// kept apart, since the reset gate scales the candidate's part of it) plus one call of gate arithmetic
/// (<see cref="GruGates"/>), and the backward pass computes the weight gradients as one product over all timesteps.
/// </summary>
/// <remarks>
/// Arguments of <c>apply</c>: input (time, batch, in), h0 (batch, hidden), weight_ih (3·hidden, in), weight_hh
/// (3·hidden, hidden), bias_ih and bias_hh (3·hidden); PyTorch's gate order r, z, n; then optionally <c>true</c> for
/// bf16 products (float32 only: bfloat16 operands, float32 accumulation, gates and states). Results: output (time,
/// batch, hidden) and hT. Float32 or float64 (the parity tests' reference), contiguous, CPU.
/// </remarks>
internal sealed class GruLayerFunction : autograd.MultiTensorFunction<GruLayerFunction>
{
    public override string Name => "TextGenGruLayer";

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // LstmLayerFunction says why
    public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (input, h0) = ((Tensor)vars[0], (Tensor)vars[1]);
        var (weightIh, weightHh, biasIh, biasHh) = ((Tensor)vars[2], (Tensor)vars[3], (Tensor)vars[4], (Tensor)vars[5]);
        long time = input.shape[0], batch = input.shape[1], features = input.shape[2], hidden = weightHh.shape[1];
        var bf16 = vars.Length > 6 && vars[6] is true;
        if (bf16 && input.dtype != ScalarType.Float32) throw new NotSupportedException($"bf16 products are for float32 layers, not {input.dtype}");
        using var oneDnn = bf16 ? OneDnnSwitch.TurnedOn() : default;
        var type = input.dtype;
        var operand = bf16 ? ScalarType.BFloat16 : type;
        var inputOperand = input.to(operand);
        var weightIhOperand = weightIh.to(operand);
        var weightHhOperand = weightHh.to(operand);
        // b_hr and b_hz only add to their gates, so they join the input projection's bias; b_hn stays apart, as the
        // reset gate scales it. Each step's product then has no bias, and writes straight into its place.
        using var foldedBias = biasIh.clone();
        using (var resetAndUpdate = foldedBias.narrow(0, 0, 2 * hidden)) resetAndUpdate.add_(biasHh.narrow(0, 0, 2 * hidden));
        using var biasOperand = foldedBias.to(operand);
        using var candidateBias = biasHh.narrow(0, 2 * hidden, hidden).contiguous();
        // bf16: the input projection stays bfloat16, as each step's recurrent product does; the gate kernel widens both in cache.
        using var projected = addmm(biasOperand, inputOperand.reshape(time * batch, features), weightIhOperand.t(), beta: 1, alpha: 1).view(time, batch, 3 * hidden);
        // hs[0] = h0 and hs[t + 1] = h_t; hsOperand is hs in the products' type (hs itself without bf16).
        var hs = empty(time + 1, batch, hidden, type);
        var hsOperand = bf16 ? empty(time + 1, batch, hidden, operand) : hs;
        var gates = empty(time, batch, 3 * hidden, type);
        var candidateHidden = empty(time, batch, hidden, type);
        using var products = bf16 ? empty(batch, 3 * hidden, operand) : null;
        hs[0].copy_(h0);
        if (bf16) hsOperand[0].copy_(h0);
        using var weightHhT = weightHhOperand.t();
        for (long t = 0; t < time; t++)
        {
            using var previousOperand = hsOperand[t];
            using var x = projected[t];
            using var previous = hs[t];
            using var step = gates[t];
            using var hn = candidateHidden[t];
            using var output = hs[t + 1];
            if (products is not null)
            {
                products.zero_().addmm_(previousOperand, weightHhT); // beta 1, as the LSTM layer's: oneDNN's bf16 path
                using var outputOperand = hsOperand[t + 1];
                GruGates.ForwardBf16(Elements<ushort>(x), Elements<ushort>(products), Elements<float>(step), Elements<float>(candidateBias), Elements<float>(previous),
                    Elements<float>(hn), Elements<float>(output), Elements<ushort>(outputOperand), (int)batch, (int)hidden);
                continue;
            }
            step.addmm_(previousOperand, weightHhT, beta: 0);
            if (type == ScalarType.Float32)
            {
                GruGates.Forward(Elements<float>(x), Elements<float>(step), Elements<float>(candidateBias), Elements<float>(previous), Elements<float>(hn),
                    Elements<float>(output), (int)batch, (int)hidden);
            }
            else
            {
                GruGates.Forward(Elements<double>(x), Elements<double>(step), Elements<double>(candidateBias), Elements<double>(previous), Elements<double>(hn),
                    Elements<double>(output), (int)batch, (int)hidden);
            }
        }

        ctx.save_for_backward([inputOperand, weightIhOperand, weightHhOperand, gates, candidateHidden, hs, hsOperand]);
        ctx.set_materialize_grads(false); // LstmLayerFunction says why
        return [hs.narrow(0, 1, time).clone(), hs[time].clone()];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> gradients)
    {
        if (is_grad_enabled()) throw new NotSupportedException("the fused GRU layer has no second derivatives (backward with create_graph)");
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var (input, weightIh, weightHh, gates, candidateHidden, hs, hsOperand) = (saved[0], saved[1], saved[2], saved[3], saved[4], saved[5], saved[6]);
        long time = input.shape[0], batch = input.shape[1], features = input.shape[2], hidden = weightHh.shape[1];
        var operand = weightHh.dtype;
        var type = gates.dtype;
        using var oneDnn = operand == ScalarType.BFloat16 ? OneDnnSwitch.TurnedOn() : default;
        Tensor Gradient(int i, params long[] shape) => gradients[i].IsInvalid ? zeros(shape, type) : gradients[i].to(type).contiguous();
        var gradOutput = Gradient(0, time, batch, hidden);
        // dh runs backwards through time: the gradient reaching h_t from the steps after t. With bf16 products, the
        // part through the recurrent weights stays in bfloat16 (throughWeights, what that product writes) and the
        // gate kernel adds it, and the projection gradients are written in bfloat16 for the products that take them.
        var dh = Gradient(1, batch, hidden).clone();
        var bf16 = operand == ScalarType.BFloat16;
        var throughWeights = bf16 ? zeros(batch, hidden, operand) : null;
        var inputGradients = empty(time, batch, 3 * hidden, operand);
        var hiddenGradients = empty(time, batch, 3 * hidden, operand);
        for (var t = time - 1; t >= 0; t--)
        {
            using var dy = gradOutput[t];
            using var step = gates[t];
            using var hn = candidateHidden[t];
            using var previous = hs[t];
            using var dX = inputGradients[t];
            using var dH = hiddenGradients[t];
            if (throughWeights is not null)
            {
                GruGates.BackwardBf16(Elements<float>(step), Elements<float>(hn), Elements<float>(previous), Elements<float>(dy), Elements<ushort>(throughWeights),
                    Elements<float>(dh), Elements<ushort>(dX), Elements<ushort>(dH), (int)batch, (int)hidden);
                throughWeights.addmm_(dH, weightHh, beta: 0);
                continue;
            }
            if (type == ScalarType.Float32)
            {
                GruGates.Backward(Elements<float>(step), Elements<float>(hn), Elements<float>(previous), Elements<float>(dy), Elements<float>(dh),
                    Elements<float>(dX), Elements<float>(dH), (int)batch, (int)hidden);
            }
            else
            {
                GruGates.Backward(Elements<double>(step), Elements<double>(hn), Elements<double>(previous), Elements<double>(dy), Elements<double>(dh),
                    Elements<double>(dX), Elements<double>(dH), (int)batch, (int)hidden);
            }
            // dh for h_{t-1}: the part that bypassed the product (z·dh, now in dh) plus this step's gradients through the weights.
            dh.addmm_(dH, weightHh);
        }
        if (throughWeights is not null) dh.add_(throughWeights.to(type));

        var dInputAll = inputGradients.view(time * batch, 3 * hidden);
        var dHiddenAll = hiddenGradients.view(time * batch, 3 * hidden);
        var dInput = mm(dInputAll, weightIh).to(type).view(time, batch, features);
        var dWeightIh = mm(dInputAll.t(), input.reshape(time * batch, features)).to(type);
        var dWeightHh = mm(dHiddenAll.t(), hsOperand.narrow(0, 0, time).reshape(time * batch, hidden)).to(type);
        var dBiasIh = dInputAll.sum(0L, type: type); // 0L: LstmLayerFunction says why
        var dBiasHh = dHiddenAll.sum(0L, type: type);
        List<Tensor> result = [dInput, dh, dWeightIh, dWeightHh, dBiasIh, dBiasHh];
        foreach (var tensor in result) tensor.MoveToOuterDisposeScope();
        return [.. result, null!];
    }
}
