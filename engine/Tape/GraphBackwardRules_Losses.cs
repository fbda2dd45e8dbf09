namespace ArenaGrad.Tape;

// Graph backward rules of the fused losses (see GraphBackwardRules.cs). Int0 holds the Reduction; g is 0-d for the mean
// and the sum (it broadcasts over the input) and the loss's shape for none. The formulas are PyTorch 1.13's
// (derivatives.yaml and its *_backward kernels), so second derivatives follow its choices at the kinks.
internal static partial class GraphBackwardRules
{
    // da = g·norm·(a−b), db = g·norm·(b−a); norm = 2/n for the mean, 2 otherwise (mse_loss_backward, arguments swapped
    // for the target as PyTorch does)
    public static void MseLoss(Arena arena, in Instruction ins, Tensor g)
    {
        float norm = PointwiseLossNorm(arena, ins, 2f);
        Tensor a = T(arena, ins.Input0), b = T(arena, ins.Input1);
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, (a - b) * norm * g);
        if (Needs(arena, ins.Input1)) Give(arena, ins.Input1, (b - a) * norm * g);
    }

    // L1LossMean/Sum/None: PyTorch composes abs(a−b) with mean/sum, so da = (g/n)·sgn(a−b) (n = 1 unless the mean),
    // db = −da; sgn's own derivative is zero
    public static void L1Loss(Arena arena, in Instruction ins, Tensor g)
    {
        bool needA = Needs(arena, ins.Input0), needB = Needs(arena, ins.Input1);
        if (!needA && !needB) return;
        Tensor scaled = (Reduction)ins.Int0 == Reduction.Mean ? g / arena.LengthOf(ins.Input0) : g;
        Tensor da = scaled * (T(arena, ins.Input0) - T(arena, ins.Input1)).Sign();
        if (needA) Give(arena, ins.Input0, da);
        if (needB) Give(arena, ins.Input1, -da);
    }

    // da = norm·g·slope(a−b), slope(x) = |x| < β ? x/β : x ≤ −β ? −1 : 1 (smooth_l1_loss_backward); db the same with
    // a and b swapped. The second derivative is norm·g·(|x| < β)/β, 0 for β = 0 (smooth_l1_loss_double_backward)
    public static void SmoothL1Loss(Arena arena, in Instruction ins, Tensor g) => PiecewiseLoss(arena, ins, g, huber: false);

    // da = norm·g·slope(a−b), slope(x) = |x| < δ ? x : x ≤ −δ ? −δ : δ (huber_loss_backward); db with a and b swapped.
    // The second derivative is norm·g·(|x| < δ) (huber_loss_double_backward)
    public static void HuberLoss(Arena arena, in Instruction ins, Tensor g) => PiecewiseLoss(arena, ins, g, huber: true);

    // dx = (σ(x)−t)·g/n, dt = −x·g/n (n = 1 unless the mean): binary_cross_entropy_with_logits_backward and its
    // target_backward without weights
    public static void BinaryCrossEntropyWithLogits(Arena arena, in Instruction ins, Tensor g)
    {
        float divisor = (Reduction)ins.Int0 == Reduction.Mean ? arena.LengthOf(ins.Input0) : 1f;
        Tensor x = T(arena, ins.Input0);
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, (x.Sigmoid() - T(arena, ins.Input1)) * g / divisor);
        if (Needs(arena, ins.Input1)) Give(arena, ins.Input1, -x * g / divisor);
    }

    // dx = scatter_add(0, class dim, t, −w): row n's target column takes −w_n (w_n = g/count for the mean, g for the
    // sum, g[n] for none; 0 for ignored rows). Linear in g, independent of x (nll_loss_backward; its x derivative is 0)
    public static void NllLoss(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Span<int> shape = ShapeCopy(arena, ins.Input0, stackalloc int[Memory.TensorLayout.MaxRank]);
        if (arena.LengthOf(ins.Input0) == 0)
        {
            Give(arena, ins.Input0, arena.Zeros(shape));
            return;
        }
        ClassLossRows rows = ClassLossRowsOf(arena, ins, g, shape);
        Give(arena, ins.Input0, arena.Zeros(shape).ScatterAdd(-1, rows.Index, -rows.MaskedWeight(1f)));
    }

    // CrossEntropy and CrossEntropySmoothed: dx = w_n·(softmax(x) − ε/C) − w_n·(1−ε)·onehot(t_n), ignored rows 0, with
    // softmax = exp(log_softmax(x)) recomputed from the logits (the saved log-probabilities have no grad_fn). PyTorch
    // composes log_softmax, nll_loss and, with smoothing, the mean of −log_softmax: the same function of x
    public static void CrossEntropy(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Span<int> shape = ShapeCopy(arena, ins.Input0, stackalloc int[Memory.TensorLayout.MaxRank]);
        if (arena.LengthOf(ins.Input0) == 0)
        {
            Give(arena, ins.Input0, arena.Zeros(shape));
            return;
        }
        int classes = shape[^1];
        float epsilon = ins.Scalar0, shift = (float)((double)epsilon / classes), targetShare = (float)(1.0 - epsilon);
        ClassLossRows rows = ClassLossRowsOf(arena, ins, g, shape);
        Tensor probabilities = SavedLogProbabilitiesAgain(arena, ins, T(arena, ins.Input0).LogSoftmax(-1)).Exp();
        if (shift != 0f) probabilities -= shift;
        // Where, not a product with a 0/1 mask: an ignored row's gradient is 0 even when its logits are not finite.
        Tensor dense = Functional.Where(rows.Valid, probabilities * rows.Weight, 0f);
        Give(arena, ins.Input0, dense + arena.Zeros(shape).ScatterAdd(-1, rows.Index, -rows.MaskedWeight(targetShare)));
    }

    // CrossEntropyProbabilities (mean over rows) and its Sum form (sum or none): with q = (1−ε)·t + ε/C (q = t for ε = 0)
    // and p = exp(log_softmax(x)), dx = w_n·(p·Σ_c q − q), dt = −w_n·(1−ε)·log_softmax(x); w_n = g/N, g or g[n].
    // PyTorch composes −(log_softmax(x)·q).sum(C) with the reduction, the same function of x and t
    public static void CrossEntropyProbabilities(Arena arena, in Instruction ins, Tensor g)
    {
        bool needX = Needs(arena, ins.Input0), needT = Needs(arena, ins.Input1);
        if (!needX && !needT) return;
        Span<int> shape = ShapeCopy(arena, ins.Input0, stackalloc int[Memory.TensorLayout.MaxRank]);
        if (arena.LengthOf(ins.Input0) == 0)
        {
            if (needX) Give(arena, ins.Input0, arena.Zeros(shape));
            if (needT) Give(arena, ins.Input1, arena.Zeros(shape));
            return;
        }
        int classes = shape[^1], rows = shape.Length == 2 ? shape[0] : 1;
        float epsilon = ins.Scalar0, keep = (float)(1.0 - epsilon), shift = (float)((double)epsilon / classes);
        var reduction = (Reduction)ins.Int0;
        // The row weight broadcast over the classes: 0-d for the mean and the sum, [N, 1] for none over [N, C].
        Tensor w = reduction switch
        {
            Reduction.Mean => g / rows,
            Reduction.None when shape.Length == 2 => g.Unsqueeze(1),
            _ => g,
        };
        Tensor logProbabilities = SavedLogProbabilitiesAgain(arena, ins, T(arena, ins.Input0).LogSoftmax(-1));
        if (needX)
        {
            Tensor t = T(arena, ins.Input1);
            Tensor q = epsilon > 0f ? t * keep + shift : t;
            Give(arena, ins.Input0, (logProbabilities.Exp() * q.Sum(-1, keepDim: true) - q) * w);
        }
        if (needT) Give(arena, ins.Input1, logProbabilities * w * -(epsilon > 0f ? keep : 1f));
    }

    /// <summary>Returns <paramref name="recomputed"/>, the log-probabilities recomputed from the logits, after checking that
    /// they are still the ones the forward saved (read under the row's version check). The row does not declare the logits
    /// as read (the fused rule needs only the saved buffer), so a change made to them in place since the forward would
    /// otherwise go unnoticed here and give another function's gradient. Only the softmax matters: a change that keeps it
    /// (a shift of a row) passes. The tolerance covers the rounding of two log-softmax kernels.</summary>
    private static Tensor SavedLogProbabilitiesAgain(Arena arena, in Instruction ins, Tensor recomputed)
    {
        ReadOnlySpan<float> now = arena.Values(recomputed.Slot), saved = arena.Values(ins.Saved);
        for (int i = 0; i < now.Length; i++)
        {
            float a = now[i], b = saved[i];
            if (a == b || (float.IsNaN(a) && float.IsNaN(b))) continue;
            if (!(Math.Abs(a - b) <= 1e-4f * (1f + Math.Abs(b))))
                throw new InvalidOperationException(
                    "one of the variables needed for gradient computation has been modified by an inplace operation: the logits of " +
                    "cross_entropy changed since the forward, and this backward (create_graph, Autograd.Grad or hooks) differentiates " +
                    $"log_softmax of them again. Change a copy of the logits instead. (needed by {OpTable.Of(ins.Op).GradFnName})");
        }
        return recomputed;
    }

    /// <summary>The norm factor of PyTorch's pointwise loss backward kernels: k/n for the mean, k otherwise.</summary>
    private static float PointwiseLossNorm(Arena arena, in Instruction ins, float k) =>
        (Reduction)ins.Int0 == Reduction.Mean ? (float)((double)k / arena.LengthOf(ins.Input0)) : k;

    /// <summary>Smooth-L1 (β in Scalar0) or Huber (δ in Scalar0): each input takes norm·g·slope of its own difference
    /// (input − other), as the fused rule and PyTorch swap the arguments for the target.</summary>
    private static void PiecewiseLoss(Arena arena, in Instruction ins, Tensor g, bool huber)
    {
        bool needA = Needs(arena, ins.Input0), needB = Needs(arena, ins.Input1);
        if (!needA && !needB) return;
        Tensor scaled = g * PointwiseLossNorm(arena, ins, 1f);
        Tensor a = T(arena, ins.Input0), b = T(arena, ins.Input1);
        if (needA) Give(arena, ins.Input0, PiecewiseLossSlope(a - b, ins.Scalar0, huber) * scaled);
        if (needB) Give(arena, ins.Input1, PiecewiseLossSlope(b - a, ins.Scalar0, huber) * scaled);
    }

    /// <summary>The derivative of smooth-L1 or Huber at x = <paramref name="difference"/>: |x| &lt; k ? x/β (smooth-L1)
    /// or x (Huber) : ±1 (smooth-L1) or ±δ (Huber), the sign −1 for x ≤ −k and +1 for x ≥ k as the kernels compare
    /// (so x = 0 with β = 0 takes −1), NaN for NaN. The outer pieces are constants: their derivative is 0, and |x| = k
    /// counts as outside, as PyTorch's double backward masks with |x| &lt; k.</summary>
    private static Tensor PiecewiseLossSlope(Tensor difference, float k, bool huber)
    {
        Tensor x = difference.Detach();
        // sgn, with 0 taken as −1: only β = 0 reaches it (|x| < β holds at 0 otherwise)
        Tensor outside = x.Sign().MaskedFill(x.Eq(0f), -1f);
        if (huber) outside *= k;
        if (k == 0f) return outside; // smooth-L1 with β = 0: no inside, and x/0 would put NaN into the double backward
        return Functional.Where(x.Abs().Lt(k), huber ? difference : difference / k, outside);
    }

    /// <summary>The per-row parts of a class-index loss's gradient over an input [N, C] or [C]: the row weights, the rows
    /// that are not ignored and the target column of each row (0 for ignored rows), each of shape [N, 1] (or [1]).</summary>
    private readonly struct ClassLossRows(Tensor weight, Tensor valid, Tensor index)
    {
        /// <summary>w_n: g/count for the mean, g for the sum, g[n] for none (not yet zero on ignored rows).</summary>
        public Tensor Weight { get; } = weight;

        /// <summary>Bool: the row's target is not the ignore index.</summary>
        public Tensor Valid { get; } = valid;

        /// <summary>Int32: the row's target class, 0 on ignored rows.</summary>
        public Tensor Index { get; } = index;

        /// <summary>scale·w_n on the counted rows, 0 on the ignored ones.</summary>
        public Tensor MaskedWeight(float scale) => Functional.Where(Valid, scale == 1f ? Weight : Weight * scale, 0f);
    }

    /// <summary>The <see cref="ClassLossRows"/> of a NllLoss or CrossEntropy instruction whose input has the non-empty
    /// <paramref name="shape"/>; targets from its Int32 tensor (Input1) or its operand buffer.</summary>
    private static ClassLossRows ClassLossRowsOf(Arena arena, in Instruction ins, Tensor g, ReadOnlySpan<int> shape)
    {
        int rowCount = ForwardRules.ClassTargets(arena, ins, check: false).Length;
        Span<int> rowShape = stackalloc int[2];   // [N, 1] over an input [N, C], [1] over a [C]
        rowShape[0] = rowCount;
        rowShape[1] = 1;
        if (shape.Length != 2) rowShape = rowShape[1..];
        Tensor validRows = arena.Zeros(rowShape, DType.Bool), indexRows = arena.Zeros(rowShape, DType.Int32);
        // The targets are read after the two tensors are made (making them may move the operand buffer's span); tensor
        // memory never moves, so the rows are written in place.
        ReadOnlySpan<int> targets = ForwardRules.ClassTargets(arena, ins, check: false);
        Span<int> valid = arena.IntValues(validRows.Slot), index = arena.IntValues(indexRows.Slot);
        int ignoreIndex = ins.Int1, counted = 0;
        for (int n = 0; n < targets.Length; n++)
        {
            bool kept = targets[n] != ignoreIndex;
            valid[n] = kept ? 1 : 0;
            index[n] = kept ? targets[n] : 0;
            if (kept) counted++;
        }
        // When every row is ignored the weights are masked out: no division by 0 to put NaN into the double backward.
        Tensor weight = (Reduction)ins.Int0 switch
        {
            Reduction.Mean => (counted > 0 ? g / counted : g).Expand(rowShape),
            Reduction.Sum => g.Expand(rowShape),
            _ => g.Reshape(rowShape),
        };
        return new ClassLossRows(weight, validRows, indexRows);
    }
}
