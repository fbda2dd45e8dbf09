using ArenaGrad.Kernels;
using ArenaGrad.Tape;

namespace ArenaGrad;

// The losses of torch.nn.functional. Each is one fused op: the forward computes the loss in one pass (no
// intermediate tensors), and one backward rule of the same opcode computes the input's gradient (the opcode's row in
// engine/Tape/OpTable.cs names both; the rule is in engine/Tape/BackwardRules.cs). Every argument is checked before the
// arena is touched, and each loss runs in an OpTransaction, so a failed call leaves the arena as it was.
public static partial class Functional
{
    /// <summary>PyTorch's default <c>ignore_index</c>: rows whose target is this value are skipped.</summary>
    public const int DefaultIgnoreIndex = -100;

    /// <summary>F.mse_loss with the mean: mean((input − target)²). The two-argument form, kept so that
    /// <c>Functional.MseLoss</c> still converts to a <c>Func&lt;Tensor, Tensor, Tensor&gt;</c>.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target) => MseLoss(input, target, Reduction.Mean);

    /// <summary>F.cross_entropy with the mean over rows: −mean(log_softmax(logits)[n, targets[n]]). The two-argument
    /// form, kept beside the full overload for method-group conversions.</summary>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> targets) => CrossEntropy(logits, targets, Reduction.Mean);

    /// <summary>F.mse_loss: ℓ = (input − target)², reduced by <paramref name="reduction"/>. Shapes must match.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        PointwiseLoss(input, target, reduction, OpCode.MseLoss, 0f, "mse_loss");

    /// <summary>F.l1_loss: ℓ = |input − target|, reduced by <paramref name="reduction"/>. Shapes must match.</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        PointwiseLoss(input, target, reduction,
            reduction switch { Reduction.Sum => OpCode.L1LossSum, Reduction.None => OpCode.L1LossNone, _ => OpCode.L1LossMean },
            0f, "l1_loss");

    /// <summary>F.smooth_l1_loss: ℓ = z &lt; β ? 0.5 z²/β : z − 0.5 β with z = |input − target| (β = 0 is the L1 loss),
    /// reduced by <paramref name="reduction"/>. Shapes must match.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="beta"/> is negative (PyTorch's message).</exception>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, float beta = 1f, Reduction reduction = Reduction.Mean)
    {
        if (beta < 0f)
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "smooth_l1_loss does not support negative values for beta.");
        return PointwiseLoss(input, target, reduction, OpCode.SmoothL1Loss, beta, "smooth_l1_loss");
    }

    /// <summary>F.huber_loss: ℓ = z &lt; δ ? 0.5 z² : δ (z − 0.5 δ) with z = |input − target|, reduced by
    /// <paramref name="reduction"/>. Shapes must match.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is not positive (PyTorch's message).</exception>
    public static Tensor HuberLoss(Tensor input, Tensor target, float delta = 1f, Reduction reduction = Reduction.Mean)
    {
        if (!(delta > 0f))
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "huber_loss does not support non-positive values for delta.");
        return PointwiseLoss(input, target, reduction, OpCode.HuberLoss, delta, "huber_loss");
    }

    /// <summary>F.binary_cross_entropy_with_logits: ℓ = −[t log σ(x) + (1 − t) log(1 − σ(x))] for logits x and
    /// targets t in [0, 1], computed stably, reduced by <paramref name="reduction"/>. Shapes must be equal.</summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        PointwiseLoss(input, target, reduction, OpCode.BinaryCrossEntropyWithLogits, 0f,
            "binary_cross_entropy_with_logits");

    /// <summary>F.nll_loss: ℓ_n = −logProbabilities[n, targets[n]] for log-probabilities [N, C] (or [C] with one
    /// target), reduced by <paramref name="reduction"/>. Rows whose target is <paramref name="ignoreIndex"/> are
    /// skipped: they add 0, and the mean divides by the number of the other rows.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A target outside [0, C) that is not <paramref name="ignoreIndex"/>
    /// (PyTorch's <c>Target 5 is out of bounds.</c>).</exception>
    public static Tensor NllLoss(Tensor logProbabilities, ReadOnlySpan<int> targets, Reduction reduction = Reduction.Mean,
        int ignoreIndex = DefaultIgnoreIndex)
    {
        Arena arena = logProbabilities.Arena;
        int x = logProbabilities.Slot;
        arena.RequireFloat(x);
        CheckReduction(reduction);
        CheckClassInput(arena, x, targets, ignoreIndex, "nll_loss", out _, out _);
        bool record = arena.ShouldRecord(x);
        using OpTransaction op = arena.BeginOp(); // the result, then the tape and operand entries
        int y = arena.NewSlot(RowLossShape(arena, x, reduction), record);
        ForwardRules.NllLoss(arena, x, targets, reduction, ignoreIndex, y);
        if (record || arena.IsTracing) RecordClassLoss(arena, new Instruction(OpCode.NllLoss, y, x), reduction, ignoreIndex, 0f, targets, record);
        return op.Commit(y);
    }

    /// <summary>F.cross_entropy: ℓ_n = (1 − ε)·(−log_softmax(logits)[n, t_n]) + (ε/C)·Σ_c −log_softmax(logits)[n, c]
    /// for logits [N, C] (or [C] with one target) and class targets, ε = <paramref name="labelSmoothing"/>, reduced
    /// by <paramref name="reduction"/>. Rows whose target is <paramref name="ignoreIndex"/> are skipped: they add 0,
    /// and the mean divides by the number of the other rows (NaN when there are none, as in PyTorch).</summary>
    /// <remarks>Backward reads only the log-probabilities saved here, so the logits may change in place afterwards.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">A target outside [0, C) that is not <paramref name="ignoreIndex"/>,
    /// or <paramref name="labelSmoothing"/> outside [0, 1] (PyTorch's messages).</exception>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> targets, Reduction reduction = Reduction.Mean,
        float labelSmoothing = 0f, int ignoreIndex = DefaultIgnoreIndex)
    {
        Arena arena = logits.Arena;
        int x = logits.Slot;
        arena.RequireFloat(x);
        CheckReduction(reduction);
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing,
                $"label_smoothing must be between 0.0 and 1.0. Got: {labelSmoothing}");
        CheckClassInput(arena, x, targets, ignoreIndex, "cross_entropy", out int rows, out int classes);
        bool record = arena.ShouldRecord(x);
        ReadOnlySpan<int> outShape = RowLossShape(arena, x, reduction);
        Span<int> savedShape = stackalloc int[2];
        savedShape[0] = rows;
        savedShape[1] = classes;
        using OpTransaction op = arena.BeginOp(); // the result and saved buffer (one request), then the tape entry
        // The log-probabilities backward reads are taken in the same memory request as the loss itself.
        int saved = -1;
        int y = record ? arena.NewSlotWithSaved(outShape, savedShape, out saved) : arena.NewSlot(outShape, requiresGrad: false);

        ForwardRules.CrossEntropy(arena, x, targets, reduction, ignoreIndex, labelSmoothing, y, saved);
        if (record || arena.IsTracing)
            RecordClassLoss(arena, new Instruction(labelSmoothing > 0f ? OpCode.CrossEntropySmoothed : OpCode.CrossEntropy, y, x) { Saved = saved },
                reduction, ignoreIndex, labelSmoothing, targets, record);
        return op.Commit(y);
    }

    // ---- shared by the losses ---------------------------------------------------------------------

    private static Tensor PointwiseLoss(Tensor input, Tensor target, Reduction reduction, OpCode opCode, float parameter, string name)
    {
        Arena arena = input.Arena;
        int a = input.Slot, b = arena.OwnSlot(target);
        arena.RequireFloat(a);
        arena.RequireFloat(b);
        CheckReduction(reduction);
        CheckSameShape(arena, a, b, opCode == OpCode.BinaryCrossEntropyWithLogits, name);
        bool record = arena.ShouldRecord(a, b);
        using OpTransaction op = arena.BeginOp(); // the result, then the tape entry
        int y = arena.NewSlot(reduction == Reduction.None ? arena.ShapeOf(a) : [], record);
        var instruction = new Instruction(opCode, y, a, b) { Int0 = (int)reduction, Scalar0 = parameter };
        ForwardRules.Run(arena, in instruction);
        arena.Record(in instruction, record);
        return op.Commit(y);
    }

    private static void CheckReduction(Reduction reduction)
    {
        if ((uint)reduction > (uint)Reduction.None)
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, $"{(int)reduction} is not a valid value for reduction");
    }

    /// <summary>Input and target must have one shape. PyTorch broadcasts the pointwise losses with a warning that the
    /// result is likely wrong; here a different shape is refused, with PyTorch's message where it has one.</summary>
    private static void CheckSameShape(Arena arena, int a, int b, bool exact, string name)
    {
        ReadOnlySpan<int> inputShape = arena.ShapeOf(a), targetShape = arena.ShapeOf(b);
        if (inputShape.SequenceEqual(targetShape)) return;
        if (exact)
            throw new ArgumentException(
                $"Target size ({ShapeMath.TorchSize(targetShape)}) must be the same as input size ({ShapeMath.TorchSize(inputShape)})");
        // Not broadcastable: PyTorch's message, which names the last dim that differs (it compares from the right).
        int rank = Math.Max(inputShape.Length, targetShape.Length);
        for (int i = rank - 1; i >= 0; i--)
        {
            int da = i < rank - inputShape.Length ? 1 : inputShape[i - (rank - inputShape.Length)];
            int db = i < rank - targetShape.Length ? 1 : targetShape[i - (rank - targetShape.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"The size of tensor a ({da}) must match the size of tensor b ({db}) at non-singleton dimension {i}");
        }
        throw new ArgumentException(
            $"Using a target size ({ShapeMath.TorchSize(targetShape)}) that is different to the input size ({ShapeMath.TorchSize(inputShape)}) " +
            $"is refused by {name}: PyTorch would broadcast and warn that this will likely lead to incorrect results. " +
            "Give the target the input's shape.");
    }

    /// <summary>Checks class-index losses: input [N, C] or [C] with one target, one target per row, each in
    /// [0, C) or equal to <paramref name="ignoreIndex"/>.</summary>
    private static void CheckClassInput(Arena arena, int x, ReadOnlySpan<int> targets, int ignoreIndex, string name,
        out int rows, out int classes)
    {
        ReadOnlySpan<int> shape = arena.ShapeOf(x);
        if (shape.Length is not (1 or 2))
            throw new ArgumentException(
                $"{name} expects input of shape [N, C] (or [C] with one target), but got {ShapeMath.Format(shape)}.");
        rows = shape.Length == 2 ? shape[0] : 1;
        classes = shape[^1];
        if (targets.Length != rows)
            throw new ArgumentException($"Expected input batch_size ({rows}) to match target batch_size ({targets.Length}).", nameof(targets));
        foreach (int t in targets)
        {
            if (t == ignoreIndex) continue;
            if ((uint)t >= (uint)classes) throw new ArgumentOutOfRangeException(nameof(targets), t, $"Target {t} is out of bounds.");
        }
    }

    /// <summary>[] for the mean and sum; the per-row shape ([N], or [] for a [C] input) for no reduction.</summary>
    private static ReadOnlySpan<int> RowLossShape(Arena arena, int x, Reduction reduction)
    {
        ReadOnlySpan<int> shape = arena.ShapeOf(x);
        return reduction == Reduction.None && shape.Length == 2 ? shape[..1] : [];
    }

    private static void RecordClassLoss(Arena arena, Instruction instruction, Reduction reduction, int ignoreIndex, float labelSmoothing,
        ReadOnlySpan<int> targets, bool onTape)
    {
        instruction.Int0 = (int)reduction;
        instruction.Int1 = ignoreIndex;
        instruction.Scalar0 = labelSmoothing;
        instruction.OperandStart = arena.AddOperands(targets);
        instruction.OperandCount = targets.Length;
        arena.Record(instruction, onTape);
    }
}
