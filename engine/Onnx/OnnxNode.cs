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
}

/// <summary>One validated graph node: its operator, the value slots it reads and writes, and its attributes,
/// all resolved at load so that running it is a switch and a few engine calls.</summary>
internal sealed class OnnxNode
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

    /// <summary>Softmax, LogSoftmax, Flatten and Concat's axis.</summary>
    public int Axis { get; init; }

    /// <summary>Reshape's target shape, Transpose's permutation (null: reverse), the reductions' axes.</summary>
    public int[]? Ints { get; init; }

    /// <summary>Reshape's allowzero, the reductions' keepdims.</summary>
    public bool Flag { get; init; }

    /// <summary>The reductions' noop_with_empty_axes.</summary>
    public bool NoopWithEmptyAxes { get; init; }

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
                return Reduce(x);
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
            default:
                throw new InvalidOperationException($"OnnxNode has no case for {Op}."); // every OnnxOp has a case
        }
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
            Tensor all = Op switch { OnnxOp.ReduceMean => x.Mean(), OnnxOp.ReduceSum => x.Sum(), _ => x.Max() };
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
            x = Op switch
            {
                OnnxOp.ReduceMean => x.Mean(sorted[i], Flag),
                OnnxOp.ReduceSum => x.Sum(sorted[i], Flag),
                _ => x.Max(sorted[i], Flag),
            };
        }
        return x;
    }
}
