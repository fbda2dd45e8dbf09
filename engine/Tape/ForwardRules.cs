using ArenaGrad.Kernels;
using ArenaGrad.Memory;

namespace ArenaGrad.Tape;

/// <summary>
/// The compute part of every op's forward: the methods <see cref="OpTable"/>'s rows point to, and the family helpers
/// they share. Eager ops validate, make their result slot, then call the same compute, so a replayed instruction
/// gives bitwise the eager result by construction.
/// </summary>
/// <remarks>Nothing here allocates or makes slots, and shapes and attributes are those the eager op checked when it ran
/// (and recorded in the instruction). One thing is checked here: the values of index and target tensors (gather,
/// scatter, class losses), because a captured replay reads them afresh and they may have changed since.</remarks>
internal static unsafe partial class ForwardRules
{
    /// <summary>Recomputes <paramref name="ins"/>'s output (and saved slot) from its inputs' current values.</summary>
    public static void Run(Arena arena, in Instruction ins) => OpTable.Of(ins.Op).Forward(arena, in ins);

    // ---- elementwise binary with broadcasting ---------------------------------------------------------------------

    public static void Add(Arena arena, in Instruction ins) => Binary(arena, new AddOperator(), ins.Input0, ins.Input1, ins.Output);
    public static void Subtract(Arena arena, in Instruction ins) => Binary(arena, new SubtractOperator(), ins.Input0, ins.Input1, ins.Output);
    public static void Multiply(Arena arena, in Instruction ins) => Binary(arena, new MultiplyOperator(), ins.Input0, ins.Input1, ins.Output);
    public static void Divide(Arena arena, in Instruction ins) => Binary(arena, new DivideOperator(), ins.Input0, ins.Input1, ins.Output);

    // ---- one-input elementwise: y = f(x) over any slice; s0 and s1 are the instruction's scalars ------------------

    /// <summary>The forward of every one-input elementwise row: its <see cref="OpInfo.UnaryKernel"/> over the whole tensor.</summary>
    public static void Pointwise(Arena arena, in Instruction ins) =>
        OpTable.Of(ins.Op).UnaryKernel(ins.Scalar0, ins.Scalar1, arena.Values(ins.Input0), arena.Values(ins.Output));

    public static void AddScalar(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new AddScalarOperator(s0), x, y);
    public static void SubtractScalar(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new AddScalarOperator(-s0), x, y);
    public static void ReverseSubtractScalar(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new ReverseSubtractScalarOperator(s0), x, y);
    public static void MultiplyScalar(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new MultiplyScalarOperator(s0), x, y);
    public static void DivideScalar(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new DivideScalarOperator(s0), x, y);
    public static void ReverseDivideScalar(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new ReverseDivideScalarOperator(s0), x, y);
    public static void Negate(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new NegateOperator(), x, y);
    public static void Exp(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new ExpOperator(), x, y);
    public static void Log(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new LogOperator(), x, y);
    public static void Relu(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new ReluOperator(), x, y);
    public static void Sqrt(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new SqrtOperator(), x, y);
    public static void Abs(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new AbsOperator(), x, y);
    public static void Square(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new SquareOperator(), x, y);
    public static void Pow(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new PowOperator(s0), x, y);
    public static void LeakyRelu(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new LeakyReluOperator(s0), x, y);
    public static void Clamp(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new ClampOperator(s0, s1), x, y);

    /// <summary>tanh: through <see cref="Transcendentals.Tanh(ReadOnlySpan{float}, Span{float})"/>, one compiled loop per
    /// width (through Elementwise.Unary, inlined here, the JIT left tanh itself a call per vector).</summary>
    public static void Tanh(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Transcendentals.Tanh(x, y);

    /// <summary>sigmoid: from <see cref="Transcendentals.StagedMinimum"/> floats on, in stages over blocks of vectors (the
    /// same operations per element, so the same bits; one vector's long dependency chain otherwise keeps the CPU from
    /// overlapping vectors). Below that the one-vector-at-a-time loop, whose call costs less. (tanh's fused form is
    /// short enough to run one vector at a time.)</summary>
    public static void Sigmoid(float s0, float s1, ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length >= Transcendentals.StagedMinimum && x.Length == y.Length) Transcendentals.Sigmoid(x, y);
        else Elementwise.Unary(new SigmoidOperator(), x, y);
    }

    private static void Binary<TOp>(Arena arena, TOp kernel, int a, int b, int y) where TOp : struct, IBinaryOperator
    {
        Span<float> result = arena.Values(y);
        ReadOnlySpan<float> av = arena.Values(a), bv = arena.Values(b);
        if (av.Length == result.Length && bv.Length == result.Length) Elementwise.Binary(kernel, av, bv, result);
        else if (bv.Length == 1 && av.Length == result.Length) Elementwise.BinaryScalarRight(kernel, av, bv[0], result);
        else if (av.Length == 1 && bv.Length == result.Length) Elementwise.BinaryScalarLeft(kernel, av[0], bv, result);
        else
        {
            ReadOnlySpan<int> shape = arena.ShapeOf(y);
            Span<int> aStrides = stackalloc int[shape.Length];
            Span<int> bStrides = stackalloc int[shape.Length];
            ShapeMath.BroadcastStrides(arena.ShapeOf(a), shape, aStrides);
            ShapeMath.BroadcastStrides(arena.ShapeOf(b), shape, bStrides);
            Elementwise.BinaryBroadcast(kernel, av, aStrides, bv, bStrides, result, shape);
        }
    }

    // ---- linear algebra ----------------------------------------------------------------------------------------

    public static void MatMul(Arena arena, in Instruction ins) => MatMul(arena, ins.Input0, ins.Input1, ins.Output);
    public static void Linear(Arena arena, in Instruction ins) => Linear(arena, ins.Input0, ins.Input1, ins.Input2, ins.Output);

    /// <summary>F.linear: y = x @ wᵀ (+ bias, broadcast to [rows, out]).</summary>
    public static void Linear(Arena arena, int x, int w, int bias, int y)
    {
        Span<float> result = LinearProduct(arena, x, w, y, out int rows, out int outFeatures);
        if (bias >= 0) AddBias(arena, bias, result, rows, outFeatures);
    }

    /// <summary>y = x @ wᵀ, the product part of F.linear; returns y's values.</summary>
    private static Span<float> LinearProduct(Arena arena, int x, int w, int y, out int rows, out int outFeatures)
    {
        ReadOnlySpan<int> wShape = arena.ShapeOf(w);
        outFeatures = wShape[0];
        int inFeatures = wShape[1];
        rows = Functional.LinearRows(arena.ShapeOf(x));
        Span<float> result = arena.Values(y);
        MatrixMultiply.Gemm(arena.Values(x), arena.Values(w), result, rows, inFeatures, outFeatures,
            transposeA: false, transposeB: true, accumulate: false, arena.GemmTeam);
        return result;
    }

    // ---- fused replays (captured plans only) --------------------------------------------------------------------
    // Elementwise ops compute each element alone, with the same bits on every vector width and in any slice, so running a
    // chain of them slice by slice (each slice through every op while it is in cache) gives bitwise the op-by-op result.
    // Every tensor of the chain is still written: backward and the caller may read any of them.

    /// <summary>Floats per slice of a fused elementwise chain (16 KiB: a slice of every tensor of a short chain fits in L1).</summary>
    private const int ChainSliceFloats = 4096;

    /// <summary>Whether a Linear's bias is added row by row (a [out] bias), so that a chain can follow it row by row.</summary>
    public static bool HasRowBias(Arena arena, in Instruction linear) =>
        linear.Input2 >= 0 && arena.RankOf(linear.Input2) == 1 && arena.LengthOf(linear.Input2) == arena.ShapeOf(linear.Input1)[0];

    /// <summary>A chain of unary ops, each reading the previous one's output, run slice by slice in one pass.</summary>
    public static void UnaryChain(Arena arena, ReadOnlySpan<Instruction> chain)
    {
        int length = arena.LengthOf(chain[0].Output);
        for (int start = 0; start < length; start += ChainSliceFloats)
            RunChainSlice(arena, chain, start, Math.Min(ChainSliceFloats, length - start));
    }

    /// <summary>F.linear with a [out] bias followed by a chain of unary ops on its output: the product, then per row the
    /// bias and every op of the chain while the row is in cache (the eager op adds the bias row by row too).</summary>
    public static void LinearChain(Arena arena, in Instruction linear, ReadOnlySpan<Instruction> chain)
    {
        Span<float> result = LinearProduct(arena, linear.Input0, linear.Input1, linear.Output, out int rows, out int outFeatures);
        ReadOnlySpan<float> biasValues = arena.Values(linear.Input2);
        for (int r = 0; r < rows; r++)
        {
            Span<float> row = result.Slice(r * outFeatures, outFeatures);
            Elementwise.Binary(new AddOperator(), row, biasValues, row);
            RunChainSlice(arena, chain, r * outFeatures, outFeatures);
        }
    }

    private static void RunChainSlice(Arena arena, ReadOnlySpan<Instruction> chain, int start, int count)
    {
        foreach (ref readonly Instruction ins in chain)
            OpTable.Of(ins.Op).UnaryKernel(ins.Scalar0, ins.Scalar1, arena.Values(ins.Input0).Slice(start, count), arena.Values(ins.Output).Slice(start, count));
    }

    /// <summary>result[r, :] += bias for a [out] bias; any other bias broadcasts to [rows, out] (PyTorch's addmm).</summary>
    public static void AddBias(Arena arena, int bias, Span<float> result, int rows, int outFeatures)
    {
        ReadOnlySpan<float> biasValues = arena.Values(bias);
        if (arena.RankOf(bias) == 1 && biasValues.Length == outFeatures)
        {
            for (int r = 0; r < rows; r++)
            {
                Span<float> row = result.Slice(r * outFeatures, outFeatures);
                Elementwise.Binary(new AddOperator(), row, biasValues, row);
            }
            return;
        }
        // A bias that broadcasts ([1], [], [1, out], or [rows, 1] as PyTorch's addmm allows).
        Span<int> shape = stackalloc int[2];
        Span<int> strides = stackalloc int[2];
        Span<int> biasStrides = stackalloc int[2];
        shape[0] = rows; shape[1] = outFeatures;
        ShapeMath.ContiguousStrides(shape, strides);
        ShapeMath.BroadcastStrides(arena.ShapeOf(bias), shape, biasStrides);
        Elementwise.BinaryBroadcast(new AddOperator(), result, strides, biasValues, biasStrides, result, shape);
    }

    /// <summary>torch.matmul per (broadcast) batch.</summary>
    public static void MatMul(Arena arena, int a, int b, int y)
    {
        Span<int> scratch = stackalloc int[4 * TensorLayout.MaxRank];
        var plan = new MatMulPlan(arena.ShapeOf(a), arena.ShapeOf(b), scratch);
        ReadOnlySpan<float> av = arena.Values(a), bv = arena.Values(b);
        Span<float> result = arena.Values(y);
        int aSize = plan.M * plan.K, bSize = plan.K * plan.N, cSize = plan.M * plan.N;
        for (int batch = 0; batch < plan.BatchCount; batch++)
        {
            plan.BatchOffsets(batch, out int am, out int bm);
            MatrixMultiply.Gemm(av.Slice(am * aSize, aSize), bv.Slice(bm * bSize, bSize), result.Slice(batch * cSize, cSize),
                plan.M, plan.K, plan.N, transposeA: false, transposeB: false, accumulate: false, arena.GemmTeam);
        }
    }

    // ---- shape -------------------------------------------------------------------------------------------------

    /// <summary>A view's forward: nothing to compute, its values are its input's.</summary>
    public static void View(Arena arena, in Instruction ins) { }

    public static void Transpose(Arena arena, in Instruction ins) => Transpose(arena, ins.Input0, ins.Int0, ins.Int1, ins.Output);
    public static void Concat(Arena arena, in Instruction ins) => Concat(arena, arena.OperandsOf(ins), ins.Int0, ins.Output);

    /// <summary>A contiguous copy of x with dims <paramref name="dim0"/> and <paramref name="dim1"/> swapped.</summary>
    public static void Transpose(Arena arena, int x, int dim0, int dim1, int y)
    {
        int rank = arena.RankOf(x);
        Span<int> strides = stackalloc int[rank];
        arena.StridesOf(x, strides);
        if (rank > 0) (strides[dim0], strides[dim1]) = (strides[dim1], strides[dim0]);
        Layout.Copy(arena.Values(x), strides, arena.Values(y), arena.ShapeOf(y), accumulate: false);
    }

    /// <summary>torch.cat of the <paramref name="inputs"/> slots along <paramref name="axis"/> into y (replay: the operand buffer).</summary>
    public static void Concat(Arena arena, ReadOnlySpan<int> inputs, int axis, int y)
    {
        Span<float> result = arena.Values(y);
        ShapeMath.SplitAxis(arena.ShapeOf(y), axis, out int outer, out int total, out int inner);
        int offset = 0;
        foreach (int slot in inputs) ConcatPart(arena, slot, axis, result, outer, total, inner, ref offset);
    }

    /// <summary>torch.cat of <paramref name="inputs"/> along <paramref name="axis"/> into y (eager: the handles).</summary>
    public static void Concat(Arena arena, ReadOnlySpan<Tensor> inputs, int axis, int y)
    {
        Span<float> result = arena.Values(y);
        ShapeMath.SplitAxis(arena.ShapeOf(y), axis, out int outer, out int total, out int inner);
        int offset = 0;
        foreach (Tensor tensor in inputs) ConcatPart(arena, tensor.Slot, axis, result, outer, total, inner, ref offset);
    }

    private static void ConcatPart(Arena arena, int slot, int axis, Span<float> result, int outer, int total, int inner, ref int offset)
    {
        int width = arena.ShapeOf(slot)[axis] * inner;
        ReadOnlySpan<float> source = arena.Values(slot);
        for (int o = 0; o < outer; o++)
            source.Slice(o * width, width).CopyTo(result.Slice(o * total * inner + offset, width));
        offset += width;
    }

    // ---- reductions ----------------------------------------------------------------------------------------------

    public static void SumAll(Arena arena, in Instruction ins) => arena.Values(ins.Output)[0] = Reductions.Sum(arena.Values(ins.Input0));
    public static void MeanAll(Arena arena, in Instruction ins) =>
        arena.Values(ins.Output)[0] = Reductions.Sum(arena.Values(ins.Input0)) / arena.LengthOf(ins.Input0);
    public static void MaxAll(Arena arena, in Instruction ins) => arena.Values(ins.Output)[0] = Reductions.Max(arena.Values(ins.Input0));

    /// <summary>Σ along the instruction's dim (Int0; keepdim only changes y's shape).</summary>
    public static void SumDim(Arena arena, in Instruction ins)
    {
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Input0), ins.Int0, out int outer, out int size, out int inner);
        Reductions.SumAxis(arena.Values(ins.Input0), outer, size, inner, arena.Values(ins.Output));
    }

    /// <summary>The mean along the instruction's dim, as PyTorch computes it: the sum, then divided by n.</summary>
    public static void MeanDim(Arena arena, in Instruction ins)
    {
        SumDim(arena, ins);
        Span<float> result = arena.Values(ins.Output);
        Elementwise.Unary(new DivideScalarOperator(arena.ShapeOf(ins.Input0)[ins.Int0]), result, result);
    }

    public static void MaxDim(Arena arena, in Instruction ins)
    {
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Input0), ins.Int0, out int outer, out int size, out int inner);
        Reductions.MaxAxis(arena.Values(ins.Input0), outer, size, inner, arena.Values(ins.Output));
    }

    public static void Softmax(Arena arena, in Instruction ins) => Softmax(arena, ins, log: false);
    public static void LogSoftmax(Arena arena, in Instruction ins) => Softmax(arena, ins, log: true);

    private static void Softmax(Arena arena, in Instruction ins, bool log)
    {
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Input0), ins.Int0, out int outer, out int size, out int inner);
        Reductions.Softmax(arena.Values(ins.Input0), outer, size, inner, arena.Values(ins.Output), log);
    }

    // ---- losses --------------------------------------------------------------------------------------------------

    public static void MseLoss(Arena arena, in Instruction ins) => PointwiseLoss(arena, new MseLossOperator(), ins);
    public static void L1Loss(Arena arena, in Instruction ins) => PointwiseLoss(arena, new L1LossOperator(), ins);
    public static void SmoothL1Loss(Arena arena, in Instruction ins) => PointwiseLoss(arena, new SmoothL1LossOperator(ins.Scalar0), ins); // β
    public static void HuberLoss(Arena arena, in Instruction ins) => PointwiseLoss(arena, new HuberLossOperator(ins.Scalar0), ins);       // δ
    public static void BinaryCrossEntropyWithLogits(Arena arena, in Instruction ins) =>
        PointwiseLoss(arena, new BinaryCrossEntropyWithLogitsOperator(), ins);
    public static void NllLoss(Arena arena, in Instruction ins) =>
        NllLoss(arena, ins.Input0, ClassTargets(arena, ins), (Reduction)ins.Int0, ins.Int1, ins.Output);
    public static void CrossEntropy(Arena arena, in Instruction ins) =>
        CrossEntropy(arena, ins.Input0, ClassTargets(arena, ins), (Reduction)ins.Int0, ins.Int1, ins.Scalar0, ins.Output, ins.Saved);

    /// <summary>A pointwise loss of the instruction's two inputs, reduced by its Reduction (Int0).</summary>
    private static void PointwiseLoss<TOp>(Arena arena, TOp loss, in Instruction ins) where TOp : struct, IBinaryOperator =>
        PointwiseLoss(arena, loss, (Reduction)ins.Int0, ins.Input0, ins.Input1, ins.Output);

    private static void PointwiseLoss<TOp>(Arena arena, TOp loss, Reduction reduction, int a, int b, int y) where TOp : struct, IBinaryOperator
    {
        ReadOnlySpan<float> av = arena.Values(a), bv = arena.Values(b);
        if (reduction == Reduction.None) Elementwise.Binary(loss, av, bv, arena.Values(y));
        else arena.Values(y)[0] = Reduce(LossKernels.Sum(loss, av, bv), reduction, av.Length);
    }

    /// <summary>F.nll_loss over log-probabilities x ([N, C] or [C]) and class targets (validated by the eager op).</summary>
    public static void NllLoss(Arena arena, int x, ReadOnlySpan<int> targets, Reduction reduction, int ignoreIndex, int y)
    {
        int classes = arena.ShapeOf(x)[^1];
        ReadOnlySpan<float> values = arena.Values(x);
        Span<float> result = arena.Values(y);
        double total = 0;
        for (int n = 0; n < targets.Length; n++)
        {
            int t = targets[n];
            float loss = t == ignoreIndex ? 0f : -values[n * classes + t];
            if (reduction == Reduction.None) result[n] = loss;
            else total += loss;
        }
        if (reduction != Reduction.None) result[0] = Reduce((float)total, reduction, Counted(targets, ignoreIndex));
    }

    /// <summary>F.cross_entropy with label smoothing ε over logits x ([N, C] or [C]); writes the log-probabilities into
    /// <paramref name="saved"/> when backward needs them (saved ≥ 0).</summary>
    public static void CrossEntropy(Arena arena, int x, ReadOnlySpan<int> targets, Reduction reduction, int ignoreIndex, float labelSmoothing,
        int y, int saved)
    {
        int rows = targets.Length, classes = arena.ShapeOf(x)[^1];
        ReadOnlySpan<float> values = arena.Values(x);
        Span<float> result = arena.Values(y);
        Span<float> logProbabilities = saved >= 0 ? arena.Values(saved) : default;
        bool smoothing = labelSmoothing > 0f;
        float nllWeight = (float)(1.0 - labelSmoothing);
        float smoothWeight = classes == 0 ? 0f : (float)((double)labelSmoothing / classes);
        double nllTotal = 0, smoothTotal = 0;
        for (int n = 0; n < rows && classes > 0; n++)
        {
            ReadOnlySpan<float> row = values.Slice(n * classes, classes);
            // log_softmax(row) = (x - max) - log Σ exp(x - max), evaluated as Reductions.Softmax does.
            float max = Reductions.Max(row);
            float logSum = Transcendentals.Log(LossKernels.SumOf(new ExpShiftOperator(max), row));
            var logSoftmax = new LogSoftmaxOperator(max, logSum);
            if (saved >= 0) Elementwise.Unary(logSoftmax, row, logProbabilities.Slice(n * classes, classes));
            int t = targets[n];
            if (t == ignoreIndex)
            {
                if (reduction == Reduction.None) result[n] = 0f;
                continue;
            }
            float nll = -logSoftmax.Invoke(row[t]);
            float smooth = smoothing ? -LossKernels.SumOf(logSoftmax, row) : 0f;
            if (reduction == Reduction.None) result[n] = smoothing ? nllWeight * nll + smooth * smoothWeight : nll;
            else
            {
                nllTotal += nll;
                smoothTotal += smooth;
            }
        }
        if (reduction == Reduction.None && classes == 0) result.Clear();
        if (reduction != Reduction.None)
        {
            int counted = Counted(targets, ignoreIndex);
            float nllLoss = Reduce((float)nllTotal, reduction, counted);
            result[0] = smoothing ? nllWeight * nllLoss + Reduce((float)smoothTotal, reduction, counted) * smoothWeight : nllLoss;
        }
    }

    /// <summary>The sum, or the mean over <paramref name="count"/> elements (0/0 = NaN, as PyTorch's mean of nothing).</summary>
    private static float Reduce(float sum, Reduction reduction, int count) => reduction == Reduction.Mean ? sum / count : sum;

    private static int Counted(ReadOnlySpan<int> targets, int ignoreIndex)
    {
        int counted = 0;
        foreach (int t in targets) if (t != ignoreIndex) counted++;
        return counted;
    }
}
