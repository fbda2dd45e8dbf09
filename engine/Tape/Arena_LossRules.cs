using ArenaGrad.Kernels;
using ArenaGrad.Tape;

namespace ArenaGrad;

// Helpers of the loss arms of the rule table (Arena_BackwardRules.cs), and the one allocation the fused
// cross-entropy needs. No rule here takes scratch memory (BackwardRules.ScratchFloats is 0 for every loss).
public sealed unsafe partial class Arena
{
    /// <summary>Makes the output slot of an op (requiring grad) and a buffer it saves for backward with one memory
    /// request, so that the op has a single point of capacity failure. Returns the output slot.</summary>
    internal int NewSlotWithSaved(ReadOnlySpan<int> shape, ReadOnlySpan<int> savedShape, out int saved)
    {
        CheckUse();
        long length = ShapeMath.CheckedNumel(shape), savedLength = ShapeMath.CheckedNumel(savedShape);
        long valueFloats = RoundUp(length), savedFloats = RoundUp(savedLength);
        float* block = _floats.Allocate(2 * valueFloats + savedFloats); // values, gradient, saved buffer
        int slot = AddSlot(shape, (int)length, block);
        AttachGradient(slot, block + valueFloats);
        saved = AddSlot(savedShape, (int)savedLength, block + 2 * valueFloats);
        return slot;
    }

    /// <summary>The norm factor of PyTorch's pointwise loss backward kernels: k/n for the mean, k otherwise.</summary>
    private float LossNorm(in Instruction ins, float k) =>
        (Reduction)ins.Int0 == Reduction.Mean ? (float)((double)k / LengthOf(ins.Input0)) : k;

    /// <summary>The element count for the mean, 1 otherwise (losses whose backward divides by n at the end).</summary>
    private float LossDivisor(in Instruction ins) => (Reduction)ins.Int0 == Reduction.Mean ? LengthOf(ins.Input0) : 1f;

    /// <summary>Backward of a loss of a − b: the input takes op(g, a, b), the target op(g, b, a) (PyTorch's
    /// derivatives swap the arguments rather than negate, which differs only at ties).</summary>
    private void PointwiseLossBackward<TOp>(in Instruction ins, ReadOnlySpan<float> g, TOp op) where TOp : struct, IUnaryGradOperator
    {
        LossGradient(ins.Input0, op, ins, g, ins.Input0, ins.Input1);
        LossGradient(ins.Input1, op, ins, g, ins.Input1, ins.Input0);
    }

    private void BinaryCrossEntropyWithLogitsBackward(in Instruction ins, ReadOnlySpan<float> g)
    {
        float divisor = LossDivisor(ins);
        LossGradient(ins.Input0, new BinaryCrossEntropyWithLogitsGradOperator(divisor), ins, g, ins.Input0, ins.Input1);
        LossGradient(ins.Input1, new BinaryCrossEntropyWithLogitsTargetGradOperator(divisor), ins, g, ins.Input0, ins.Input1);
    }

    /// <summary>d[slot] (= or +=) op(g, a, b) elementwise, with g one scalar (mean, sum) or one per element (none).</summary>
    private void LossGradient<TOp>(int slot, TOp op, in Instruction ins, ReadOnlySpan<float> g, int a, int b)
        where TOp : struct, IUnaryGradOperator
    {
        if (!RequiresGrad(slot)) return;
        Span<float> target = GradientForWrite(slot, out bool fresh);
        if ((Reduction)ins.Int0 == Reduction.None)
        {
            if (fresh) Elementwise.UnaryGrad(op, g, Values(a), Values(b), target);
            else Elementwise.AccumulateUnaryGrad(op, g, Values(a), Values(b), target);
        }
        else LossKernels.UniformGradient(op, g[0], Values(a), Values(b), target, accumulate: !fresh);
    }

    /// <summary>The weight of row n in a class-index loss: g/count for the mean, g for the sum, g[n] for none.</summary>
    private static float RowWeight(Reduction reduction, ReadOnlySpan<float> g, int n, int counted) =>
        reduction switch { Reduction.Mean => g[0] / counted, Reduction.Sum => g[0], _ => g[n] };

    /// <summary>Number of targets that are not the ignore index.</summary>
    private static int CountTargets(ReadOnlySpan<int> targets, int ignoreIndex)
    {
        int counted = 0;
        foreach (int t in targets) if (t != ignoreIndex) counted++;
        return counted;
    }

    private void NllLossBackward(in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!RequiresGrad(ins.Input0)) return;
        // loss_n = -x[n, t_n]: dx[n, t_n] -= w_n; every other element's gradient is 0.
        ReadOnlySpan<int> targets = OperandsOf(ins);
        var reduction = (Reduction)ins.Int0;
        int ignoreIndex = ins.Int1, counted = CountTargets(targets, ignoreIndex);
        Span<float> dx = GradientForAccumulation(ins.Input0);
        int classes = targets.Length == 0 ? 0 : dx.Length / targets.Length;
        for (int n = 0; n < targets.Length; n++)
            if (targets[n] != ignoreIndex) dx[n * classes + targets[n]] -= RowWeight(reduction, g, n, counted);
    }

    private void CrossEntropyBackward(in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!RequiresGrad(ins.Input0)) return;
        // loss_n = -(1-ε) logp[n, t_n] - (ε/C) Σ_c logp[n, c]:
        // dx[n, c] += w_n (softmax[n, c] - ε/C - (1-ε)[c == t_n]); ignored rows get 0.
        ReadOnlySpan<float> logProbabilities = Values(ins.Saved);
        ReadOnlySpan<int> targets = OperandsOf(ins);
        var reduction = (Reduction)ins.Int0;
        int ignoreIndex = ins.Int1, counted = CountTargets(targets, ignoreIndex);
        float labelSmoothing = ins.Scalar0;
        // Marked as holding a value even for an empty batch: PyTorch's gradient is then empty, not None.
        Span<float> dx = GradientForWrite(ins.Input0, out bool fresh);
        int rows = targets.Length, classes = rows == 0 ? 0 : logProbabilities.Length / rows;
        float shift = classes == 0 ? 0f : (float)((double)labelSmoothing / classes);
        float targetShare = (float)(1.0 - labelSmoothing);
        for (int n = 0; n < rows; n++)
        {
            Span<float> dxRow = dx.Slice(n * classes, classes);
            int t = targets[n];
            if (t == ignoreIndex)
            {
                if (fresh) dxRow.Clear();
                continue;
            }
            float w = RowWeight(reduction, g, n, counted);
            LossKernels.Map(new CrossEntropyGradOperator(w, shift), logProbabilities.Slice(n * classes, classes), dxRow, accumulate: !fresh);
            dxRow[t] -= w * targetShare;
        }
    }
}
