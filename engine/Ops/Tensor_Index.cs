using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

// Indexing, masks, comparisons and logical ops (issue 16). Index tensors are Int32 (arena.FromData(ReadOnlySpan<int>,
// shape)); masks and comparison results are Bool. Each op names its opcode; the row in Tape/OpTable.cs names its forward
// (Tape/ForwardRules_Index.cs, kernels in Kernels/Indexing) and backward (Tape/BackwardRules_Index.cs). Results that are
// Int32 or Bool never require grad and are traced for captured replays but never put on the tape.
public readonly partial struct Tensor
{
    /// <summary><c>torch.index_select</c>: y = x with dim <paramref name="dim"/> replaced by the slices x[..., index[i], ...]
    /// (index 1-D or 0-D, Int32; any dtype of x, kept). Backward: dx = index_add(0, dim, index, g), duplicates accumulate.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> out of range, or an index outside [0, size)
    /// (PyTorch's <c>index out of range in self</c>; negative indices are refused, as PyTorch does).</exception>
    /// <exception cref="ArgumentException">The index is not Int32 or has more than one dim.</exception>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        Arena arena = Arena;
        int x = _slot, i = arena.OwnSlot(index);
        ReadOnlySpan<int> shape = arena.ShapeOf(x);
        int axis = ShapeMath.NormalizeDim(dim, shape.Length);
        if (arena.DTypeOf(i) != DType.Int32) throw new ArgumentException("index_select(): Expected dtype int32 for index", nameof(index));
        if (arena.RankOf(i) > 1) throw new ArgumentException("index_select(): Index is supposed to be a vector", nameof(index));
        ReadOnlySpan<int> indices = arena.IntValues(i);
        if (shape.Length == 0 && indices.Length != 1)
            throw new ArgumentException($"index_select(): Index to scalar can have only 1 value, got {indices.Length} value(s)", nameof(index));
        int size = shape.Length == 0 ? 1 : shape[axis];
        foreach (int v in indices) Kernels.IndexKernels.CheckIndexSelect(v, size);
        Span<int> outShape = stackalloc int[shape.Length];
        shape.CopyTo(outShape);
        if (shape.Length > 0) outShape[axis] = indices.Length;
        bool record = arena.ShouldRecord(x);
        int y = record ? arena.NewSlot(outShape, requiresGrad: true) : arena.NewSlot(outShape, arena.DTypeOf(x));
        var instruction = new Instruction(OpCode.IndexSelect, y, x, i) { Int0 = axis };
        ForwardRules.IndexSelect(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }

    /// <summary><c>torch.gather</c>: y[p] = x[p with p[dim] = index[p]] for every position p of the index (Int32, x's
    /// rank, index.size(d) ≤ x.size(d) for d ≠ dim); y has the index's shape and x's dtype. Backward: dx =
    /// scatter_add(0, dim, index, g).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> out of range, or an index outside [0, size)
    /// (PyTorch's <c>index 5 is out of bounds for dimension 1 with size 4</c>).</exception>
    /// <exception cref="ArgumentException">The index is not Int32, or its rank or sizes do not fit (PyTorch's messages).</exception>
    public Tensor Gather(int dim, Tensor index)
    {
        Arena arena = Arena;
        int x = _slot, i = arena.OwnSlot(index);
        ReadOnlySpan<int> shape = arena.ShapeOf(x), indexShape = arena.ShapeOf(i);
        int axis = ShapeMath.NormalizeDim(dim, shape.Length);
        if (arena.DTypeOf(i) != DType.Int32) throw new ArgumentException("gather(): Expected dtype int32 for index", nameof(index));
        bool empty = arena.LengthOf(i) == 0; // PyTorch checks no shapes for an empty index: the result is index-shaped
        if (!empty && indexShape.Length != shape.Length)
            throw new ArgumentException("Index tensor must have the same number of dimensions as input tensor", nameof(index));
        for (int d = 0; d < shape.Length && !empty; d++)
            if (d != axis && indexShape[d] > shape[d])
                throw new ArgumentException($"Size does not match at dimension {d} expected index {ShapeMath.Format(indexShape)} to be smaller " +
                    $"than self {ShapeMath.Format(shape)} apart from dimension {axis}", nameof(index));
        int size = shape.Length == 0 ? 1 : shape[axis];
        foreach (int v in arena.IntValues(i)) Kernels.IndexKernels.CheckScatterGather(v, axis, size);
        bool record = arena.ShouldRecord(x);
        int y = record ? arena.NewSlot(indexShape, requiresGrad: true) : arena.NewSlot(indexShape, arena.DTypeOf(x));
        var instruction = new Instruction(OpCode.Gather, y, x, i) { Int0 = axis };
        ForwardRules.Gather(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }

    /// <summary><c>torch.scatter_add</c> (out of place): y = x, then y[p with p[dim] = index[p]] += source[p] for every
    /// position p of the index, in row-major order (index Int32, all three of one rank, index.size(d) ≤ source.size(d) and
    /// ≤ x.size(d) for d ≠ dim; x and source Float32). Backward: dx = g; dsource = gather(g, dim, index) on the index's
    /// positions and 0 elsewhere; the index gets none.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> out of range, or an index outside [0, size).</exception>
    /// <exception cref="ArgumentException">A dtype, rank or size that does not fit (PyTorch's messages).</exception>
    public Tensor ScatterAdd(int dim, Tensor index, Tensor source)
    {
        Arena arena = Arena;
        int x = _slot, i = arena.OwnSlot(index), s = arena.OwnSlot(source);
        arena.RequireFloat(x);
        ReadOnlySpan<int> shape = arena.ShapeOf(x), indexShape = arena.ShapeOf(i), sourceShape = arena.ShapeOf(s);
        int axis = ShapeMath.NormalizeDim(dim, shape.Length);
        if (arena.DTypeOf(i) != DType.Int32) throw new ArgumentException("scatter(): Expected dtype int32 for index", nameof(index));
        if (arena.DTypeOf(s) != DType.Float32) throw new ArgumentException("scatter(): Expected self.dtype to be equal to src.dtype", nameof(source));
        bool empty = arena.LengthOf(i) == 0; // PyTorch checks no shapes for an empty index: the result is self
        if (!empty && indexShape.Length != shape.Length)
            throw new ArgumentException("Index tensor must have the same number of dimensions as self tensor", nameof(index));
        if (!empty && sourceShape.Length != shape.Length)
            throw new ArgumentException("Index tensor must have the same number of dimensions as src tensor", nameof(source));
        for (int d = 0; d < shape.Length && !empty; d++)
            if ((d != axis && indexShape[d] > shape[d]) || indexShape[d] > sourceShape[d])
                throw new ArgumentException($"Expected index {ShapeMath.Format(indexShape)} to be smaller than self {ShapeMath.Format(shape)} " +
                    $"apart from dimension {axis} and to be smaller size than src {ShapeMath.Format(sourceShape)}", nameof(index));
        int size = shape.Length == 0 ? 1 : shape[axis];
        foreach (int v in arena.IntValues(i)) Kernels.IndexKernels.CheckScatterGather(v, axis, size);
        bool record = arena.ShouldRecord(x, s);
        int y = arena.NewSlotLike(x, record);
        var instruction = new Instruction(OpCode.ScatterAdd, y, x, i, s) { Int0 = axis };
        ForwardRules.ScatterAdd(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }

    /// <summary><c>torch.masked_fill</c> (out of place): y = mask ? value : x, x and the Bool mask broadcast together
    /// (NaN and ±∞ values allowed). Backward: dx = g with the masked positions zeroed, reduced to x's shape.</summary>
    /// <exception cref="ArgumentException">x is not Float32, the mask is not Bool, or the shapes do not broadcast.</exception>
    public Tensor MaskedFill(Tensor mask, float value)
    {
        Arena arena = Arena;
        int x = _slot, m = arena.OwnSlot(mask);
        arena.RequireFloat(x);
        if (arena.DTypeOf(m) != DType.Bool)
            throw new ArgumentException($"masked_fill only supports boolean masks, but got mask with dtype {TorchTypeName(arena.DTypeOf(m))}",
                nameof(mask));
        Span<int> shape = stackalloc int[TensorLayout.MaxRank];
        int rank = ShapeMath.BroadcastShape(arena.ShapeOf(m), arena.ShapeOf(x), shape); // PyTorch names the mask a
        bool record = arena.ShouldRecord(x);
        int y = arena.NewSlot(shape[..rank], record);
        var instruction = new Instruction(OpCode.MaskedFill, y, x, m) { Scalar0 = value };
        ForwardRules.MaskedFill(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }

    /// <summary><c>torch.eq</c>: a == b with broadcasting, Bool (operands of one dtype: Float32, Int32 or Bool).</summary>
    public Tensor Eq(Tensor other) => Compare(OpCode.Equal, this, other);

    /// <summary><c>torch.ne</c>: a != b with broadcasting, Bool (true where either is NaN).</summary>
    public Tensor Ne(Tensor other) => Compare(OpCode.NotEqual, this, other);

    /// <summary><c>torch.lt</c>: a &lt; b with broadcasting, Bool (false where either is NaN).</summary>
    public Tensor Lt(Tensor other) => Compare(OpCode.Less, this, other);

    /// <summary><c>torch.le</c>: a ≤ b with broadcasting, Bool.</summary>
    public Tensor Le(Tensor other) => Compare(OpCode.LessEqual, this, other);

    /// <summary><c>torch.gt</c>: a &gt; b with broadcasting, Bool.</summary>
    public Tensor Gt(Tensor other) => Compare(OpCode.Greater, this, other);

    /// <summary><c>torch.ge</c>: a ≥ b with broadcasting, Bool.</summary>
    public Tensor Ge(Tensor other) => Compare(OpCode.GreaterEqual, this, other);

    /// <summary>x == s, Bool. An Int32 or Bool x is compared as float32, as PyTorch promotes it for a float scalar.</summary>
    public Tensor Eq(float other) => CompareScalar(OpCode.EqualScalar, other);

    /// <summary>x != s, Bool (true for NaN).</summary>
    public Tensor Ne(float other) => CompareScalar(OpCode.NotEqualScalar, other);

    /// <summary>x &lt; s, Bool.</summary>
    public Tensor Lt(float other) => CompareScalar(OpCode.LessScalar, other);

    /// <summary>x ≤ s, Bool.</summary>
    public Tensor Le(float other) => CompareScalar(OpCode.LessEqualScalar, other);

    /// <summary>x &gt; s, Bool.</summary>
    public Tensor Gt(float other) => CompareScalar(OpCode.GreaterScalar, other);

    /// <summary>x ≥ s, Bool.</summary>
    public Tensor Ge(float other) => CompareScalar(OpCode.GreaterEqualScalar, other);

    /// <summary><c>torch.logical_not</c>: !(x != 0), Bool, for x of any dtype.</summary>
    public Tensor LogicalNot()
    {
        Arena arena = Arena;
        int x = _slot;
        int y = arena.NewSlot(arena.ShapeOf(x), DType.Bool);
        var instruction = new Instruction(OpCode.LogicalNot, y, x);
        ForwardRules.LogicalNot(arena, in instruction);
        arena.Record(in instruction, onTape: false);
        return arena.Handle(y);
    }

    /// <summary><c>torch.logical_and</c>: (a != 0) ∧ (b != 0) with broadcasting, Bool, for operands of any dtype.</summary>
    public Tensor LogicalAnd(Tensor other) => Compare(OpCode.LogicalAnd, this, other);

    /// <summary><c>torch.logical_or</c>: (a != 0) ∨ (b != 0) with broadcasting, Bool.</summary>
    public Tensor LogicalOr(Tensor other) => Compare(OpCode.LogicalOr, this, other);

    /// <summary><c>torch.logical_xor</c>: (a != 0) ⊕ (b != 0) with broadcasting, Bool.</summary>
    public Tensor LogicalXor(Tensor other) => Compare(OpCode.LogicalXor, this, other);

    /// <summary>PyTorch's short dtype name in messages such as where's: Float, Int, Bool.</summary>
    internal static string TorchTypeName(DType dtype) => dtype switch { DType.Float32 => "Float", DType.Int32 => "Int", _ => "Bool" };

    /// <summary>A broadcasting op with a Bool result and no derivative: comparisons (operands of one dtype) and logical ops
    /// (any dtypes).</summary>
    private static Tensor Compare(OpCode op, Tensor a, Tensor b)
    {
        Arena arena = a.Arena;
        int sa = a._slot, sb = arena.OwnSlot(b);
        if (op is not (OpCode.LogicalAnd or OpCode.LogicalOr or OpCode.LogicalXor)) arena.RequireDType(sb, arena.DTypeOf(sa));
        Span<int> shape = stackalloc int[TensorLayout.MaxRank];
        int rank = ShapeMath.BroadcastShape(arena.ShapeOf(sa), arena.ShapeOf(sb), shape);
        int y = arena.NewSlot(shape[..rank], DType.Bool);
        var instruction = new Instruction(op, y, sa, sb);
        ForwardRules.Run(arena, in instruction);
        arena.Record(in instruction, onTape: false);
        return arena.Handle(y);
    }

    private Tensor CompareScalar(OpCode op, float other)
    {
        Arena arena = Arena;
        int x = _slot;
        int y = arena.NewSlot(arena.ShapeOf(x), DType.Bool);
        var instruction = new Instruction(op, y, x) { Scalar0 = other };
        ForwardRules.Run(arena, in instruction);
        arena.Record(in instruction, onTape: false);
        return arena.Handle(y);
    }
}
