using ArenaGrad.Kernels;
using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

public sealed unsafe partial class Arena
{
    /// <summary>
    /// Every derivative rule, one arm per opcode. g is the gradient of the instruction's output y; each arm
    /// adds (+=) its contributions into the gradients of the inputs that require grad. Gradients of broadcast
    /// inputs are summed back to the input's shape in one place (<see cref="AccumulateReduced"/>).
    /// The first contribution to a gradient that holds nothing yet is written (=) instead of added where the
    /// helper can (see <see cref="GradientForWrite"/>), which saves zeroing the buffer.
    /// </summary>
    private void ApplyBackwardRule(in Instruction ins)
    {
        ReadOnlySpan<float> g = IncomingGradient(ins.Output);
        int a = ins.Input0, b = ins.Input1, y = ins.Output;
        float s = ins.Scalar0;
        switch (ins.Op)
        {
            case OpCode.Add:                   AccumulateReduced(a, g, y, 1f); AccumulateReduced(b, g, y, 1f); break;
            case OpCode.Subtract:              AccumulateReduced(a, g, y, 1f); AccumulateReduced(b, g, y, -1f); break;
            case OpCode.Multiply:              AccumulateBinaryReduced(a, new MultiplyOperator(), g, y, b, 1f); // da += g*b
                                               AccumulateBinaryReduced(b, new MultiplyOperator(), g, y, a, 1f); break; // db += g*a
            case OpCode.Divide:                AccumulateBinaryReduced(a, new DivideOperator(), g, y, b, 1f); // da += g/b
                                               DivideRightBackward(ins, g); break;                             // db -= g*y/b
            case OpCode.AddScalar:
            case OpCode.SubtractScalar:        AccumulateReduced(a, g, y, 1f); break;                 // dx += g
            case OpCode.ReverseSubtractScalar: AccumulateReduced(a, g, y, -1f); break;                // dx -= g
            case OpCode.MultiplyScalar:        AccumulateReduced(a, g, y, s); break;                  // dx += s*g
            case OpCode.DivideScalar:          UnaryRule(ins, new DivideScalarGradOperator(s)); break; // dx += g/s (not g*(1/s): 1/s overflows)
            case OpCode.ReverseDivideScalar:   UnaryRule(ins, new ReverseDivideGradOperator()); break; // dx -= g*y/x
            case OpCode.Negate:                AccumulateReduced(a, g, y, -1f); break;                // dx -= g
            case OpCode.Exp:                   UnaryRule(ins, new ExpGradOperator()); break;          // dx += g*y
            case OpCode.Log:                   UnaryRule(ins, new LogGradOperator()); break;          // dx += g/x
            case OpCode.Tanh:                  UnaryRule(ins, new TanhGradOperator()); break;         // dx += g*(1-y²)
            case OpCode.Sigmoid:               UnaryRule(ins, new SigmoidGradOperator()); break;      // dx += g*y*(1-y)
            case OpCode.Relu:                  UnaryRule(ins, new ReluGradOperator()); break;         // dx += y<=0 ? 0 : g
            case OpCode.Sqrt:                  UnaryRule(ins, new SqrtGradOperator()); break;         // dx += g/(2y)
            case OpCode.Abs:                   UnaryRule(ins, new AbsGradOperator()); break;          // dx += g*sign(x)
            case OpCode.Square:                UnaryRule(ins, new SquareGradOperator()); break;       // dx += 2*x*g
            case OpCode.Pow:                   UnaryRule(ins, new PowGradOperator(s)); break;         // dx += g*e*x^(e-1)
            case OpCode.LeakyRelu:             UnaryRule(ins, new LeakyReluGradOperator(s)); break;   // dx += x>0 ? g : s*g
            case OpCode.Clamp:                 UnaryRule(ins, new ClampGradOperator(s, ins.Scalar1)); break; // dx += min<=x<=max ? g : 0
            case OpCode.MatMul:                MatMulBackward(ins, g); break;                         // da += g@bᵀ, db += aᵀ@g
            case OpCode.Linear:                LinearBackward(ins, g); break;                         // dx += g@w, dw += gᵀ@x, db += Σrows g
            case OpCode.Reshape:               AccumulateReduced(a, g, y, 1f); break;                 // same element order
            case OpCode.Transpose:             TransposeBackward(ins, g); break;                      // dx += gᵀ
            case OpCode.Concat:                ConcatBackward(ins, g); break;                         // each input takes its slice
            case OpCode.SumAll:                AxisRule(ins, g, 1f); break;                           // dx += g
            case OpCode.MeanAll:               AxisRule(ins, g, LengthOf(a)); break;                  // dx += g/n
            case OpCode.SumDim:                AxisRule(ins, g, 1f); break;                           // dx[..,d,..] += g
            case OpCode.MeanDim:               AxisRule(ins, g, ShapeOf(a)[ins.Int0]); break;         // dx[..,d,..] += g/n
            case OpCode.MaxAll:                MaxBackward(ins, g); break;                            // ties (or NaNs) share g evenly
            case OpCode.MaxDim:                MaxBackward(ins, g); break;                            // amax: (g/count)*mask, NaN max: NaN
            case OpCode.Softmax:
            case OpCode.LogSoftmax:            SoftmaxBackward(ins, g); break;                        // dx += y*(g-Σg*y) | g-exp(y)Σg
            case OpCode.MseLoss:               PointwiseLossBackward(ins, g, new MseLossGradOperator(LossNorm(ins, 2f))); break; // da += norm(a-b)g, db swaps a, b
            case OpCode.CrossEntropy:
            case OpCode.CrossEntropySmoothed:  CrossEntropyBackward(ins, g); break;                   // dx += w(softmax - ε/C - (1-ε)onehot)
            case OpCode.L1LossMean:
            case OpCode.L1LossSum:
            case OpCode.L1LossNone:            PointwiseLossBackward(ins, g, new L1LossGradOperator(LossDivisor(ins))); break; // da += (g/n)sign(a-b)
            case OpCode.SmoothL1Loss:          PointwiseLossBackward(ins, g, new SmoothL1LossGradOperator(LossNorm(ins, 1f), s)); break; // da += norm g clamp((a-b)/β, -1, 1)
            case OpCode.HuberLoss:             PointwiseLossBackward(ins, g, new HuberLossGradOperator(LossNorm(ins, 1f), s)); break; // da += norm g clamp(a-b, -δ, δ)
            case OpCode.BinaryCrossEntropyWithLogits: BinaryCrossEntropyWithLogitsBackward(ins, g); break; // dx += g(σ(x)-t)/n, dt -= g x/n
            case OpCode.NllLoss:               NllLossBackward(ins, g); break;                        // dx[n, t_n] -= w_n
            default: throw new InvalidOperationException($"No backward rule for {ins.Op}.");
        }
    }

    // ---- shared helpers of the rules --------------------------------------------------------------

    /// <summary>dx += scale * g, summed over the dims where <paramref name="input"/> was broadcast to
    /// <paramref name="output"/>'s shape. The one place broadcast gradients are reduced.</summary>
    private void AccumulateReduced(int input, ReadOnlySpan<float> g, int output, float scale)
    {
        if (input < 0 || !RequiresGrad(input)) return;
        if (LengthOf(input) == g.Length)
        {
            // Equal element counts: broadcasting only added size-1 dims, so the element order is the same.
            Span<float> target = GradientForWrite(input, out bool fresh);
            if (fresh && scale == 1f) g.CopyTo(target);
            else if (fresh) Elementwise.Unary(new MultiplyScalarOperator(scale), g, target);
            else if (scale == 1f) Elementwise.Accumulate(g, target);
            else Elementwise.AccumulateScaled(g, scale, target);
            return;
        }
        ReadOnlySpan<int> outShape = ShapeOf(output);
        Span<int> strides = stackalloc int[outShape.Length];
        ShapeMath.BroadcastStrides(ShapeOf(input), outShape, strides);
        Reductions.SumToShape(g, outShape, GradientForAccumulation(input), strides, scale);
    }

    /// <summary>dx += scale * reduce(op(g, other)), where <paramref name="other"/> may be broadcast.</summary>
    private void AccumulateBinaryReduced<TOp>(int input, TOp op, ReadOnlySpan<float> g, int output, int other, float scale)
        where TOp : struct, IBinaryOperator
    {
        if (!RequiresGrad(input)) return;
        if (LengthOf(input) == g.Length && LengthOf(other) == g.Length && scale == 1f)
        {
            Span<float> target = GradientForWrite(input, out bool fresh);
            if (fresh) Elementwise.Binary(op, g, Values(other), target);
            else Elementwise.AccumulateBinary(op, g, Values(other), target);
            return;
        }
        Span<float> product = Scratch(g.Length, out _);
        BinaryBroadcastInto(op, g, ShapeOf(output), other, product);
        AccumulateReduced(input, product, output, scale);
    }

    /// <summary>result = op(lhs, other) where lhs is contiguous of <paramref name="shape"/> and other broadcasts to it.</summary>
    private void BinaryBroadcastInto<TOp>(TOp op, ReadOnlySpan<float> lhs, ReadOnlySpan<int> shape, int other, Span<float> result)
        where TOp : struct, IBinaryOperator
    {
        if (LengthOf(other) == lhs.Length) { Elementwise.Binary(op, lhs, Values(other), result); return; }
        Span<int> lhsStrides = stackalloc int[shape.Length];
        Span<int> otherStrides = stackalloc int[shape.Length];
        ShapeMath.ContiguousStrides(shape, lhsStrides);
        ShapeMath.BroadcastStrides(ShapeOf(other), shape, otherStrides);
        Elementwise.BinaryBroadcast(op, lhs, lhsStrides, Values(other), otherStrides, result, shape);
    }

    private void UnaryRule<TOp>(in Instruction ins, TOp op) where TOp : struct, IUnaryGradOperator
    {
        if (!RequiresGrad(ins.Input0)) return;
        Span<float> target = GradientForWrite(ins.Input0, out bool fresh);
        if (fresh) Elementwise.UnaryGrad(op, IncomingGradient(ins.Output), Values(ins.Input0), Values(ins.Output), target);
        else Elementwise.AccumulateUnaryGrad(op, IncomingGradient(ins.Output), Values(ins.Input0), Values(ins.Output), target);
    }

    private void DivideRightBackward(in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!RequiresGrad(ins.Input1)) return;
        // db += -(g*y)/b, with y = a/b the forward output (same shape as g).
        Span<float> gy = Scratch(g.Length, out _);
        Elementwise.Binary(new MultiplyOperator(), g, Values(ins.Output), gy);
        Span<float> quotient = Scratch(g.Length, out _);
        BinaryBroadcastInto(new DivideOperator(), gy, ShapeOf(ins.Output), ins.Input1, quotient);
        AccumulateReduced(ins.Input1, quotient, ins.Output, -1f);
    }

    /// <summary>Sum/mean backward: the gradient of the reduced axis, divided by <paramref name="divisor"/>
    /// (1 for sum, n for mean), is spread back along it.</summary>
    private void AxisRule(in Instruction ins, ReadOnlySpan<float> g, float divisor)
    {
        if (!RequiresGrad(ins.Input0)) return;
        ShapeMath.SplitAxis(ShapeOf(ins.Input0), ins.Op is OpCode.SumAll or OpCode.MeanAll ? -1 : ins.Int0,
            out int outer, out int dim, out int inner);
        Reductions.BroadcastAxisAccumulate(g, outer, dim, inner, divisor, GradientForAccumulation(ins.Input0));
    }

    private void MaxBackward(in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!RequiresGrad(ins.Input0)) return;
        ShapeMath.SplitAxis(ShapeOf(ins.Input0), ins.Op == OpCode.MaxAll ? -1 : ins.Int0,
            out int outer, out int dim, out int inner);
        Reductions.MaxAxisGrad(Values(ins.Input0), Values(ins.Output), g, outer, dim, inner, GradientForAccumulation(ins.Input0),
            amax: ins.Op == OpCode.MaxDim);
    }

    private void SoftmaxBackward(in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!RequiresGrad(ins.Input0)) return;
        ShapeMath.SplitAxis(ShapeOf(ins.Input0), ins.Int0, out int outer, out int dim, out int inner);
        Reductions.SoftmaxGradAccumulate(Values(ins.Output), g, outer, dim, inner, GradientForAccumulation(ins.Input0),
            log: ins.Op == OpCode.LogSoftmax);
    }

    private void TransposeBackward(in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!RequiresGrad(ins.Input0)) return;
        // dx = gᵀ: read g through its own strides with the two dims swapped.
        ReadOnlySpan<int> outShape = ShapeOf(ins.Output);
        Span<int> strides = stackalloc int[outShape.Length];
        ShapeMath.ContiguousStrides(outShape, strides);
        if (outShape.Length > 0) (strides[ins.Int0], strides[ins.Int1]) = (strides[ins.Int1], strides[ins.Int0]); // 0-d: transpose(0, 0)
        Layout.Copy(g, strides, GradientForAccumulation(ins.Input0), ShapeOf(ins.Input0), accumulate: true);
    }

    private void ConcatBackward(in Instruction ins, ReadOnlySpan<float> g)
    {
        ReadOnlySpan<int> inputs = OperandsOf(ins);
        ShapeMath.SplitAxis(ShapeOf(ins.Output), ins.Int0, out int outer, out int total, out int inner);
        int offset = 0;
        foreach (int input in inputs)
        {
            int width = ShapeOf(input)[ins.Int0] * inner;
            if (RequiresGrad(input))
            {
                Span<float> dx = GradientForAccumulation(input);
                for (int o = 0; o < outer; o++)
                    Elementwise.Accumulate(g.Slice(o * total * inner + offset, width), dx.Slice(o * width, width));
            }
            offset += width;
        }
    }
}

/// <summary>Facts about backward rules that the pass needs outside the rule table.</summary>
internal static class BackwardRules
{
    /// <summary>Floats of scratch the rule of <paramref name="op"/> takes through <c>Arena.Scratch</c> (each
    /// request rounded up to 16 floats), from the element counts of its output, inputs and saved slot. Backward
    /// reserves the largest over the instructions it can reach before it writes any gradient; a rule that asks
    /// for more than declared here fails loudly.</summary>
    public static long ScratchFloats(OpCode op, int output, int input0, int input1, int saved)
    {
        long y = Round(output);
        bool broadcast = input0 != output || input1 != output;
        return op switch
        {
            OpCode.Multiply => broadcast ? 2 * y : 0,            // g*b and g*a, each before reducing to the input's shape
            OpCode.Divide => (broadcast ? y : 0) + 2 * y,        // g/b before reducing; g*y and g*y/b for db
            _ => 0,
        };
    }

    private static long Round(long floats) => (floats + 15) & ~15L;

    /// <summary>Whether the operand buffer of an <paramref name="op"/> instruction holds input slots (Concat's
    /// inputs) rather than other integers (cross-entropy's targets).</summary>
    public static bool OperandsAreInputs(OpCode op) => op == OpCode.Concat;

    /// <summary>Which tensors' values the rule of <paramref name="op"/> reads (what PyTorch's node saves), given
    /// which of the first two inputs need a gradient. Record keeps their versions; backward refuses to run if
    /// any changed in place since. Keep in step with the arms of ApplyBackwardRule.</summary>
    public static SavedOperands Reads(OpCode op, bool input0NeedsGrad, bool input1NeedsGrad)
    {
        // For products, each input's gradient reads the other input.
        SavedOperands cross = (input0NeedsGrad ? SavedOperands.Input1 : 0) | (input1NeedsGrad ? SavedOperands.Input0 : 0);
        return op switch
        {
            OpCode.Multiply or OpCode.MatMul or OpCode.Linear => cross,          // da: g*b, db: g*a (bias: g only)
            OpCode.Divide => (input0NeedsGrad ? SavedOperands.Input1 : 0)        // da: g/b
                | (input1NeedsGrad ? SavedOperands.Input1 | SavedOperands.Output : 0), // db: -g*y/b
            OpCode.ReverseDivideScalar => SavedOperands.Input0 | SavedOperands.Output, // -g*y/x
            OpCode.Exp or OpCode.Tanh or OpCode.Sigmoid or OpCode.Relu or OpCode.Sqrt
                or OpCode.Softmax or OpCode.LogSoftmax => SavedOperands.Output,
            OpCode.Log or OpCode.Abs or OpCode.Square or OpCode.Pow or OpCode.LeakyRelu or OpCode.Clamp => SavedOperands.Input0,
            OpCode.MaxAll or OpCode.MaxDim => SavedOperands.Input0 | SavedOperands.Output, // where x == max
            OpCode.MseLoss or OpCode.L1LossMean or OpCode.L1LossSum or OpCode.L1LossNone or OpCode.SmoothL1Loss
                or OpCode.HuberLoss or OpCode.BinaryCrossEntropyWithLogits => SavedOperands.Input0 | SavedOperands.Input1,
            OpCode.NllLoss => SavedOperands.Input0,                              // PyTorch's node saves self
            OpCode.CrossEntropy or OpCode.CrossEntropySmoothed => SavedOperands.Saved, // log-probabilities, not the logits
            _ => SavedOperands.None,                                             // shapes and g only
        };
    }
}

/// <summary>The tensors of an instruction whose values its backward rule can read.</summary>
[Flags]
internal enum SavedOperands : byte
{
    /// <summary>The rule reads only g and shapes.</summary>
    None = 0,
    /// <summary>Instruction.Input0.</summary>
    Input0 = 1,
    /// <summary>Instruction.Input1.</summary>
    Input1 = 2,
    /// <summary>Instruction.Input2.</summary>
    Input2 = 4,
    /// <summary>Instruction.Output (y).</summary>
    Output = 8,
    /// <summary>Instruction.Saved.</summary>
    Saved = 16,
}
