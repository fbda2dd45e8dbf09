namespace ArenaGrad.Tape;

// Graph backward rules of reductions, softmax and log-softmax, scans and products (see GraphBackwardRules.cs).
internal static partial class GraphBackwardRules
{
    // dx = g broadcast to x's shape
    public static void SumAll(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, g.Expand(arena.ShapeOf(ins.Input0)));
    }
    // dx[..,d,..] = g
    public static void SumDim(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, AlongAxis(arena, ins, g));
    }
    // dx = g/n broadcast
    public static void MeanAll(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, (g / arena.LengthOf(ins.Input0)).Expand(arena.ShapeOf(ins.Input0)));
    }
    // dx[..,d,..] = g/n
    public static void MeanDim(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, AlongAxis(arena, ins, g / arena.ShapeOf(ins.Input0)[ins.Int0]));
    }

    /// <summary>A per-slice gradient of a reduction along Int0 (kept dim when Int1 is 1) broadcast back over the slice.</summary>
    private static Tensor AlongAxis(Arena arena, in Instruction ins, Tensor g) =>
        (ins.Int1 != 0 ? g : g.Unsqueeze(ins.Int0)).Expand(arena.ShapeOf(ins.Input0));

    // ties (or NaNs) share g evenly: dx = mask ? g/count : 0, mask = x == y, or x is NaN when y is
    // (evenly_distribute_backward)
    public static void MaxAll(Arena arena, in Instruction ins, Tensor g) => EvenlyDistribute(arena, ins, g);
    // amax: dx = (g/count)*mask, mask = x == y (a NaN max matches nothing: NaN everywhere) (scale_grad_by_count)
    public static void MaxDim(Arena arena, in Instruction ins, Tensor g) => ScaleGradByCount(arena, ins, g);
    // dx = y*(g - Σ(g*y)) along the dim (_softmax_backward_data)
    public static void Softmax(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Tensor y = T(arena, ins.Output);
        Give(arena, ins.Input0, y * (g - (g * y).Sum(ins.Int0, keepDim: true)));
    }
    // dx = g - exp(y)*Σg along the dim (_log_softmax_backward_data)
    public static void LogSoftmax(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Give(arena, ins.Input0, g - T(arena, ins.Output).Exp() * g.Sum(ins.Int0, keepDim: true));
    }
    // as MaxAll (torch.min())
    public static void MinAll(Arena arena, in Instruction ins, Tensor g) => EvenlyDistribute(arena, ins, g);
    // as MaxDim (amin)
    public static void MinDim(Arena arena, in Instruction ins, Tensor g) => ScaleGradByCount(arena, ins, g);
    // dx = zeros with g scattered to the returned indices (value_selecting_reduction_backward)
    public static void MaxDimWithIndices(Arena arena, in Instruction ins, Tensor g) => SelectedIndices(arena, ins, g);
    // as MaxDimWithIndices
    public static void MinDimWithIndices(Arena arena, in Instruction ins, Tensor g) => SelectedIndices(arena, ins, g);
    // dx = ((2/(n-c))*g)*(x - mean(x)), c the correction (Int1), n - c unclamped as PyTorch 1.13's var_backward
    public static void Var(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, VarianceGradient(arena, ins, Kept(arena, ins, g)));
    }
    // as var with g/(2y), 0 where y = 0 (std_backward)
    public static void Std(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Tensor y = Kept(arena, ins, T(arena, ins.Output));
        Give(arena, ins.Input0, VarianceGradient(arena, ins, (Kept(arena, ins, g) / (y * 2f)).MaskedFill(y.Eq(0f), 0f)));
    }
    // norm_backward by p (Scalar0): 0: none; 1: sgn(x)*g; 2: g*(y == 0 ? 0 : x/y); ±inf: sgn(x)*((g/count)*mask), mask =
    // |x| == y or NaN; p < 1: (sgn(x)*(x == 0 ? 0 : |x|^(p-1)))*g*y^(1-p); 1 < p < 2: (sgn(x)*|x|^(p-1))*s;
    // p > 2: (x*|x|^(p-2))*s, s = y == 0 ? 0 : g/y^(p-1)
    public static void Norm(Arena arena, in Instruction ins, Tensor g)
    {
        float p = ins.Scalar0;
        // The 0-norm has no gradient (PyTorch's is undefined, so the input's .grad stays None).
        if (p == 0f || !Needs(arena, ins.Input0)) return;
        Tensor x = T(arena, ins.Input0), y = Kept(arena, ins, T(arena, ins.Output)), gk = Kept(arena, ins, g);
        Tensor dx;
        if (p == 1f) dx = x.Sign() * gk;
        else if (p == 2f) dx = gk * Functional.Where(y.Ne(0f), x / y, 0f);
        else if (float.IsInfinity(p))
        {
            Tensor a = x.Abs();
            Tensor mask = a.Eq(y).LogicalOr(a.Ne(a)).To(DType.Float32);
            dx = x.Sign() * ((gk / SumKept(arena, ins, mask)) * mask);
        }
        else if (p < 1f) dx = x.Sign() * Functional.Where(x.Ne(0f), x.Abs().Pow(p - 1f), 0f) * gk * y.Pow(1f - p);
        else
        {
            Tensor scale = Functional.Where(y.Ne(0f), gk / y.Pow(p - 1f), 0f);
            dx = (p < 2f ? x.Sign() * x.Abs().Pow(p - 1f) : x * x.Abs().Pow(p - 2f)) * scale;
        }
        Give(arena, ins.Input0, dx);
    }
    // dx = g*exp(x - y) (logsumexp_backward)
    public static void LogSumExp(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Give(arena, ins.Input0, Kept(arena, ins, g) * (T(arena, ins.Input0) - Kept(arena, ins, T(arena, ins.Output))).Exp());
    }
    // dx = flip(cumsum(flip(g))) along the dim (cumsum_backward's reversed_cumsum); g itself for one element per slice
    public static void CumSum(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Span<int> shape = ShapeCopy(arena, ins.Input0, stackalloc int[Memory.TensorLayout.MaxRank]);
        if (arena.LengthOf(ins.Input0) <= 1 || shape.Length == 0 || shape[ins.Int0] == 1)
        {
            Give(arena, ins.Input0, g);
            return;
        }
        // torch.flip as an index_select with n-1, ..., 0 (an Int32 constant): its derivatives are index_add and
        // index_select again, and the cumsum in between adds in PyTorch's order (a double per element, rounded once),
        // which is also the fused kernel's.
        int n = shape[ins.Int0];
        Tensor flip = arena.Zeros([n], DType.Int32);
        Span<int> reversed = arena.IntValues(flip.Slot); // tensor memory never moves
        for (int i = 0; i < n; i++) reversed[i] = n - 1 - i;
        Give(arena, ins.Input0, g.IndexSelect(ins.Int0, flip).CumSum(ins.Int0).IndexSelect(ins.Int0, flip));
    }
    // dx = g*Π(others) (prod_safe_zeros_backward); two zeros or more: 0, a constant (prod_backward)
    public static void ProdAll(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Span<int> shape = ShapeCopy(arena, ins.Input0, stackalloc int[Memory.TensorLayout.MaxRank]);
        if (shape.Length == 0)
        {
            Give(arena, ins.Input0, g);
            return;
        }
        int n = arena.LengthOf(ins.Input0);
        // Two zeros or more: PyTorch 1.13's prod_backward returns zeros_like(x), a constant even under create_graph,
        // so the second derivatives through it are 0 too (the true cross terms between two zeros are not).
        if (Kernels.Reductions.CountZeros(arena.Values(ins.Input0)) >= 2)
        {
            Give(arena, ins.Input0, arena.Zeros(shape));
            return;
        }
        if (n == 0)
        {
            Give(arena, ins.Input0, Kept(arena, ins, g).Expand(shape));
            return;
        }
        Give(arena, ins.Input0, (g * ProductsOfOthers(arena, T(arena, ins.Input0).Reshape(n), 0)).Reshape(shape));
    }
    // dx = g*Π(others) along the dim, without dividing by x (prod_safe_zeros_backward)
    public static void ProdDim(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Span<int> shape = ShapeCopy(arena, ins.Input0, stackalloc int[Memory.TensorLayout.MaxRank]);
        if (shape.Length == 0)
        {
            Give(arena, ins.Input0, g);
            return;
        }
        Tensor gk = Kept(arena, ins, g);
        Give(arena, ins.Input0, shape[ins.Int0] == 0 || arena.LengthOf(ins.Input0) == 0
            ? gk.Expand(shape)
            : gk * ProductsOfOthers(arena, T(arena, ins.Input0), ins.Int0));
    }

    /// <summary><paramref name="reduced"/> (a result or gradient of the reduction) reshaped to the input's rank with a 1
    /// in each reduced dim: Int0, or every dim when Int0 is -1 (or the input is 0-d), ready to broadcast.</summary>
    private static Tensor Kept(Arena arena, in Instruction ins, Tensor reduced)
    {
        ReadOnlySpan<int> shape = arena.ShapeOf(ins.Input0);
        Span<int> kept = stackalloc int[shape.Length];
        for (int d = 0; d < shape.Length; d++) kept[d] = ins.Int0 < 0 || d == ins.Int0 ? 1 : shape[d];
        return reduced.Reshape(kept);
    }

    /// <summary>Σ of <paramref name="t"/> (the input's shape) over the reduced dims, kept as 1s.</summary>
    private static Tensor SumKept(Arena arena, in Instruction ins, Tensor t) =>
        ins.Int0 < 0 ? Kept(arena, ins, t.Sum()) : t.Sum(ins.Int0, keepDim: true);

    /// <summary>torch.max()/min() backward: the positions equal to the result, or holding NaN when it is NaN, share g.</summary>
    private static void EvenlyDistribute(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Tensor x = T(arena, ins.Input0), y = T(arena, ins.Output);
        Tensor mask = x.Eq(y).LogicalOr(x.Ne(x).LogicalAnd(y.Ne(y)));
        Give(arena, ins.Input0, Functional.Where(mask, g / mask.To(DType.Float32).Sum(), 0f));
    }

    /// <summary>amax/amin backward: (g/count)*mask with mask = x == y per slice, as PyTorch's scale_grad_by_count.</summary>
    private static void ScaleGradByCount(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Tensor mask = T(arena, ins.Input0).Eq(Kept(arena, ins, T(arena, ins.Output))).To(DType.Float32);
        Give(arena, ins.Input0, (Kept(arena, ins, g) / SumKept(arena, ins, mask)) * mask);
    }

    /// <summary>max/min(x, dim) backward: g to the index the forward returned (ins.Saved, Int32, no gradient of its own).</summary>
    private static void SelectedIndices(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Span<int> shape = ShapeCopy(arena, ins.Input0, stackalloc int[Memory.TensorLayout.MaxRank]);
        if (shape.Length == 0)
        {
            Give(arena, ins.Input0, g); // a 0-d input is its own max, index 0
            return;
        }
        Tensor index = Kept(arena, ins, T(arena, ins.Saved));
        Give(arena, ins.Input0, arena.Zeros(shape).ScatterAdd(ins.Int0, index, Kept(arena, ins, g)));
    }

    /// <summary>The variance's gradient given gv, the (kept-dims) gradient of the variance itself.</summary>
    private static Tensor VarianceGradient(Arena arena, in Instruction ins, Tensor gv)
    {
        ReadOnlySpan<int> shape = arena.ShapeOf(ins.Input0);
        Tensor x = T(arena, ins.Input0);
        bool everything = ins.Int0 < 0 || shape.Length == 0;
        long n = everything ? arena.LengthOf(ins.Input0) : shape[ins.Int0];
        float factor = (float)(2.0 / (n - ins.Int1));
        Tensor mean = everything ? x.Mean() : x.Mean(ins.Int0, keepDim: true);
        return (gv * factor) * (x - mean);
    }

    /// <summary>Π of the other elements of each slice along <paramref name="axis"/> (size n ≥ 1), as PyTorch's
    /// prod_safe_zeros_backward: the exclusive prefix product times the exclusive suffix product, each an inclusive
    /// scan (Hillis-Steele: log2 n steps of a shifted copy times itself) of x shifted by one with a 1 brought in.
    /// No division, so zeros give the products of the others exactly, and every step is an op with a derivative.</summary>
    private static Tensor ProductsOfOthers(Arena arena, Tensor x, int axis)
    {
        Span<int> shape = ShapeCopy(arena, x.Slot, stackalloc int[Memory.TensorLayout.MaxRank]);
        int n = shape[axis];
        if (n == 1) return OnesAlong(arena, shape, axis, 1);
        Tensor before = Functional.Cat([OnesAlong(arena, shape, axis, 1), x.Narrow(axis, 0, n - 1)], axis);
        Tensor after = Functional.Cat([x.Narrow(axis, 1, n - 1), OnesAlong(arena, shape, axis, 1)], axis);
        for (int s = 1; s < n; s *= 2)
        {
            before = before * Functional.Cat([OnesAlong(arena, shape, axis, s), before.Narrow(axis, 0, n - s)], axis);
            after = after * Functional.Cat([after.Narrow(axis, s, n - s), OnesAlong(arena, shape, axis, s)], axis);
        }
        return before * after;
    }

    /// <summary>Ones of <paramref name="shape"/> with <paramref name="length"/> along <paramref name="axis"/>.</summary>
    private static Tensor OnesAlong(Arena arena, ReadOnlySpan<int> shape, int axis, int length)
    {
        Span<int> ones = stackalloc int[shape.Length];
        shape.CopyTo(ones);
        ones[axis] = length;
        return arena.Ones(ones);
    }
}
