using ArenaGrad.Memory;

namespace ArenaGrad.IO;

/// <summary>The operators an <see cref="OnnxModule"/> runs.</summary>
internal enum OnnxOp
{
    Gemm,
    Linear,
    MatMul,
    Add,
    Sub,
    Mul,
    Div,
    Relu,
    LeakyRelu,
    Tanh,
    Sigmoid,
    Exp,
    Log,
    Sqrt,
    Abs,
    Neg,
    Softmax,
    LogSoftmax,
    Reshape,
    Flatten,
    Transpose,
    Concat,
    Identity,
    ReduceMean,
    ReduceSum,
    ReduceMax,
    // views and shape ops (issue 16)
    Slice,
    Squeeze,
    Unsqueeze,
    Expand,
    Tile,
    SplitPiece,
    ReduceMin,
    ReduceProd,
    ReduceL1,
    ReduceL2,
    ReduceLogSumExp,
    ArgMax,
    ArgMin,
    CumSum,
    // math (issue 16)
    Sin,
    Cos,
    Erf,
    Sign,
    Floor,
    Round,
    Reciprocal,
    Softplus,
    Elu,
    Min,
    Max,
    Gather,
    // comparisons and logic (the index family): Bool results, and Where, which takes a Bool condition
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Not,
    And,
    Or,
    Xor,
    Where,
    // layers (issue 18): OnnxNode.Layers.cs
    Conv,
    MaxPool,
    AveragePool,
    GlobalAveragePool,
    Pad,
    BatchNormalization,
    LayerNormalization,
    Embedding,
    Lstm,
    Gru,
}

/// <summary>One validated graph node: its operator, the value slots it reads and writes, and its attributes,
/// all resolved at load so that running it is a switch and a few engine calls.</summary>
internal sealed partial class OnnxNode
{
    public required OnnxOp Op { get; init; }

    /// <summary>Value slots of the inputs; -1 for an optional input left out.</summary>
    public required int[] Inputs { get; init; }

    public required int Output { get; init; }

    /// <summary>Gemm's alpha, LeakyRelu's alpha, Elu's alpha.</summary>
    public float Alpha { get; init; } = 1f;

    /// <summary>Gemm's beta.</summary>
    public float Beta { get; init; } = 1f;

    public bool TransA { get; init; }

    public bool TransB { get; init; }

    /// <summary>Softmax, LogSoftmax, Flatten, Concat, ArgMax, ArgMin and CumSum's axis.</summary>
    public int Axis { get; init; }

    /// <summary>Reshape's target shape, Transpose's permutation (null: reverse), the reductions' axes.</summary>
    public int[]? Ints { get; init; }

    /// <summary>Reshape's allowzero, the reductions' (and ArgMax/ArgMin's) keepdims.</summary>
    public bool Flag { get; init; }

    /// <summary>The reductions' noop_with_empty_axes.</summary>
    public bool NoopWithEmptyAxes { get; init; }

    /// <summary>Slice's starts and ends (saturated to int: a dim is below 2^31, so clamping reads the same) and steps.</summary>
    public int[]? Starts { get; init; }

    /// <summary>Slice's ends.</summary>
    public int[]? Ends { get; init; }

    /// <summary>Slice's steps (null: all 1).</summary>
    public int[]? Steps { get; init; }

    /// <summary>Which output of a Split this node is, and how many outputs the Split has.</summary>
    public int Index { get; init; }

    /// <summary>Split's number of outputs.</summary>
    public int Count { get; init; }

    /// <summary>Split without sizes in opsets before 18: the dim must divide into <see cref="Count"/> equal parts.</summary>
    public bool EqualPartsOnly { get; init; }
    /// <summary>Gather's constant indices' shape (its <see cref="Ints"/> hold the indices, row-major).</summary>
    public int[]? IndicesShape { get; init; }

    /// <summary>Gather's indices with negative ones wrapped for the input at hand, kept here so the call allocates nothing.</summary>
    public int[]? IndexScratch { get; init; }

    /// <summary>Concat's inputs, gathered here so the call allocates nothing.</summary>
    public Tensor[]? Scratch { get; init; }

    public Tensor Run(Tensor[] values)
    {
        Tensor x = values[Inputs[0]];
        switch (Op)
        {
            case OnnxOp.Linear:
                return Inputs.Length > 2 && Inputs[2] >= 0
                    ? Functional.Linear(x, values[Inputs[1]], values[Inputs[2]])
                    : Functional.Linear(x, values[Inputs[1]]);
            case OnnxOp.Gemm:
            {
                Tensor a = TransA ? x.Transpose(0, 1) : x;
                Tensor b = values[Inputs[1]];
                if (TransB) b = b.Transpose(0, 1);
                Tensor y = a.MatMul(b);
                if (Alpha != 1f) y *= Alpha;
                if (Inputs.Length > 2 && Inputs[2] >= 0)
                    y = Beta == 1f ? y + values[Inputs[2]] : y + values[Inputs[2]] * Beta;
                return y;
            }
            case OnnxOp.MatMul: return x.MatMul(values[Inputs[1]]);
            case OnnxOp.Add: return x + values[Inputs[1]];
            case OnnxOp.Sub: return x - values[Inputs[1]];
            case OnnxOp.Mul: return x * values[Inputs[1]];
            case OnnxOp.Div: return x / values[Inputs[1]];
            case OnnxOp.Relu: return x.Relu();
            case OnnxOp.LeakyRelu: return x.LeakyRelu(Alpha);
            case OnnxOp.Tanh: return x.Tanh();
            case OnnxOp.Sigmoid: return x.Sigmoid();
            case OnnxOp.Exp: return x.Exp();
            case OnnxOp.Log: return x.Log();
            case OnnxOp.Sqrt: return x.Sqrt();
            case OnnxOp.Abs: return x.Abs();
            case OnnxOp.Neg: return -x;
            case OnnxOp.Softmax: return x.Softmax(Axis);
            case OnnxOp.LogSoftmax: return x.LogSoftmax(Axis);
            case OnnxOp.Reshape: return Reshape(x);
            case OnnxOp.Flatten: return Flatten(x);
            case OnnxOp.Transpose: return Transpose(x);
            case OnnxOp.Concat:
            {
                Tensor[] parts = Scratch!;
                for (int i = 0; i < parts.Length; i++) parts[i] = values[Inputs[i]];
                Tensor result = Functional.Cat(parts, Axis);
                Array.Clear(parts);
                return result;
            }
            case OnnxOp.Identity: return x;
            case OnnxOp.ReduceMean:
            case OnnxOp.ReduceSum:
            case OnnxOp.ReduceMax:
            case OnnxOp.ReduceMin:
            case OnnxOp.ReduceProd:
            case OnnxOp.ReduceL1:
            case OnnxOp.ReduceL2:
            case OnnxOp.ReduceLogSumExp:
                return Reduce(x);
            case OnnxOp.Slice: return Slice(x);
            case OnnxOp.Squeeze: return Squeeze(x);
            case OnnxOp.Unsqueeze: return Unsqueeze(x);
            case OnnxOp.Expand: return Expand(x);
            case OnnxOp.Tile: return Tile(x);
            case OnnxOp.SplitPiece: return SplitPiece(x);
            case OnnxOp.ArgMax: return x.ArgMax(Axis, Flag); // Int32 indices (ONNX's are int64)
            case OnnxOp.ArgMin: return x.ArgMin(Axis, Flag);
            case OnnxOp.CumSum: return x.CumSum(Axis);
            // math (issue 16)
            case OnnxOp.Sin: return x.Sin();
            case OnnxOp.Cos: return x.Cos();
            case OnnxOp.Erf: return x.Erf();
            case OnnxOp.Sign: return x.Sign();
            case OnnxOp.Floor: return x.Floor();
            case OnnxOp.Round: return x.Round();
            case OnnxOp.Reciprocal: return x.Reciprocal();
            case OnnxOp.Softplus: return x.Softplus(); // ln(1 + eˣ): beta 1; from x = 20 on that is x in float
            case OnnxOp.Elu: return x.Elu(Alpha);
            case OnnxOp.Min: return Functional.Minimum(x, values[Inputs[1]]);
            case OnnxOp.Max: return Functional.Maximum(x, values[Inputs[1]]);
            case OnnxOp.Gather: return Gather(x);
            // comparisons of float32 tensors (false where either side is NaN) and logic on Bool tensors
            case OnnxOp.Equal: return x.Eq(values[Inputs[1]]);
            case OnnxOp.Less: return x.Lt(values[Inputs[1]]);
            case OnnxOp.LessOrEqual: return x.Le(values[Inputs[1]]);
            case OnnxOp.Greater: return x.Gt(values[Inputs[1]]);
            case OnnxOp.GreaterOrEqual: return x.Ge(values[Inputs[1]]);
            case OnnxOp.Not: return x.LogicalNot();
            case OnnxOp.And: return x.LogicalAnd(values[Inputs[1]]);
            case OnnxOp.Or: return x.LogicalOr(values[Inputs[1]]);
            case OnnxOp.Xor: return x.LogicalXor(values[Inputs[1]]);
            case OnnxOp.Where: return Functional.Where(x, values[Inputs[1]], values[Inputs[2]]); // x is the condition
            case OnnxOp.Conv: return Conv(x, values);
            case OnnxOp.MaxPool: return Functional.MaxPool2d(x, (Kernel![0], Kernel[1]), (Strides![0], Strides[1]), (Pads![0], Pads[1]));
            case OnnxOp.AveragePool: return Functional.AvgPool2d(x, (Kernel![0], Kernel[1]), (Strides![0], Strides[1]), (Pads![0], Pads[1]));
            case OnnxOp.GlobalAveragePool: return GlobalAveragePool(x);
            case OnnxOp.Pad: return Pad(x);
            case OnnxOp.BatchNormalization:
                return Functional.BatchNorm(x, values[Inputs[3]], values[Inputs[4]], values[Inputs[1]], values[Inputs[2]], training: false, eps: Epsilon);
            case OnnxOp.LayerNormalization: return LayerNormalization(x, values);
            case OnnxOp.Embedding: return Embedding(x, values[Inputs[1]]);
            case OnnxOp.Lstm:
            case OnnxOp.Gru:
                return Recurrent(x, values);
            default:
                throw new InvalidOperationException($"OnnxNode has no case for {Op}."); // every OnnxOp has a case
        }
    }

    /// <summary>ONNX Gather with constant indices: torch.index_select along the axis (indices in [-s, s) wrapped as ONNX
    /// allows), then the indices' shape in place of the axis (a scalar index drops it).</summary>
    private Tensor Gather(Tensor x)
    {
        ReadOnlySpan<int> shape = x.Shape;
        int axis = Axis < 0 ? Axis + shape.Length : Axis;
        if (axis < 0 || axis >= shape.Length)
            throw new ArgumentException(FormattableString.Invariant(
                $"ONNX Gather: axis {Axis} is out of range for an input of {shape.Length} dimensions."));
        int size = shape[axis];
        int[] indices = Ints!, wrapped = IndexScratch!;
        for (int i = 0; i < indices.Length; i++) wrapped[i] = indices[i] < 0 && indices[i] >= -size ? indices[i] + size : indices[i];
        Tensor y = x.IndexSelect(axis, x.Arena.FromData(wrapped, [wrapped.Length]));
        int[] indicesShape = IndicesShape!;
        if (indicesShape.Length == 1) return y;
        Span<int> outShape = stackalloc int[shape.Length - 1 + indicesShape.Length];
        int rank = 0;
        for (int d = 0; d < axis; d++) outShape[rank++] = shape[d];
        foreach (int d in indicesShape) outShape[rank++] = d;
        for (int d = axis + 1; d < shape.Length; d++) outShape[rank++] = shape[d];
        return y.Reshape(outShape);
    }

    private Tensor Reshape(Tensor x)
    {
        int[] target = Ints!;
        ReadOnlySpan<int> shape = x.Shape;
        Span<int> resolved = stackalloc int[target.Length];
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == 0 && !Flag)
            {
                if (i >= shape.Length)
                    throw new ArgumentException(FormattableString.Invariant(
                        $"ONNX Reshape: shape entry {i} is 0 (copy the input's dimension), but the input has only {shape.Length} dimensions."));
                resolved[i] = shape[i];
            }
            else resolved[i] = target[i];
        }
        return x.Reshape(resolved);
    }

    private Tensor Flatten(Tensor x)
    {
        ReadOnlySpan<int> shape = x.Shape;
        int axis = Axis < 0 ? Axis + shape.Length : Axis;
        if (axis < 0 || axis > shape.Length)
            throw new ArgumentException(FormattableString.Invariant(
                $"ONNX Flatten: axis {Axis} is out of range for an input of {shape.Length} dimensions."));
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        for (int d = axis; d < shape.Length; d++) inner *= shape[d];
        return x.Reshape(outer, inner);
    }

    private Tensor Transpose(Tensor x)
    {
        int rank = x.Rank;
        int[]? perm = Ints;
        if (perm is not null && perm.Length != rank)
            throw new ArgumentException(FormattableString.Invariant(
                $"ONNX Transpose: perm has {perm.Length} entries, but the input has {rank} dimensions."));
        // Build the permutation from swaps: after step i, dimension i of the result is input dimension perm[i].
        Span<int> current = stackalloc int[rank];
        for (int d = 0; d < rank; d++) current[d] = d;
        for (int i = 0; i < rank; i++)
        {
            int wanted = perm is null ? rank - 1 - i : perm[i];
            int j = current.IndexOf(wanted);
            if (j == i) continue;
            x = x.Transpose(i, j);
            (current[i], current[j]) = (current[j], current[i]);
        }
        return x;
    }

    private Tensor Reduce(Tensor x)
    {
        int[] axes = Ints ?? [];
        int rank = x.Rank;
        if (axes.Length == 0)
        {
            if (NoopWithEmptyAxes) return x;
            Tensor all = Op switch
            {
                OnnxOp.ReduceMean => x.Mean(),
                OnnxOp.ReduceSum => x.Sum(),
                OnnxOp.ReduceMin => x.Min(),
                OnnxOp.ReduceProd => x.Prod(),
                OnnxOp.ReduceL1 => x.Norm(1f),
                OnnxOp.ReduceL2 => x.Norm(2f),
                OnnxOp.ReduceLogSumExp => x.Reshape(-1).LogSumExp(0),
                _ => x.Max(),
            };
            if (!Flag || rank == 0) return all;
            Span<int> ones = stackalloc int[rank];
            ones.Fill(1);
            return all.Reshape(ones);
        }
        // Reduce the highest axis first, so the lower axes keep their numbers when keepdims is 0.
        Span<int> sorted = stackalloc int[axes.Length];
        for (int i = 0; i < axes.Length; i++)
        {
            int axis = axes[i] < 0 ? axes[i] + rank : axes[i];
            if (axis < 0 || axis >= rank)
                throw new ArgumentException(FormattableString.Invariant(
                    $"ONNX {Op}: axis {axes[i]} is out of range for an input of {rank} dimensions."));
            sorted[i] = axis;
        }
        sorted.Sort();
        for (int i = sorted.Length - 1; i >= 0; i--)
        {
            if (i > 0 && sorted[i] == sorted[i - 1])
                throw new ArgumentException(FormattableString.Invariant($"ONNX {Op}: axis {sorted[i]} is given twice."));
            // Axis by axis: each of these composes (the L2 norm of L2 norms is the L2 norm, log Σ exp of log Σ exp is log Σ exp).
            x = Op switch
            {
                OnnxOp.ReduceMean => x.Mean(sorted[i], Flag),
                OnnxOp.ReduceSum => x.Sum(sorted[i], Flag),
                OnnxOp.ReduceMin => x.Min(sorted[i], Flag),
                OnnxOp.ReduceProd => x.Prod(sorted[i], Flag),
                OnnxOp.ReduceL1 => x.Norm(1f, sorted[i], Flag),
                OnnxOp.ReduceL2 => x.Norm(2f, sorted[i], Flag),
                OnnxOp.ReduceLogSumExp => x.LogSumExp(sorted[i], Flag),
                _ => x.Max(sorted[i], Flag),
            };
        }
        return x;
    }

    /// <summary>An axis of an input of <paramref name="rank"/> dims, negative counting from the end (ONNX's range check).</summary>
    private int NormalizeAxis(int axis, int rank, string what)
    {
        int normalized = axis < 0 ? axis + rank : axis;
        if (normalized < 0 || normalized >= rank)
            throw new ArgumentException(FormattableString.Invariant(
                $"ONNX {Op}: {what} {axis} is out of range for an input of {(Op == OnnxOp.Unsqueeze ? rank - Ints!.Length : rank)} dimensions."));
        return normalized;
    }

    /// <summary>Axes normalized into <paramref name="sorted"/>, ascending; refuses an axis given twice.</summary>
    private void SortedAxes(int[] axes, int rank, Span<int> sorted)
    {
        for (int i = 0; i < axes.Length; i++) sorted[i] = NormalizeAxis(axes[i], rank, "axis");
        sorted.Sort();
        for (int i = 1; i < sorted.Length; i++)
            if (sorted[i] == sorted[i - 1])
                throw new ArgumentException(FormattableString.Invariant($"ONNX {Op}: axis {sorted[i]} is given twice."));
    }

    /// <summary>ONNX Slice with positive steps: Python's start:end:step per axis (both clamped to the dim).</summary>
    private Tensor Slice(Tensor x)
    {
        int[] starts = Starts!, ends = Ends!;
        int rank = x.Rank;
        Span<int> seen = stackalloc int[Math.Max(rank, 1)];
        seen.Clear();
        for (int i = 0; i < starts.Length; i++)
        {
            int axis = NormalizeAxis(Ints is null ? i : Ints[i], rank, "axis");
            if (seen[axis]++ > 0) throw new ArgumentException(FormattableString.Invariant($"ONNX Slice: axis {axis} is given twice."));
            x = x.Slice(axis, starts[i], ends[i], Steps is null ? 1 : Steps[i]);
        }
        return x;
    }

    /// <summary>ONNX Squeeze: the listed size-1 axes removed (every size-1 dim when none are listed).</summary>
    private Tensor Squeeze(Tensor x)
    {
        if (Ints is null) return x.Squeeze();
        Span<int> sorted = stackalloc int[Ints.Length];
        SortedAxes(Ints, x.Rank, sorted);
        for (int i = sorted.Length - 1; i >= 0; i--) // highest first, so the lower axes keep their numbers
        {
            if (x.Shape[sorted[i]] != 1)
                throw new ArgumentException(FormattableString.Invariant(
                    $"ONNX Squeeze: axis {sorted[i]} has size {x.Shape[sorted[i]]}; only dims of size 1 can be squeezed."));
            x = x.Squeeze(sorted[i]);
        }
        return x;
    }

    /// <summary>ONNX Unsqueeze: size-1 dims at the listed axes of the result.</summary>
    private Tensor Unsqueeze(Tensor x)
    {
        Span<int> sorted = stackalloc int[Ints!.Length];
        SortedAxes(Ints, x.Rank + Ints.Length, sorted);
        foreach (int axis in sorted) x = x.Unsqueeze(axis); // lowest first: each lands where the result has it
        return x;
    }

    /// <summary>ONNX Expand: NumPy broadcasting of the input and the shape (either may be the larger in a dim).</summary>
    private Tensor Expand(Tensor x)
    {
        int[] shape = Ints!;
        ReadOnlySpan<int> inShape = x.Shape;
        int rank = Math.Max(inShape.Length, shape.Length);
        if (rank > TensorLayout.MaxRank)
            throw new ArgumentException(FormattableString.Invariant($"ONNX Expand to {rank} dimensions: at most {TensorLayout.MaxRank} are supported."));
        Span<int> target = stackalloc int[rank];
        for (int i = 0; i < rank; i++)
        {
            int a = i < rank - inShape.Length ? 1 : inShape[i - (rank - inShape.Length)];
            int b = i < rank - shape.Length ? 1 : shape[i - (rank - shape.Length)];
            if (a != b && a != 1 && b != 1)
                throw new ArgumentException(FormattableString.Invariant(
                    $"ONNX Expand: the input's shape {ShapeMath.Format(inShape)} does not broadcast with [{string.Join(", ", shape)}] (dim {i}: {a} and {b})."));
            target[i] = a == 1 ? b : a;
        }
        return x.Expand(target);
    }

    /// <summary>ONNX Tile: torch's repeat with one count per dim.</summary>
    private Tensor Tile(Tensor x)
    {
        if (Ints!.Length != x.Rank)
            throw new ArgumentException(FormattableString.Invariant(
                $"ONNX Tile: repeats has {Ints.Length} entries, but the input has {x.Rank} dimensions; it takes one per dimension."));
        return x.Repeat(Ints);
    }

    /// <summary>Output <see cref="Index"/> of an ONNX Split: by the sizes in <see cref="Ints"/>, or in <see cref="Count"/>
    /// parts of ⌈size / Count⌉ (the last smaller; before opset 18 the parts must be equal).</summary>
    private Tensor SplitPiece(Tensor x)
    {
        int axis = NormalizeAxis(Axis, x.Rank, "axis");
        int size = x.Shape[axis];
        int start, length;
        if (Ints is int[] sizes)
        {
            long sum = 0;
            foreach (int s in sizes) sum += s;
            if (sum != size)
                throw new ArgumentException(FormattableString.Invariant(
                    $"ONNX Split: the split sizes [{string.Join(", ", sizes)}] sum to {sum}, but dim {axis} of the input has size {size}."));
            start = 0;
            for (int i = 0; i < Index; i++) start += sizes[i];
            length = sizes[Index];
        }
        else
        {
            if (EqualPartsOnly && size % Count != 0)
                throw new ArgumentException(FormattableString.Invariant(
                    $"ONNX Split: dim {axis} of size {size} does not split into {Count} equal parts (give split sizes, or num_outputs from opset 18)."));
            int part = (int)(((long)size + Count - 1) / Count);
            start = (int)Math.Min((long)Index * part, size);
            length = Math.Min(part, size - start);
        }
        return x.Narrow(axis, start, length);
    }
}
