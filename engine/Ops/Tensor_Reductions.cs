using ArenaGrad.Kernels;
using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

// Reductions over everything or over one dim, and softmax along a dim.
public readonly partial struct Tensor
{
    /// <summary>Σ of every element, as a scalar (shape []).</summary>
    public Tensor Sum() => ReduceAll(OpCode.SumAll);

    /// <summary>Σ along <paramref name="dim"/>; <paramref name="keepDim"/> keeps it with size 1.</summary>
    public Tensor Sum(int dim, bool keepDim = false) => ReduceDim(OpCode.SumDim, dim, keepDim);

    /// <summary>Mean of every element, as a scalar.</summary>
    public Tensor Mean() => ReduceAll(OpCode.MeanAll);

    /// <summary>Mean along <paramref name="dim"/>.</summary>
    public Tensor Mean(int dim, bool keepDim = false) => ReduceDim(OpCode.MeanDim, dim, keepDim);

    /// <summary>Largest element, as a scalar (NaN if any is NaN); ties share the gradient evenly, and when the
    /// max is NaN the NaNs share it (torch.max()).</summary>
    public Tensor Max() => ReduceAll(OpCode.MaxAll);

    /// <summary>Largest element along <paramref name="dim"/> (<c>torch.amax</c>); ties share the gradient evenly,
    /// and a slice whose max is NaN gets NaN gradients everywhere, as amax's backward gives.</summary>
    public Tensor Max(int dim, bool keepDim = false) => ReduceDim(OpCode.MaxDim, dim, keepDim);

    /// <summary>exp(x) / Σ exp(x) along <paramref name="dim"/></summary>
    public Tensor Softmax(int dim) => SoftmaxAlong(OpCode.Softmax, dim);

    /// <summary>x − log Σ exp(x) along <paramref name="dim"/></summary>
    public Tensor LogSoftmax(int dim) => SoftmaxAlong(OpCode.LogSoftmax, dim);

    private Tensor ReduceAll(OpCode op)
    {
        Arena arena = Arena;
        int x = _slot;
        arena.RequireFloat(x);
        ReadOnlySpan<float> values = arena.Values(x);
        if (op == OpCode.MaxAll && values.Length == 0)
            throw new InvalidOperationException(
                "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.");
        bool record = arena.ShouldRecord(x);
        int y = arena.NewSlot([], record);
        var instruction = new Instruction(op, y, x);
        ForwardRules.Run(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }

    private Tensor ReduceDim(OpCode op, int dim, bool keepDim)
    {
        Arena arena = Arena;
        int x = _slot;
        arena.RequireFloat(x);
        ReadOnlySpan<int> inShape = arena.ShapeOf(x);
        int axis = ShapeMath.NormalizeDim(dim, inShape.Length);
        // a 0-d amax stays amax (its gradient is NaN at a NaN, as PyTorch's AmaxBackward0; max()'s goes to the NaN)
        if (inShape.Length == 0 && op != OpCode.MaxDim) return ReduceAll(op == OpCode.SumDim ? OpCode.SumAll : OpCode.MeanAll);
        ShapeMath.SplitAxis(inShape, axis, out int outer, out int size, out int inner);
        if (op == OpCode.MaxDim && size == 0)
            throw new ArgumentException(
                $"amax(): Expected reduction dim {dim} to have non-zero size.", nameof(dim));
        Span<int> outShape = stackalloc int[TensorLayout.MaxRank];
        int rank = 0;
        for (int d = 0; d < inShape.Length; d++)
        {
            if (d != axis) outShape[rank++] = inShape[d];
            else if (keepDim) outShape[rank++] = 1;
        }
        bool record = arena.ShouldRecord(x);
        int y = arena.NewSlot(outShape[..rank], record);
        var instruction = new Instruction(op, y, x) { Int0 = axis, Int1 = keepDim ? 1 : 0 };
        ForwardRules.Run(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }

    private Tensor SoftmaxAlong(OpCode op, int dim)
    {
        Arena arena = Arena;
        int x = _slot;
        arena.RequireFloat(x);
        ReadOnlySpan<int> shape = arena.ShapeOf(x);
        int axis = ShapeMath.NormalizeDim(dim, shape.Length);
        bool record = arena.ShouldRecord(x);
        int y = arena.NewSlot(shape, record);
        var instruction = new Instruction(op, y, x) { Int0 = axis };
        ForwardRules.Run(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }
}
