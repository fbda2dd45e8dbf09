using System.Runtime.CompilerServices;
using ArenaGrad.Kernels;
using ArenaGrad.Memory;

namespace ArenaGrad.Tape;

/// <summary>
/// Every derivative rule, one method per opcode, in opcode order: the table <see cref="OpTable"/>'s rows point to.
/// g is the gradient of the instruction's output y; each rule adds (+=) its contributions into the gradients of the
/// inputs that require grad. Gradients of broadcast inputs are summed back to the input's shape in one place
/// (<see cref="AccumulateReduced"/>). The first contribution to a gradient that holds nothing yet is written (=)
/// instead of added where the helper can (see <see cref="Arena.GradientForWrite"/>), which saves zeroing the buffer.
/// </summary>
/// <remarks>What each rule reads and the scratch it takes are its row's <c>Reads</c> and <c>Scratch</c>: a rule that
/// reads another operand or takes more scratch must change its row too (backward refuses undeclared scratch).</remarks>
internal static partial class BackwardRules
{
    // elementwise binary with broadcasting
    public static void Add(Arena arena, in Instruction ins, ReadOnlySpan<float> g)                   // da += g, db += g
    {
        AccumulateReduced(arena, ins.Input0, g, ins.Output, 1f);
        AccumulateReduced(arena, ins.Input1, g, ins.Output, 1f);
    }
    public static void Subtract(Arena arena, in Instruction ins, ReadOnlySpan<float> g)              // da += g, db -= g
    {
        AccumulateReduced(arena, ins.Input0, g, ins.Output, 1f);
        AccumulateReduced(arena, ins.Input1, g, ins.Output, -1f);
    }
    public static void Multiply(Arena arena, in Instruction ins, ReadOnlySpan<float> g)              // da += g*b, db += g*a
    {
        AccumulateBinaryReduced(arena, ins.Input0, new MultiplyOperator(), g, ins.Output, ins.Input1, 1f);
        AccumulateBinaryReduced(arena, ins.Input1, new MultiplyOperator(), g, ins.Output, ins.Input0, 1f);
    }
    public static void Divide(Arena arena, in Instruction ins, ReadOnlySpan<float> g)                // da += g/b, db -= g*y/b
    {
        AccumulateBinaryReduced(arena, ins.Input0, new DivideOperator(), g, ins.Output, ins.Input1, 1f);
        DivideRightBackward(arena, ins, g);
    }

    // elementwise with a scalar s
    // dx += g
    public static void AddScalar(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => AccumulateReduced(arena, ins.Input0, g, ins.Output, 1f);
    // dx += g
    public static void SubtractScalar(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => AccumulateReduced(arena, ins.Input0, g, ins.Output, 1f);
    // dx -= g
    public static void ReverseSubtractScalar(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => AccumulateReduced(arena, ins.Input0, g, ins.Output, -1f);
    // dx += s*g
    public static void MultiplyScalar(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => AccumulateReduced(arena, ins.Input0, g, ins.Output, ins.Scalar0);
    // dx += g/s (not g*(1/s): 1/s overflows)
    public static void DivideScalar(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new DivideScalarGradOperator(ins.Scalar0));
    // dx -= g*y/x
    public static void ReverseDivideScalar(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new ReverseDivideGradOperator());

    // elementwise unary
    // dx -= g
    public static void Negate(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => AccumulateReduced(arena, ins.Input0, g, ins.Output, -1f);
    // dx += g*y
    public static void Exp(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new ExpGradOperator());
    // dx += g/x
    public static void Log(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new LogGradOperator());
    // dx += g*(1-y²)
    public static void Tanh(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new TanhGradOperator());
    // dx += g*y*(1-y)
    public static void Sigmoid(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new SigmoidGradOperator());
    // dx += y<=0 ? 0 : g
    public static void Relu(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new ReluGradOperator());
    // dx += g/(2y)
    public static void Sqrt(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new SqrtGradOperator());
    // dx += g*sign(x)
    public static void Abs(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new AbsGradOperator());
    // dx += 2*x*g
    public static void Square(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new SquareGradOperator());
    // dx += g*e*x^(e-1)
    public static void Pow(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new PowGradOperator(ins.Scalar0));
    // dx += x>0 ? g : s*g
    public static void LeakyRelu(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new LeakyReluGradOperator(ins.Scalar0));
    // dx += min<=x<=max ? g : 0
    public static void Clamp(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new ClampGradOperator(ins.Scalar0, ins.Scalar1));

    // linear algebra
    // da += g@bᵀ, db += aᵀ@g
    public static void MatMul(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => MatMulBackward(arena, ins, g);
    // dx += g@w, dw += gᵀ@x, db += Σrows g
    public static void Linear(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => LinearBackward(arena, ins, g);

    // shape
    // same element order
    public static void Reshape(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => AccumulateReduced(arena, ins.Input0, g, ins.Output, 1f);
    // dx += gᵀ
    public static void Transpose(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => TransposeBackward(arena, ins, g);
    // each input takes its slice
    public static void Concat(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => ConcatBackward(arena, ins, g);

    // reductions
    // dx += g
    public static void SumAll(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => AxisRule(arena, ins, g, WholeTensor, 1f);
    // dx[..,d,..] += g
    public static void SumDim(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => AxisRule(arena, ins, g, ins.Int0, 1f);
    // dx += g/n
    public static void MeanAll(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => AxisRule(arena, ins, g, WholeTensor, arena.LengthOf(ins.Input0));
    // dx[..,d,..] += g/n
    public static void MeanDim(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => AxisRule(arena, ins, g, ins.Int0, arena.ShapeOf(ins.Input0)[ins.Int0]);
    // ties (or NaNs) share g evenly
    public static void MaxAll(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => MaxBackward(arena, ins, g, WholeTensor, amax: false);
    // amax: (g/count)*mask, NaN max: NaN
    public static void MaxDim(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => MaxBackward(arena, ins, g, ins.Int0, amax: true);
    // dx += y*(g-Σg*y)
    public static void Softmax(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => SoftmaxBackward(arena, ins, g, log: false);
    // dx += g-exp(y)Σg
    public static void LogSoftmax(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => SoftmaxBackward(arena, ins, g, log: true);

    // losses
    // da += norm(a-b)g, db swaps a, b
    public static void MseLoss(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => PointwiseLossBackward(arena, ins, g, new MseLossGradOperator(LossNorm(arena, ins, 2f)));
    // dx += w(softmax - ε/C - (1-ε)onehot)
    public static void CrossEntropy(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => CrossEntropyBackward(arena, ins, g);
    // da += (g/n)sign(a-b)
    public static void L1Loss(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => PointwiseLossBackward(arena, ins, g, new L1LossGradOperator(LossDivisor(arena, ins)));
    // da += norm g clamp((a-b)/β, -1, 1)
    public static void SmoothL1Loss(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => PointwiseLossBackward(arena, ins, g, new SmoothL1LossGradOperator(LossNorm(arena, ins, 1f), ins.Scalar0));
    // da += norm g clamp(a-b, -δ, δ)
    public static void HuberLoss(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => PointwiseLossBackward(arena, ins, g, new HuberLossGradOperator(LossNorm(arena, ins, 1f), ins.Scalar0));
    // dx += g(σ(x)-t)/n, dt -= g x/n
    public static void BinaryCrossEntropyWithLogits(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => BinaryCrossEntropyWithLogitsBackward(arena, ins, g);
    // dx[n, t_n] -= w_n
    public static void NllLoss(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => NllLossBackward(arena, ins, g);

    // ---- shared helpers of the rules --------------------------------------------------------------

    /// <summary>dx += scale * g, summed over the dims where <paramref name="input"/> was broadcast to
    /// <paramref name="output"/>'s shape. The one place broadcast gradients are reduced.</summary>
    private static void AccumulateReduced(Arena arena, int input, ReadOnlySpan<float> g, int output, float scale)
    {
        if (input < 0 || !arena.RequiresGrad(input)) return;
        if (arena.LengthOf(input) == g.Length)
        {
            // Equal element counts: broadcasting only added size-1 dims, so the element order is the same.
            Span<float> target = arena.GradientForWrite(input, out bool fresh);
            if (fresh && scale == 1f) g.CopyTo(target);
            else if (fresh) Elementwise.Unary(new MultiplyScalarOperator(scale), g, target);
            else if (scale == 1f) Elementwise.Accumulate(g, target);
            else Elementwise.AccumulateScaled(g, scale, target);
            return;
        }
        AccumulateSummedToShape(arena, input, g, output, scale);
    }

    /// <summary><see cref="AccumulateReduced"/> for an input that was broadcast: g summed over the broadcast dims. A
    /// method of its own so that the common rule sets up no stackalloc.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AccumulateSummedToShape(Arena arena, int input, ReadOnlySpan<float> g, int output, float scale)
    {
        ReadOnlySpan<int> outShape = arena.ShapeOf(output);
        Span<int> strides = stackalloc int[outShape.Length];
        ShapeMath.BroadcastStrides(arena.ShapeOf(input), outShape, strides);
        Reductions.SumToShape(g, outShape, arena.GradientForAccumulation(input), strides, scale);
    }

    /// <summary>dx += scale * reduce(op(g, other)), where <paramref name="other"/> may be broadcast.</summary>
    private static void AccumulateBinaryReduced<TOp>(Arena arena, int input, TOp op, ReadOnlySpan<float> g, int output, int other, float scale)
        where TOp : struct, IBinaryOperator
    {
        if (!arena.RequiresGrad(input)) return;
        if (arena.LengthOf(input) == g.Length && arena.LengthOf(other) == g.Length && scale == 1f)
        {
            Span<float> target = arena.GradientForWrite(input, out bool fresh);
            if (fresh) Elementwise.Binary(op, g, arena.Values(other), target);
            else Elementwise.AccumulateBinary(op, g, arena.Values(other), target);
            return;
        }
        Span<float> product = arena.Scratch(g.Length, out _);
        BinaryBroadcastInto(arena, op, g, arena.ShapeOf(output), other, product);
        AccumulateReduced(arena, input, product, output, scale);
    }

    /// <summary>result = op(lhs, other) where lhs is contiguous of <paramref name="shape"/> and other broadcasts to it.</summary>
    private static void BinaryBroadcastInto<TOp>(Arena arena, TOp op, ReadOnlySpan<float> lhs, ReadOnlySpan<int> shape, int other, Span<float> result)
        where TOp : struct, IBinaryOperator
    {
        if (arena.LengthOf(other) == lhs.Length) { Elementwise.Binary(op, lhs, arena.Values(other), result); return; }
        Span<int> lhsStrides = stackalloc int[shape.Length];
        Span<int> otherStrides = stackalloc int[shape.Length];
        ShapeMath.ContiguousStrides(shape, lhsStrides);
        ShapeMath.BroadcastStrides(arena.ShapeOf(other), shape, otherStrides);
        Elementwise.BinaryBroadcast(op, lhs, lhsStrides, arena.Values(other), otherStrides, result, shape);
    }

    private static void UnaryRule<TOp>(Arena arena, in Instruction ins, ReadOnlySpan<float> g, TOp op) where TOp : struct, IUnaryGradOperator
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        Span<float> target = arena.GradientForWrite(ins.Input0, out bool fresh);
        if (fresh) Elementwise.UnaryGrad(op, g, arena.Values(ins.Input0), arena.Values(ins.Output), target);
        else Elementwise.AccumulateUnaryGrad(op, g, arena.Values(ins.Input0), arena.Values(ins.Output), target);
    }

    private static void DivideRightBackward(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!arena.RequiresGrad(ins.Input1)) return;
        // db += -(g*y)/b, with y = a/b the forward output (same shape as g).
        Span<float> gy = arena.Scratch(g.Length, out _);
        Elementwise.Binary(new MultiplyOperator(), g, arena.Values(ins.Output), gy);
        Span<float> quotient = arena.Scratch(g.Length, out _);
        BinaryBroadcastInto(arena, new DivideOperator(), gy, arena.ShapeOf(ins.Output), ins.Input1, quotient);
        AccumulateReduced(arena, ins.Input1, quotient, ins.Output, -1f);
    }

    /// <summary>The axis argument of the reductions over every element.</summary>
    private const int WholeTensor = -1;

    /// <summary>Sum/mean backward: the gradient of the reduced <paramref name="axis"/>, divided by <paramref name="divisor"/>
    /// (1 for sum, n for mean), is spread back along it.</summary>
    private static void AxisRule(Arena arena, in Instruction ins, ReadOnlySpan<float> g, int axis, float divisor)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Input0), axis, out int outer, out int dim, out int inner);
        Reductions.BroadcastAxisAccumulate(g, outer, dim, inner, divisor, arena.GradientForAccumulation(ins.Input0));
    }

    private static void MaxBackward(Arena arena, in Instruction ins, ReadOnlySpan<float> g, int axis, bool amax)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Input0), axis, out int outer, out int dim, out int inner);
        Reductions.MaxAxisGrad(arena.Values(ins.Input0), arena.Values(ins.Output), g, outer, dim, inner, arena.GradientForAccumulation(ins.Input0),
            amax);
    }

    private static void SoftmaxBackward(Arena arena, in Instruction ins, ReadOnlySpan<float> g, bool log)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Input0), ins.Int0, out int outer, out int dim, out int inner);
        Reductions.SoftmaxGradAccumulate(arena.Values(ins.Output), g, outer, dim, inner, arena.GradientForAccumulation(ins.Input0),
            log);
    }

    private static void TransposeBackward(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        // dx = gᵀ: read g through its own strides with the two dims swapped.
        ReadOnlySpan<int> outShape = arena.ShapeOf(ins.Output);
        Span<int> strides = stackalloc int[outShape.Length];
        ShapeMath.ContiguousStrides(outShape, strides);
        if (outShape.Length > 0) (strides[ins.Int0], strides[ins.Int1]) = (strides[ins.Int1], strides[ins.Int0]); // 0-d: transpose(0, 0)
        Layout.Copy(g, strides, arena.GradientForAccumulation(ins.Input0), arena.ShapeOf(ins.Input0), accumulate: true);
    }

    private static void ConcatBackward(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        ReadOnlySpan<int> inputs = arena.OperandsOf(ins);
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Output), ins.Int0, out int outer, out int total, out int inner);
        int offset = 0;
        foreach (int input in inputs)
        {
            int width = arena.ShapeOf(input)[ins.Int0] * inner;
            if (arena.RequiresGrad(input))
            {
                Span<float> dx = arena.GradientForAccumulation(input);
                for (int o = 0; o < outer; o++)
                    Elementwise.Accumulate(g.Slice(o * total * inner + offset, width), dx.Slice(o * width, width));
            }
            offset += width;
        }
    }

    /// <summary>The norm factor of PyTorch's pointwise loss backward kernels: k/n for the mean, k otherwise.</summary>
    private static float LossNorm(Arena arena, in Instruction ins, float k) =>
        (Reduction)ins.Int0 == Reduction.Mean ? (float)((double)k / arena.LengthOf(ins.Input0)) : k;

    /// <summary>The element count for the mean, 1 otherwise (losses whose backward divides by n at the end).</summary>
    private static float LossDivisor(Arena arena, in Instruction ins) => (Reduction)ins.Int0 == Reduction.Mean ? arena.LengthOf(ins.Input0) : 1f;

    /// <summary>Backward of a loss of a − b: the input takes op(g, a, b), the target op(g, b, a) (PyTorch's
    /// derivatives swap the arguments rather than negate, which differs only at ties).</summary>
    private static void PointwiseLossBackward<TOp>(Arena arena, in Instruction ins, ReadOnlySpan<float> g, TOp op) where TOp : struct, IUnaryGradOperator
    {
        LossGradient(arena, ins.Input0, op, ins, g, ins.Input0, ins.Input1);
        LossGradient(arena, ins.Input1, op, ins, g, ins.Input1, ins.Input0);
    }

    private static void BinaryCrossEntropyWithLogitsBackward(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        float divisor = LossDivisor(arena, ins);
        LossGradient(arena, ins.Input0, new BinaryCrossEntropyWithLogitsGradOperator(divisor), ins, g, ins.Input0, ins.Input1);
        LossGradient(arena, ins.Input1, new BinaryCrossEntropyWithLogitsTargetGradOperator(divisor), ins, g, ins.Input0, ins.Input1);
    }

    /// <summary>d[slot] (= or +=) op(g, a, b) elementwise, with g one scalar (mean, sum) or one per element (none).</summary>
    private static void LossGradient<TOp>(Arena arena, int slot, TOp op, in Instruction ins, ReadOnlySpan<float> g, int a, int b)
        where TOp : struct, IUnaryGradOperator
    {
        if (!arena.RequiresGrad(slot)) return;
        Span<float> target = arena.GradientForWrite(slot, out bool fresh);
        if ((Reduction)ins.Int0 == Reduction.None)
        {
            if (fresh) Elementwise.UnaryGrad(op, g, arena.Values(a), arena.Values(b), target);
            else Elementwise.AccumulateUnaryGrad(op, g, arena.Values(a), arena.Values(b), target);
        }
        else LossKernels.UniformGradient(op, g[0], arena.Values(a), arena.Values(b), target, accumulate: !fresh);
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

    private static void NllLossBackward(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        // loss_n = -x[n, t_n]: dx[n, t_n] -= w_n; every other element's gradient is 0.
        ReadOnlySpan<int> targets = ForwardRules.ClassTargets(arena, ins, check: false);
        var reduction = (Reduction)ins.Int0;
        int ignoreIndex = ins.Int1, counted = CountTargets(targets, ignoreIndex);
        Span<float> dx = arena.GradientForAccumulation(ins.Input0);
        int classes = targets.Length == 0 ? 0 : dx.Length / targets.Length;
        for (int n = 0; n < targets.Length; n++)
            if (targets[n] != ignoreIndex) dx[n * classes + targets[n]] -= RowWeight(reduction, g, n, counted);
    }

    private static void CrossEntropyBackward(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        // loss_n = -(1-ε) logp[n, t_n] - (ε/C) Σ_c logp[n, c]:
        // dx[n, c] += w_n (softmax[n, c] - ε/C - (1-ε)[c == t_n]); ignored rows get 0.
        ReadOnlySpan<float> logProbabilities = arena.Values(ins.Saved);
        ReadOnlySpan<int> targets = ForwardRules.ClassTargets(arena, ins, check: false);
        var reduction = (Reduction)ins.Int0;
        int ignoreIndex = ins.Int1, counted = CountTargets(targets, ignoreIndex);
        float labelSmoothing = ins.Scalar0;
        // Marked as holding a value even for an empty batch: PyTorch's gradient is then empty, not None.
        Span<float> dx = arena.GradientForWrite(ins.Input0, out bool fresh);
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

    /// <summary>da += g @ bᵀ and db += aᵀ @ g per batch; broadcast batches accumulate into the same matrix.</summary>
    private static void MatMulBackward(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        int a = ins.Input0, b = ins.Input1;
        Span<int> scratch = stackalloc int[4 * TensorLayout.MaxRank];
        var plan = new MatMulPlan(arena.ShapeOf(a), arena.ShapeOf(b), scratch);
        int aSize = plan.M * plan.K, bSize = plan.K * plan.N, cSize = plan.M * plan.N;
        bool needA = arena.RequiresGrad(a), needB = arena.RequiresGrad(b);
        Span<float> da = needA ? arena.GradientForAccumulation(a) : default;
        Span<float> db = needB ? arena.GradientForAccumulation(b) : default;
        ReadOnlySpan<float> av = arena.Values(a), bv = arena.Values(b);
        for (int batch = 0; batch < plan.BatchCount; batch++)
        {
            plan.BatchOffsets(batch, out int am, out int bm);
            ReadOnlySpan<float> gc = g.Slice(batch * cSize, cSize);
            if (needA)
                MatrixMultiply.Gemm(gc, bv.Slice(bm * bSize, bSize), da.Slice(am * aSize, aSize),
                    plan.M, plan.N, plan.K, transposeA: false, transposeB: true, accumulate: true, arena.GemmTeam);
            if (needB)
                MatrixMultiply.Gemm(av.Slice(am * aSize, aSize), gc, db.Slice(bm * bSize, bSize),
                    plan.K, plan.M, plan.N, transposeA: true, transposeB: false, accumulate: true, arena.GemmTeam);
        }
    }

    /// <summary>Linear: y = x @ wᵀ + b. dx += g @ w, dw += gᵀ @ x, db += Σ over rows of g.</summary>
    private static void LinearBackward(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        int x = ins.Input0, w = ins.Input1, bias = ins.Input2;
        int outFeatures = arena.ShapeOf(w)[0], inFeatures = arena.ShapeOf(w)[1];
        int rows = Functional.LinearRows(arena.ShapeOf(x));
        bool fresh;
        if (arena.RequiresGrad(x))
            MatrixMultiply.Gemm(g, arena.Values(w), arena.GradientForWrite(x, out fresh), rows, outFeatures, inFeatures,
                transposeA: false, transposeB: false, accumulate: !fresh, arena.GemmTeam);
        if (arena.RequiresGrad(w))
            MatrixMultiply.Gemm(g, arena.Values(x), arena.GradientForWrite(w, out fresh), outFeatures, rows, inFeatures,
                transposeA: true, transposeB: false, accumulate: !fresh, arena.GemmTeam);
        if (bias >= 0 && arena.RequiresGrad(bias))
        {
            // Stackalloc, not a collection expression: unoptimized builds would put [rows, outFeatures] on the heap.
            Span<int> rowsByOut = stackalloc int[2];
            Span<int> biasStrides = stackalloc int[2];
            rowsByOut[0] = rows; rowsByOut[1] = outFeatures;
            ShapeMath.BroadcastStrides(arena.ShapeOf(bias), rowsByOut, biasStrides);
            Reductions.SumToShape(g, rowsByOut, arena.GradientForAccumulation(bias), biasStrides, 1f);
        }
    }
}
