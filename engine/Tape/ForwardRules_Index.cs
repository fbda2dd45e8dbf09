using ArenaGrad.Kernels;
using ArenaGrad.Memory;

namespace ArenaGrad.Tape;

// Indexing, masks, comparisons and logical ops (issue 16). Int0 holds the dim of the index ops; Scalar0 the fill value
// of MaskedFill, the b of WhereScalar and the operand of the scalar comparisons. The index kernels check every index
// (a replay reads the index tensors afresh).
internal static unsafe partial class ForwardRules
{
    /// <summary>y[o, i, r] = x[o, index[i], r] around dim Int0.</summary>
    public static void IndexSelect(Arena arena, in Instruction ins)
    {
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Input0), ins.Int0, out int outer, out int size, out int inner);
        IndexKernels.IndexSelect(arena.Values(ins.Input0), arena.IntValues(ins.Input1), outer, size, inner, arena.Values(ins.Output));
    }

    /// <summary>y[p] = x[p with p[dim] = index[p]] (torch.gather).</summary>
    public static void Gather(Arena arena, in Instruction ins)
    {
        ReadOnlySpan<int> xShape = arena.ShapeOf(ins.Input0);
        Span<int> xStrides = stackalloc int[xShape.Length];
        ShapeMath.ContiguousStrides(xShape, xStrides);
        IndexKernels.Gather(arena.Values(ins.Input0), xShape, xStrides, arena.IntValues(ins.Input1), arena.ShapeOf(ins.Input1), ins.Int0,
            arena.Values(ins.Output));
    }

    /// <summary>y = self; y[p with p[dim] = index[p]] += source[p] (torch.scatter_add).</summary>
    public static void ScatterAdd(Arena arena, in Instruction ins)
    {
        ReadOnlySpan<int> shape = arena.ShapeOf(ins.Input0), sourceShape = arena.ShapeOf(ins.Input2);
        Span<int> strides = stackalloc int[shape.Length];
        Span<int> sourceStrides = stackalloc int[sourceShape.Length];
        ShapeMath.ContiguousStrides(shape, strides);
        ShapeMath.ContiguousStrides(sourceShape, sourceStrides);
        Span<float> y = arena.Values(ins.Output);
        IndexKernels.CheckAll(arena.IntValues(ins.Input1), ins.Int0, shape.Length == 0 ? 1 : shape[ins.Int0]); // before y is touched
        arena.Values(ins.Input0).CopyTo(y);
        IndexKernels.ScatterAdd(y, shape, strides, arena.IntValues(ins.Input1), arena.ShapeOf(ins.Input1), arena.Values(ins.Input2),
            sourceStrides, ins.Int0);
    }

    /// <summary>y = mask ? value : x, x and the mask (Input1) broadcast to y.</summary>
    public static void MaskedFill(Arena arena, in Instruction ins)
    {
        ReadOnlySpan<int> shape = arena.ShapeOf(ins.Output);
        Span<int> xStrides = stackalloc int[shape.Length];
        Span<int> maskStrides = stackalloc int[shape.Length];
        ShapeMath.BroadcastStrides(arena.ShapeOf(ins.Input0), shape, xStrides);
        ShapeMath.BroadcastStrides(arena.ShapeOf(ins.Input1), shape, maskStrides);
        MaskKernels.MaskedFill(arena.Values(ins.Input0), xStrides, arena.IntValues(ins.Input1), maskStrides, ins.Scalar0, shape,
            arena.Values(ins.Output));
    }

    /// <summary>y = condition (Input2) ? a (Input0) : b (Input1), all three broadcast to y.</summary>
    public static void Where(Arena arena, in Instruction ins)
    {
        ReadOnlySpan<int> shape = arena.ShapeOf(ins.Output);
        Span<int> aStrides = stackalloc int[shape.Length];
        Span<int> bStrides = stackalloc int[shape.Length];
        Span<int> cStrides = stackalloc int[shape.Length];
        ShapeMath.BroadcastStrides(arena.ShapeOf(ins.Input0), shape, aStrides);
        ShapeMath.BroadcastStrides(arena.ShapeOf(ins.Input1), shape, bStrides);
        ShapeMath.BroadcastStrides(arena.ShapeOf(ins.Input2), shape, cStrides);
        MaskKernels.Where(arena.IntValues(ins.Input2), cStrides, arena.Values(ins.Input0), aStrides, arena.Values(ins.Input1), bStrides, shape,
            arena.Values(ins.Output));
    }

    /// <summary>y = condition (Input2) ? a (Input0) : Scalar0, broadcast to y.</summary>
    public static void WhereScalar(Arena arena, in Instruction ins)
    {
        ReadOnlySpan<int> shape = arena.ShapeOf(ins.Output);
        Span<int> aStrides = stackalloc int[shape.Length];
        Span<int> cStrides = stackalloc int[shape.Length];
        ShapeMath.BroadcastStrides(arena.ShapeOf(ins.Input0), shape, aStrides);
        ShapeMath.BroadcastStrides(arena.ShapeOf(ins.Input2), shape, cStrides);
        MaskKernels.WhereScalar(arena.IntValues(ins.Input2), cStrides, arena.Values(ins.Input0), aStrides, ins.Scalar0, shape,
            arena.Values(ins.Output));
    }

    public static void Equal(Arena arena, in Instruction ins) => Compare<EqualComparison>(arena, ins);
    public static void NotEqual(Arena arena, in Instruction ins) => Compare<NotEqualComparison>(arena, ins);
    public static void Less(Arena arena, in Instruction ins) => Compare<LessComparison>(arena, ins);
    public static void LessEqual(Arena arena, in Instruction ins) => Compare<LessEqualComparison>(arena, ins);
    public static void Greater(Arena arena, in Instruction ins) => Compare<GreaterComparison>(arena, ins);
    public static void GreaterEqual(Arena arena, in Instruction ins) => Compare<GreaterEqualComparison>(arena, ins);
    public static void EqualScalar(Arena arena, in Instruction ins) => CompareScalar<EqualComparison>(arena, ins);
    public static void NotEqualScalar(Arena arena, in Instruction ins) => CompareScalar<NotEqualComparison>(arena, ins);
    public static void LessScalar(Arena arena, in Instruction ins) => CompareScalar<LessComparison>(arena, ins);
    public static void LessEqualScalar(Arena arena, in Instruction ins) => CompareScalar<LessEqualComparison>(arena, ins);
    public static void GreaterScalar(Arena arena, in Instruction ins) => CompareScalar<GreaterComparison>(arena, ins);
    public static void GreaterEqualScalar(Arena arena, in Instruction ins) => CompareScalar<GreaterEqualComparison>(arena, ins);
    public static void LogicalAnd(Arena arena, in Instruction ins) => Logical<AndLogical>(arena, ins);
    public static void LogicalOr(Arena arena, in Instruction ins) => Logical<OrLogical>(arena, ins);
    public static void LogicalXor(Arena arena, in Instruction ins) => Logical<XorLogical>(arena, ins);

    /// <summary>y = !x (x != 0 is true).</summary>
    public static void LogicalNot(Arena arena, in Instruction ins) =>
        MaskKernels.Not(arena.Values(ins.Input0), arena.DTypeOf(ins.Input0) == DType.Float32, arena.IntValues(ins.Output));

    /// <summary>y = a op b with broadcasting; a and b have one dtype (the eager op checked it).</summary>
    private static void Compare<TOp>(Arena arena, in Instruction ins) where TOp : struct, IComparison
    {
        ReadOnlySpan<int> shape = arena.ShapeOf(ins.Output);
        Span<int> aStrides = stackalloc int[shape.Length];
        Span<int> bStrides = stackalloc int[shape.Length];
        ShapeMath.BroadcastStrides(arena.ShapeOf(ins.Input0), shape, aStrides);
        ShapeMath.BroadcastStrides(arena.ShapeOf(ins.Input1), shape, bStrides);
        MaskKernels.Compare<TOp>(arena.Values(ins.Input0), aStrides, arena.Values(ins.Input1), bStrides, shape,
            arena.DTypeOf(ins.Input0) == DType.Float32, arena.IntValues(ins.Output));
    }

    /// <summary>y = x op Scalar0.</summary>
    private static void CompareScalar<TOp>(Arena arena, in Instruction ins) where TOp : struct, IComparison =>
        MaskKernels.CompareScalar<TOp>(arena.Values(ins.Input0), arena.DTypeOf(ins.Input0) == DType.Float32, ins.Scalar0,
            arena.IntValues(ins.Output));

    /// <summary>y = bool(a) op bool(b) with broadcasting; each operand of any dtype (!= 0 is true).</summary>
    private static void Logical<TOp>(Arena arena, in Instruction ins) where TOp : struct, ILogical
    {
        ReadOnlySpan<int> shape = arena.ShapeOf(ins.Output);
        Span<int> aStrides = stackalloc int[shape.Length];
        Span<int> bStrides = stackalloc int[shape.Length];
        ShapeMath.BroadcastStrides(arena.ShapeOf(ins.Input0), shape, aStrides);
        ShapeMath.BroadcastStrides(arena.ShapeOf(ins.Input1), shape, bStrides);
        MaskKernels.Logical<TOp>(arena.Values(ins.Input0), aStrides, arena.DTypeOf(ins.Input0) == DType.Float32,
            arena.Values(ins.Input1), bStrides, arena.DTypeOf(ins.Input1) == DType.Float32, shape, arena.IntValues(ins.Output));
    }
}

// Class-index losses with an Int32 target tensor (issue 16, family index): the tensor is the instruction's Input1, read
// afresh by every replay and by backward, instead of targets copied into the operand buffer.
internal static unsafe partial class ForwardRules
{
    /// <summary>The class targets of an NllLoss or CrossEntropy instruction: its Int32 target tensor (Input1) when it has
    /// one, else its operand buffer. With <paramref name="check"/> (forward) a target tensor's values are checked
    /// against the class count, since a replay reads values that may have changed since the eager op checked them.</summary>
    public static ReadOnlySpan<int> ClassTargets(Arena arena, in Instruction ins, bool check = true)
    {
        if (ins.Input1 < 0) return arena.OperandsOf(ins);
        ReadOnlySpan<int> targets = arena.IntValues(ins.Input1);
        if (check)
        {
            int classes = arena.ShapeOf(ins.Input0)[^1];
            foreach (int t in targets)
                if (t != ins.Int1 && (uint)t >= (uint)classes)
                    throw new ArgumentOutOfRangeException(null, t, $"Target {t} is out of bounds.");
        }
        return targets;
    }
}

// Cross-entropy with class-probability targets (issue 16, family index): Input0 the logits [N, C] or [C], Input1 the
// targets of that shape, Saved the log-probabilities backward reads (when recorded), Int0 the Reduction, Scalar0 ε.
internal static unsafe partial class ForwardRules
{
    /// <summary>ℓ_n = −Σ_c q[n, c]·log_softmax(x)[n, c] with q = (1 − ε)·target + ε/C (q = target when ε = 0), as
    /// PyTorch's cross_entropy composes it; the mean divides the total by N (NaN for N = 0), the sum keeps it.</summary>
    public static void CrossEntropyProbabilities(Arena arena, in Instruction ins)
    {
        ReadOnlySpan<int> shape = arena.ShapeOf(ins.Input0);
        int classes = shape[^1], rows = shape.Length == 2 ? shape[0] : 1;
        ReadOnlySpan<float> values = arena.Values(ins.Input0), targets = arena.Values(ins.Input1);
        Span<float> result = arena.Values(ins.Output);
        Span<float> logProbabilities = ins.Saved >= 0 ? arena.Values(ins.Saved) : default;
        var reduction = (Reduction)ins.Int0;
        float epsilon = ins.Scalar0, keep = (float)(1.0 - epsilon), shift = classes == 0 ? 0f : (float)((double)epsilon / classes);
        double total = 0;
        for (int n = 0; n < rows; n++)
        {
            double rowTotal = 0;
            if (classes > 0)
            {
                ReadOnlySpan<float> row = values.Slice(n * classes, classes);
                float max = Reductions.Max(row);
                var logSoftmax = new LogSoftmaxOperator(max, Transcendentals.Log(LossKernels.SumOf(new ExpShiftOperator(max), row)));
                for (int c = 0; c < classes; c++)
                {
                    float logp = logSoftmax.Invoke(row[c]);
                    if (ins.Saved >= 0) logProbabilities[n * classes + c] = logp;
                    rowTotal += logp * SmoothedTarget(targets[n * classes + c], epsilon, keep, shift);
                }
            }
            if (reduction == Reduction.None) result[n] = -(float)rowTotal;
            else total += rowTotal;
        }
        if (reduction == Reduction.Mean) result[0] = -(float)total / rows;
        else if (reduction == Reduction.Sum) result[0] = -(float)total;
    }

    /// <summary>q = (1 − ε)·t + ε/C, or t itself when ε = 0.</summary>
    internal static float SmoothedTarget(float t, float epsilon, float keep, float shift) => epsilon > 0f ? t * keep + shift : t;
}
