using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

// torch.where (issue 16, family index). Forward and backward: OpCode.Where and WhereScalar in Tape/OpTable.cs.
public static partial class Functional
{
    /// <summary><c>torch.where</c>: y = condition ? a : b, the Bool condition and a, b (one dtype, kept) broadcast
    /// together. Backward: da = reduce(condition ? g : 0), db = reduce(condition ? 0 : g) to each input's shape.</summary>
    /// <exception cref="ArgumentException">The condition is not Bool (PyTorch's message), a and b differ in dtype, or the
    /// shapes do not broadcast.</exception>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        Arena arena = a.Arena;
        int sa = a.Slot, sb = arena.OwnSlot(b), c = arena.OwnSlot(condition);
        RequireCondition(arena, c);
        arena.RequireDType(sb, arena.DTypeOf(sa));
        Span<int> ca = stackalloc int[TensorLayout.MaxRank];
        Span<int> shape = stackalloc int[TensorLayout.MaxRank];
        // condition with a, then with b: PyTorch's order, so a mismatch names the dims it names
        int rank = ShapeMath.BroadcastShape(ca[..ShapeMath.BroadcastShape(arena.ShapeOf(c), arena.ShapeOf(sa), ca)], arena.ShapeOf(sb), shape);
        bool record = arena.ShouldRecord(sa, sb);
        int y = record ? arena.NewSlot(shape[..rank], requiresGrad: true) : arena.NewSlot(shape[..rank], arena.DTypeOf(sa));
        var instruction = new Instruction(OpCode.Where, y, sa, sb, c);
        ForwardRules.Where(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }

    /// <summary><c>torch.where(condition, a, b)</c> with a float b: y = condition ? a : b, a Float32; condition and a
    /// broadcast together. Backward: da = reduce(condition ? g : 0).</summary>
    /// <exception cref="ArgumentException">The condition is not Bool, a is not Float32, or the shapes do not broadcast.</exception>
    public static Tensor Where(Tensor condition, Tensor a, float b)
    {
        Arena arena = a.Arena;
        int sa = a.Slot, c = arena.OwnSlot(condition);
        RequireCondition(arena, c);
        arena.RequireFloat(sa);
        Span<int> shape = stackalloc int[TensorLayout.MaxRank];
        int rank = ShapeMath.BroadcastShape(arena.ShapeOf(c), arena.ShapeOf(sa), shape);
        bool record = arena.ShouldRecord(sa);
        int y = arena.NewSlot(shape[..rank], record);
        var instruction = new Instruction(OpCode.WhereScalar, y, sa, -1, c) { Scalar0 = b };
        ForwardRules.WhereScalar(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }

    /// <summary>F.nll_loss with an Int32 tensor of class indices ([N] for log-probabilities [N, C], [] or [1] for [C]): as
    /// the span overload, but the instruction reads the tensor, so a captured step replayed after
    /// <c>targets.CopyFrom(span)</c> uses the new targets; backward reads them too (changing them in place between the forward
    /// and backward is refused, as for any tensor backward reads).</summary>
    /// <exception cref="ArgumentException">The targets are not Int32, have more than one dim, or their count differs from N.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target outside [0, C) that is not <paramref name="ignoreIndex"/>.</exception>
    public static Tensor NllLoss(Tensor logProbabilities, Tensor targets, Reduction reduction = Reduction.Mean,
        int ignoreIndex = DefaultIgnoreIndex)
    {
        Arena arena = logProbabilities.Arena;
        int x = logProbabilities.Slot, t = arena.OwnSlot(targets);
        arena.RequireFloat(x);
        CheckReduction(reduction);
        CheckTargetTensor(arena, x, t);
        CheckClassInput(arena, x, arena.IntValues(t), ignoreIndex, "nll_loss", out _, out _);
        bool record = arena.ShouldRecord(x);
        using OpTransaction op = arena.BeginOp(); // the result, then the tape entry
        int y = arena.NewSlot(RowLossShape(arena, x, reduction), record);
        var instruction = new Instruction(OpCode.NllLoss, y, x, t) { Int0 = (int)reduction, Int1 = ignoreIndex };
        ForwardRules.Run(arena, in instruction);
        arena.Record(in instruction, record);
        return op.Commit(y);
    }

    /// <summary>F.cross_entropy with a target tensor. Int32 targets are class indices, as the span overload takes
    /// them, but read by the instruction (a captured step replayed after <c>targets.CopyFrom(span)</c> uses the new
    /// ones; backward reads them too). Float32 targets of the logits' shape are class probabilities (PyTorch 1.10+):
    /// ℓ_n = −Σ_c q[n, c]·log_softmax(logits)[n, c] with q = (1 − ε)·target + ε/C, the mean dividing by N
    /// (<paramref name="ignoreIndex"/> does not apply to them, as in PyTorch).</summary>
    /// <exception cref="ArgumentException">Targets of another dtype, or of a shape that fits neither form.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A class index outside [0, C) that is not <paramref name="ignoreIndex"/>,
    /// or <paramref name="labelSmoothing"/> outside [0, 1].</exception>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, Reduction reduction = Reduction.Mean, float labelSmoothing = 0f,
        int ignoreIndex = DefaultIgnoreIndex)
    {
        Arena arena = logits.Arena;
        int x = logits.Slot, t = arena.OwnSlot(targets);
        arena.RequireFloat(x);
        CheckReduction(reduction);
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing,
                $"label_smoothing must be between 0.0 and 1.0. Got: {labelSmoothing}");
        if (arena.DTypeOf(t) == DType.Float32) return CrossEntropyProbabilities(arena, x, t, reduction, labelSmoothing);
        if (arena.ShapeOf(t).SequenceEqual(arena.ShapeOf(x))) // the logits' shape means class probabilities to PyTorch
            throw new ArgumentException("Expected floating point type for target with class probabilities, got Int", nameof(targets));
        CheckTargetTensor(arena, x, t);
        CheckClassInput(arena, x, arena.IntValues(t), ignoreIndex, "cross_entropy", out int rows, out int classes);
        bool record = arena.ShouldRecord(x);
        ReadOnlySpan<int> outShape = RowLossShape(arena, x, reduction);
        Span<int> savedShape = stackalloc int[2];
        savedShape[0] = rows;
        savedShape[1] = classes;
        using OpTransaction op = arena.BeginOp(); // the result and saved buffer (one request), then the tape entry
        int saved = -1;
        int y = record ? arena.NewSlotWithSaved(outShape, savedShape, out saved) : arena.NewSlot(outShape, requiresGrad: false);
        var instruction = new Instruction(labelSmoothing > 0f ? OpCode.CrossEntropySmoothed : OpCode.CrossEntropy, y, x, t)
        {
            Saved = saved, Int0 = (int)reduction, Int1 = ignoreIndex, Scalar0 = labelSmoothing,
        };
        ForwardRules.Run(arena, in instruction);
        arena.Record(in instruction, record);
        return op.Commit(y);
    }

    /// <summary>F.cross_entropy with class probabilities of the logits' shape ([N, C] or [C]).</summary>
    private static Tensor CrossEntropyProbabilities(Arena arena, int x, int targets, Reduction reduction, float labelSmoothing)
    {
        int t = targets;
        ReadOnlySpan<int> shape = arena.ShapeOf(x);
        if (shape.Length is not (1 or 2))
            throw new ArgumentException(
                $"cross_entropy expects input of shape [N, C] (or [C] with one target), but got {ShapeMath.Format(shape)}.");
        if (!arena.ShapeOf(t).SequenceEqual(shape))
        {
            // PyTorch takes targets of another shape as class indices: its shape messages, then the dtype one
            CheckTargetShape(arena, x, t);
            arena.RequireDType(t, DType.Int32);
        }
        bool record = arena.ShouldRecord(x, t);
        ReadOnlySpan<int> outShape = RowLossShape(arena, x, reduction);
        using OpTransaction op = arena.BeginOp(); // the result and saved buffer (one request), then the tape entry
        int saved = -1;
        int y = record ? arena.NewSlotWithSaved(outShape, shape, out saved) : arena.NewSlot(outShape, requiresGrad: false);
        var instruction = new Instruction(reduction == Reduction.Mean ? OpCode.CrossEntropyProbabilities : OpCode.CrossEntropyProbabilitiesSum,
            y, x, t) { Saved = saved, Int0 = (int)reduction, Scalar0 = labelSmoothing };
        ForwardRules.Run(arena, in instruction);
        arena.Record(in instruction, record);
        return op.Commit(y);
    }

    /// <summary>Class-index targets as a tensor: Int32 (PyTorch asks for int64, which the engine does not have), 0-D or 1-D.</summary>
    private static void CheckTargetTensor(Arena arena, int x, int targets)
    {
        arena.RequireDType(targets, DType.Int32);
        CheckTargetShape(arena, x, targets);
    }

    /// <summary>Class-index targets' shape, with PyTorch 1.13's messages in its order: [N] for an [N, C] input; [] for a
    /// [C] input, or [1] when C is 1.</summary>
    private static void CheckTargetShape(Arena arena, int x, int targets)
    {
        ReadOnlySpan<int> shape = arena.ShapeOf(x), targetShape = arena.ShapeOf(targets);
        if (targetShape.Length > 0 && shape.Length == 2 && targetShape[0] != shape[0]) // PyTorch compares the batch first
            throw new ArgumentException($"Expected input batch_size ({shape[0]}) to match target batch_size ({targetShape[0]}).", nameof(targets));
        if (targetShape.Length > 1)
            throw new ArgumentException("0D or 1D target tensor expected, multi-target not supported", nameof(targets));
        if (shape.Length == 2 && targetShape.Length == 0)
            throw new ArgumentException(shape[0] == 0 ? "Dimension specified as 0 but tensor has no dimensions"
                : $"Expected input batch_size ({shape[0]}) to match target batch_size (0).", nameof(targets));
        if (shape.Length == 1 && targetShape.Length == 1 && (shape[0] != targetShape[0] || shape[0] != 1))
            throw new ArgumentException(shape[0] != targetShape[0]
                ? $"size mismatch (got input: {ShapeMath.Format(shape)}, target: {ShapeMath.Format(targetShape)})"
                : $"A [C] input takes a 0-d target (or [1] when C is 1), but got target {ShapeMath.Format(targetShape)}", nameof(targets));
    }

    private static void RequireCondition(Arena arena, int condition)
    {
        if (arena.DTypeOf(condition) != DType.Bool)
            throw new ArgumentException(
                $"where expected condition to be a boolean tensor, but got a tensor with dtype {Tensor.TorchTypeName(arena.DTypeOf(condition))}",
                nameof(condition));
    }
}
