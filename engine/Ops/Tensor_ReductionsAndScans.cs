using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

// Reductions beyond sum, mean and max, and scans: minimum, amax/amin, values with indices, argmax/argmin, variance and standard deviation,
// norms, log-sum-exp, cumulative sum and product. Each names its opcode; the opcode's row in Tape/OpTable.cs names its
// forward (Tape/ForwardRules_Reductions.cs) and backward (Tape/BackwardRules_Reductions.cs), whose kernels are in
// Kernels/Reductions_Extremes.cs, _Moments.cs and _Scans.cs. Every sum is a fixed-order cascade and every scan runs in
// index order, so each result is the same bits on every instruction set.
public readonly partial struct Tensor
{
    /// <summary>Smallest element, as a scalar (NaN if any is NaN); ties share the gradient evenly, and when the min is
    /// NaN the NaNs share it (torch.min()).</summary>
    /// <exception cref="InvalidOperationException">The tensor has no elements.</exception>
    public Tensor Min()
    {
        Arena arena = Arena;
        arena.RequireFloat(_slot);
        if (arena.LengthOf(_slot) == 0)
            throw new InvalidOperationException(
                "min(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.");
        return ReduceAll(OpCode.MinAll);
    }

    /// <summary>Smallest element along <paramref name="dim"/> (<c>torch.amin</c>); ties share the gradient evenly, and a
    /// slice whose min is NaN gets NaN gradients everywhere, as amin's backward gives. For the index as well, see
    /// <see cref="MinWithIndices"/>.</summary>
    public Tensor Min(int dim, bool keepDim = false) => ReduceAlong(OpCode.MinDim, dim, keepDim);

    /// <summary><c>torch.amax</c>: the same as <see cref="Max(int, bool)"/>.</summary>
    public Tensor Amax(int dim, bool keepDim = false) => Max(dim, keepDim);

    /// <summary><c>torch.amin</c>: the same as <see cref="Min(int, bool)"/>.</summary>
    public Tensor Amin(int dim, bool keepDim = false) => Min(dim, keepDim);

    /// <summary><c>torch.max(x, dim)</c>: the largest element along <paramref name="dim"/> and its index (Int32): the
    /// first index of the largest value, or of the first NaN when the slice holds one (PyTorch's CPU choice). The
    /// gradient goes to that index only (grad_fn MaxBackward0); Indices does not require grad.</summary>
    public (Tensor Values, Tensor Indices) MaxWithIndices(int dim, bool keepDim = false) =>
        ValuesWithIndices(OpCode.MaxDimWithIndices, "max", dim, keepDim);

    /// <summary><c>torch.min(x, dim)</c>: the smallest element along <paramref name="dim"/> and its index (Int32), chosen
    /// as <see cref="MaxWithIndices"/> chooses; the gradient goes to that index only (grad_fn MinBackward0).</summary>
    public (Tensor Values, Tensor Indices) MinWithIndices(int dim, bool keepDim = false) =>
        ValuesWithIndices(OpCode.MinDimWithIndices, "min", dim, keepDim);

    /// <summary><c>torch.argmax(x, dim)</c>: the index (Int32) of the first largest element along <paramref name="dim"/>,
    /// or of the first NaN; no gradient flows through it.</summary>
    public Tensor ArgMax(int dim, bool keepDim = false) => ArgExtreme(OpCode.ArgMax, "argmax", dim, keepDim);

    /// <summary><c>torch.argmin(x, dim)</c>: the index (Int32) of the first smallest element along <paramref name="dim"/>,
    /// or of the first NaN; no gradient flows through it.</summary>
    public Tensor ArgMin(int dim, bool keepDim = false) => ArgExtreme(OpCode.ArgMin, "argmin", dim, keepDim);

    /// <summary><c>torch.argmax(x)</c>: the index (Int32, shape []) of the first largest element of the flattened tensor.</summary>
    public Tensor ArgMax() => ArgExtreme(OpCode.ArgMax, "argmax", null, false);

    /// <summary><c>torch.argmin(x)</c>: the index (Int32, shape []) of the first smallest element of the flattened tensor.</summary>
    public Tensor ArgMin() => ArgExtreme(OpCode.ArgMin, "argmin", null, false);

    /// <summary>Σ (x − mean)² / max(0, n − correction) along <paramref name="dim"/> (<c>torch.var(x, dim, correction=c)</c>;
    /// correction 1 is Bessel's, 0 the population variance). A slice no larger than the correction gives inf (NaN
    /// where every deviation is 0), and its gradient uses 2/(n − correction) unclamped, as PyTorch 1.13's does.</summary>
    public Tensor Var(int dim, int correction = 1, bool keepDim = false) => ReduceAlong(OpCode.Var, dim, keepDim, correction);

    /// <summary><c>torch.var(x, dim=None, correction=c)</c>: the variance over every element when <paramref name="dim"/> is
    /// null (with <paramref name="keepDim"/>, shape [1, ..., 1]), else as <see cref="Var(int, int, bool)"/>. Where
    /// n ≤ correction, PyTorch 1.13's backward over every element raises an internal shape error; this one gives the
    /// gradient of the per-dim form.</summary>
    public Tensor Var(int? dim = null, int correction = 1, bool keepDim = false) =>
        dim is int d ? Var(d, correction, keepDim) : ReduceEverything(OpCode.Var, keepDim, correction);

    /// <summary>√Var along <paramref name="dim"/> (<c>torch.std</c>); where it is 0 the gradient is 0.</summary>
    public Tensor Std(int dim, int correction = 1, bool keepDim = false) => ReduceAlong(OpCode.Std, dim, keepDim, correction);

    /// <summary><c>torch.std(x, dim=None, correction=c)</c>: over every element when <paramref name="dim"/> is null, else
    /// as <see cref="Std(int, int, bool)"/>.</summary>
    public Tensor Std(int? dim = null, int correction = 1, bool keepDim = false) =>
        dim is int d ? Std(d, correction, keepDim) : ReduceEverything(OpCode.Std, keepDim, correction);

    /// <summary>The p-norm of every element, as a scalar (<c>torch.norm(x, p)</c>): p = 2: √Σx², 1: Σ|x|, ∞: max|x|,
    /// −∞: min|x|, 0: the number of non-zero elements, otherwise (Σ|x|^p)^(1/p); 0 for an empty tensor. The gradient
    /// is PyTorch's: 0 where the norm is 0 (the 2-norm of zeros), shared evenly by the ties of ±∞, and none at all for
    /// p = 0 (the input's grad stays null).</summary>
    public Tensor Norm(float p = 2f) => ReduceEverything(OpCode.Norm, false, 0, p);

    /// <summary>The p-norm along <paramref name="dim"/> (<c>torch.norm(x, p, dim)</c>), as <see cref="Norm(float)"/>.</summary>
    public Tensor Norm(float p, int dim, bool keepDim = false) => ReduceAlong(OpCode.Norm, dim, keepDim, 0, p);

    /// <summary>log Σ exp(x) along <paramref name="dim"/>, computed as log Σ exp(x − m) + m with m the slice's max (0
    /// where it is ±∞), so large values do not overflow: an all −∞ slice gives −∞, one holding +∞ gives +∞
    /// (<c>torch.logsumexp</c>). dx = g·exp(x − y).</summary>
    public Tensor LogSumExp(int dim, bool keepDim = false) => ReduceAlong(OpCode.LogSumExp, dim, keepDim);

    /// <summary>y[.., i, ..] = Σ_{k ≤ i} x[.., k, ..] along <paramref name="dim"/> (<c>torch.cumsum</c>): added in index
    /// order, k = 0, 1, ..., into a double rounded once per element (PyTorch's CPU order, so the same bits on every
    /// instruction set). The gradient is the reverse cumulative sum of g.</summary>
    public Tensor CumSum(int dim)
    {
        Arena arena = Arena;
        int x = _slot;
        arena.RequireFloat(x);
        ReadOnlySpan<int> shape = arena.ShapeOf(x);
        int axis = ShapeMath.NormalizeDim(dim, shape.Length);
        bool record = arena.ShouldRecord(x);
        int y = arena.NewSlot(shape, record);
        var instruction = new Instruction(OpCode.CumSum, y, x) { Int0 = axis };
        ForwardRules.Run(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }

    /// <summary>Π of every element, as a scalar (<c>torch.prod(x)</c>; 1 for an empty tensor). The gradient at an element
    /// is g times the product of the others, taken without dividing by x: with one zero only the zero gets a gradient,
    /// with two or more every gradient is 0.</summary>
    public Tensor Prod() => ReduceEverything(OpCode.ProdAll, false);

    /// <summary>Π along <paramref name="dim"/> (<c>torch.prod(x, dim)</c>), with the gradient of <see cref="Prod()"/> per slice.</summary>
    public Tensor Prod(int dim, bool keepDim = false) => ReduceAlong(OpCode.ProdDim, dim, keepDim);

    /// <summary>A reduction along one dim: Int0 the axis, Int1 and Scalar0 the op's attributes (correction, p).</summary>
    private Tensor ReduceAlong(OpCode op, int dim, bool keepDim, int int1 = 0, float scalar0 = 0f)
    {
        Arena arena = Arena;
        int x = _slot;
        arena.RequireFloat(x);
        ReadOnlySpan<int> inShape = arena.ShapeOf(x);
        int axis = ShapeMath.NormalizeDim(dim, inShape.Length);
        if (inShape.Length != 0 && inShape[axis] == 0 && op == OpCode.MinDim)
            throw new ArgumentException($"amin(): Expected reduction dim {dim} to have non-zero size.", nameof(dim));
        Span<int> outShape = stackalloc int[TensorLayout.MaxRank];
        int rank = ReducedShape(inShape, axis, keepDim, outShape);
        return Reduced(arena, op, x, outShape[..rank], axis, int1, scalar0);
    }

    /// <summary>A reduction over every element (Int0 = -1), shape [] or, with <paramref name="keepDim"/>, all ones.</summary>
    private Tensor ReduceEverything(OpCode op, bool keepDim, int int1 = 0, float scalar0 = 0f)
    {
        Arena arena = Arena;
        int x = _slot;
        arena.RequireFloat(x);
        Span<int> outShape = stackalloc int[TensorLayout.MaxRank];
        int rank = ReducedShape(arena.ShapeOf(x), -1, keepDim, outShape);
        return Reduced(arena, op, x, outShape[..rank], -1, int1, scalar0);
    }

    private static Tensor Reduced(Arena arena, OpCode op, int x, ReadOnlySpan<int> outShape, int axis, int int1, float scalar0)
    {
        bool record = arena.ShouldRecord(x);
        int y = arena.NewSlot(outShape, record);
        var instruction = new Instruction(op, y, x) { Int0 = axis, Int1 = int1, Scalar0 = scalar0 };
        ForwardRules.Run(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }

    private (Tensor Values, Tensor Indices) ValuesWithIndices(OpCode op, string name, int dim, bool keepDim)
    {
        Arena arena = Arena;
        int x = _slot;
        arena.RequireFloat(x);
        ReadOnlySpan<int> inShape = arena.ShapeOf(x);
        int axis = ShapeMath.NormalizeDim(dim, inShape.Length);
        if (inShape.Length != 0 && inShape[axis] == 0)
            throw new ArgumentException($"{name}(): Expected reduction dim {axis} to have non-zero size.", nameof(dim));
        Span<int> outShape = stackalloc int[TensorLayout.MaxRank];
        int rank = ReducedShape(inShape, axis, keepDim, outShape);
        bool record = arena.ShouldRecord(x);
        using OpTransaction transaction = arena.BeginOp(); // the values and the indices, or neither
        int y = arena.NewSlot(outShape[..rank], record);
        int indices = arena.NewSlot(outShape[..rank], DType.Int32);
        var instruction = new Instruction(op, y, x) { Int0 = axis, Saved = indices };
        ForwardRules.Run(arena, in instruction);
        arena.Record(in instruction, record);
        transaction.Commit();
        return (arena.Handle(y), arena.Handle(indices));
    }

    private Tensor ArgExtreme(OpCode op, string name, int? dim, bool keepDim)
    {
        Arena arena = Arena;
        int x = _slot;
        arena.RequireFloat(x);
        ReadOnlySpan<int> inShape = arena.ShapeOf(x);
        int axis = -1;
        if (dim is int d)
        {
            axis = ShapeMath.NormalizeDim(d, inShape.Length);
            if (inShape.Length != 0 && inShape[axis] == 0)
                throw new ArgumentException($"{name}(): Expected reduction dim {axis} to have non-zero size.", nameof(dim));
        }
        else if (arena.LengthOf(x) == 0)
            throw new InvalidOperationException($"{name}(): Expected reduction dim to be specified for input.numel() == 0.");
        Span<int> outShape = stackalloc int[TensorLayout.MaxRank];
        int rank = ReducedShape(inShape, inShape.Length == 0 ? -1 : axis, keepDim && axis >= 0, outShape);
        int y = arena.NewSlot(outShape[..rank], DType.Int32);
        var instruction = new Instruction(op, y, x) { Int0 = axis };
        ForwardRules.Run(arena, in instruction);
        arena.Record(in instruction, onTape: false);
        return arena.Handle(y);
    }

    /// <summary>The shape after reducing <paramref name="axis"/> (-1: every dim; a scalar stays a scalar): the dim is
    /// dropped, or kept as 1 with <paramref name="keepDim"/>. Returns the rank written into <paramref name="outShape"/>.</summary>
    private static int ReducedShape(ReadOnlySpan<int> inShape, int axis, bool keepDim, Span<int> outShape)
    {
        int rank = 0;
        for (int d = 0; d < inShape.Length; d++)
        {
            if (axis >= 0 && d != axis) outShape[rank++] = inShape[d];
            else if (keepDim) outShape[rank++] = 1;
        }
        return rank;
    }
}
