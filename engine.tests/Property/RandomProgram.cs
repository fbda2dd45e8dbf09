using System.Globalization;
using System.Text;

namespace ArenaGrad.Tests.PropertyBased;

/// <summary>A straight-line program over tensors: inputs (shape, values, requires_grad), then steps that each apply one
/// op to earlier values. Built from a list of choices by <see cref="RandomProgramBuilder"/>; prints as readable C#.</summary>
internal sealed class RandomProgram
{
    /// <summary>One input tensor.</summary>
    public sealed record Input(int[] Shape, float[] Values, bool RequiresGrad);

    /// <summary>One value: an input (<see cref="InputIndex"/> ≥ 0) or a step applying <see cref="Apply"/> to earlier values.</summary>
    public sealed record Entry(string Name, int InputIndex, string Op, Func<Tensor[], Tensor>? Apply, string Text, int[] Operands);

    public List<Input> Inputs { get; } = [];
    public List<Entry> Entries { get; } = [];

    /// <summary>What the engine threw at the last step while the program was built, if anything (running it rethrows).</summary>
    public Exception? BuildError { get; set; }

    /// <summary>The ops the program applies, by the name the builder gave them (coverage of every op is tested).</summary>
    public IEnumerable<string> Ops => Entries.Where(e => e.Apply is not null).Select(e => e.Op);

    /// <summary>Runs the program on <paramref name="inputs"/> (one per <see cref="Inputs"/>); returns the last value.</summary>
    public Tensor Run(ReadOnlySpan<Tensor> inputs)
    {
        var values = new Tensor[Entries.Count];
        for (int i = 0; i < Entries.Count; i++)
            values[i] = Entries[i].Apply is { } apply ? apply(values) : inputs[Entries[i].InputIndex];
        return values[^1];
    }

    /// <summary>Makes the inputs in <paramref name="arena"/>.</summary>
    public Tensor[] MakeInputs(Arena arena) =>
        Inputs.Select(input => arena.FromData(input.Values, input.Shape, input.RequiresGrad)).ToArray();

    public override string ToString()
    {
        var text = new StringBuilder("Program (").Append(Ops.Count()).Append(" ops):\n");
        foreach (Entry entry in Entries)
        {
            if (entry.Apply is null)
            {
                Input input = Inputs[entry.InputIndex];
                text.Append("  Tensor ").Append(entry.Name).Append(" = arena.FromData([")
                    .Append(string.Join(", ", input.Values.Select(v => v.ToString("R", CultureInfo.InvariantCulture) + "f")))
                    .Append("], [").Append(string.Join(", ", input.Shape)).Append(']')
                    .Append(input.RequiresGrad ? ", requiresGrad: true);\n" : ");   // frozen\n");
            }
            else text.Append("  Tensor ").Append(entry.Name).Append(" = ").Append(entry.Text).Append(";\n");
        }
        return text.Append("  // output: ").Append(Entries[^1].Name).ToString();
    }
}

/// <summary>Turns a list of choices into a valid, smooth <see cref="RandomProgram"/>. Every choice is taken modulo the
/// number of options, and a missing choice counts as 0, so shorter lists and smaller numbers (what CsCheck shrinks
/// towards) give shorter, simpler programs. Ops are tried against the actual values (computed in a scratch arena) and
/// skipped where they are not smooth: log/sqrt/fractional pow of values below 0.2, relu/abs/leaky-relu within 0.05 of
/// 0, clamp bounds within 0.05 of a value, max with the top two within 0.05, division by values below 0.3 in
/// magnitude, and any result that is not finite or exceeds 30 in magnitude.</summary>
internal sealed class RandomProgramBuilder : IDisposable
{
    /// <summary>Every op the builder can emit. The coverage test checks each one appears.</summary>
    public static readonly string[] AllOps =
    [
        "Add", "Subtract", "Multiply", "Divide",
        "AddScalar", "SubtractScalar", "ReverseSubtractScalar", "MultiplyScalar", "DivideScalar", "ReverseDivideScalar",
        "Negate", "Exp", "Log", "Tanh", "Sigmoid", "Relu", "Sqrt", "Abs", "Square", "Pow", "LeakyRelu", "Clamp",
        "MatMul", "Linear", "Reshape", "Transpose", "Concat",
        "SumAll", "SumDim", "MeanAll", "MeanDim", "MaxAll", "MaxDim", "Softmax", "LogSoftmax",
        "MseLoss", "CrossEntropy", "Detach",
        "L1LossMean", "L1LossSum", "L1LossNone", "SmoothL1Loss", "HuberLoss", "BinaryCrossEntropyWithLogits", "NllLoss", "CrossEntropySmoothed",
        // dtypes (issue 16)
        "Cast",
        // views and shape ops (issue 16)
        "Slice", "Select", "Permute", "Unsqueeze", "SqueezeAll", "SqueezeDim", "Expand", "Repeat", "Stack", "Split", "SplitWithSizes",
        // reductions (issue 16)
        "MinAll", "MinDim", "MaxDimWithIndices", "MinDimWithIndices", "ArgMax", "ArgMin", "Var", "Std", "Norm", "LogSumExp", "CumSum",
        "ProdAll", "ProdDim",
        // math (issue 16)
        "Sin", "Cos", "Log1p", "Expm1", "Erf", "Rsqrt", "Reciprocal", "Sign", "Floor", "Round", "Softplus", "Elu", "Gelu", "GeluTanh",
        "Silu", "Mish", "Hardtanh", "Minimum", "Maximum",
        // index (issue 16)
        "IndexSelect", "Gather", "ScatterAdd", "MaskedFill", "Where", "WhereScalar",
        "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual",
        "EqualScalar", "NotEqualScalar", "LessScalar", "LessEqualScalar", "GreaterScalar", "GreaterEqualScalar",
        "LogicalNot", "LogicalAnd", "LogicalOr", "LogicalXor", "CrossEntropyProbabilities", "CrossEntropyProbabilitiesSum",
        // custom functions (issue 17)
        "Custom",
        // convolution and pooling (issue 18)
        "Convolution", "Im2Col", "Col2Im", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
        // normalization (issue 18)
        "LayerNorm",
        // recurrent cells (issue 18)
        "GruCell", "LstmCellState", "LstmCellOutput",
        // batch normalization and embedding (issue 18)
        "BatchNorm", "Embedding",
    ];

    /// <summary>recurrent (issue 18): one fused cell op on gates made from x (flattened to one row of H = numel): gi and gh
    /// are x scaled per gate block, the state 0.8·x; the result takes x's shape.</summary>
    internal static Tensor RecurrentStep(string op, Tensor x)
    {
        int[] shape = x.Shape.ToArray();
        int hidden = x.Count;
        using OpTransaction step = x.Arena.BeginOp(); // one step of the program: all or nothing under a cap, as an op is
        Tensor row = x.Reshape(1, -1);
        bool gru = op == "GruCell";
        Tensor gi = gru ? Functional.Cat([row, row * 0.5f, row * -0.7f], 1) : Functional.Cat([row, row * 0.5f, row * -0.7f, row * 0.9f], 1);
        Tensor gh = gru ? Functional.Cat([row * 0.3f, row * -0.4f, row * 0.6f], 1) : Functional.Cat([row * 0.3f, row * -0.4f, row * 0.6f, row * -0.2f], 1);
        ArenaGrad.Tape.OpCode code = Enum.Parse<ArenaGrad.Tape.OpCode>(op);
        return step.Commit(Functional.RecurrentGates(code, gi, gh, row * 0.8f, hidden, op == "LstmCellOutput" ? 2 : 3).Reshape(shape));
    }

    /// <summary>A step built from more than one op (a reshape and the op under test) run as one: all or nothing under a
    /// cap, as a single op is (CapacityPropertyTests checks every step that way).</summary>
    internal static Tensor Atomic(Tensor anchor, Func<Tensor> step)
    {
        using OpTransaction op = anchor.Arena.BeginOp();
        return op.Commit(step());
    }

    /// <summary>Training-mode BatchNorm of x + ramp as one column [n, 1] (batch statistics, no running ones), reshaped back,
    /// as one step.</summary>
    internal static Tensor RampedBatchNorm(Tensor x, float[] ramp)
    {
        using OpTransaction step = x.Arena.BeginOp();
        int[] shape = x.Shape.ToArray();
        Tensor column = (x.Reshape(-1) + x.Arena.FromData(ramp, [ramp.Length])).Reshape(-1, 1);
        return step.Commit(Functional.BatchNorm(column, null, null, training: true).Reshape(shape));
    }

    /// <summary>LayerNorm over the last dim of x + ramp, as one step: all or nothing under a cap, as an op is.</summary>
    internal static Tensor RampedLayerNorm(Tensor x, float[] ramp)
    {
        using OpTransaction step = x.Arena.BeginOp();
        return step.Commit(Functional.LayerNorm(x + x.Arena.FromData(ramp, [ramp.Length]), x.Shape[^1..]));
    }

    /// <summary>index (issue 16): steps whose Int32 or Bool result has no derivative: comparisons and logical ops (each followed
    /// at once by its conversion to float) and the index and mask constants.</summary>
    private static readonly HashSet<string> BoolResults =
    [
        "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual",
        "EqualScalar", "NotEqualScalar", "LessScalar", "LessEqualScalar", "GreaterScalar", "GreaterEqualScalar",
        "LogicalNot", "LogicalAnd", "LogicalOr", "LogicalXor", "Constant",
    ];

    private const float Margin = 0.05f;
    private const float Limit = 30f;

    private readonly uint[] _choices;
    private int _cursor;
    private readonly Random _values;
    private readonly Arena _scratch = new();
    private readonly List<Tensor> _scratchValues = [];
    private readonly List<bool> _differentiable = []; // whether the value depends on an input that requires grad
    private readonly RandomProgram _program = new();
    private int _steps;

    private RandomProgramBuilder(uint[] choices)
    {
        _choices = choices;
        _values = new Random((int)Next(int.MaxValue));
    }

    /// <summary>Builds the program the choices describe.</summary>
    public static RandomProgram Build(uint[] choices)
    {
        using var builder = new RandomProgramBuilder(choices);
        return builder.BuildProgram();
    }

    public void Dispose() => _scratch.Dispose();

    private uint Next(int options) =>
        options <= 1 || _cursor >= _choices.Length ? 0u : _choices[_cursor++] % (uint)options;

    private int Pick(int options) => (int)Next(options);

    private RandomProgram BuildProgram()
    {
        using (_scratch.NoGrad())
        {
            int inputs = 1 + Pick(3);
            for (int i = 0; i < inputs; i++) AddInput(RandomShape(), requiresGrad: i == 0 || Pick(4) != 3);
            int steps = 1 + Pick(8);
            for (int s = 0; s < steps && _program.BuildError is null; s++) AddStep();
        }
        return _program;
    }

    // ---- inputs ---------------------------------------------------------------------------------------

    private int[] RandomShape()
    {
        int rank = Pick(5);
        var shape = new int[rank];
        for (int d = 0; d < rank; d++) shape[d] = RandomDim(rank);
        return shape;
    }

    /// <summary>1..3 (1..2 from rank 3 on, to keep checks fast); now and then 0 (an empty tensor).</summary>
    private int RandomDim(int rank)
    {
        int choice = Pick(16);
        return choice == 15 ? 0 : 1 + choice % (rank >= 3 ? 2 : 3);
    }

    /// <summary>A fresh input of <paramref name="shape"/> with values in ±[0.3, 1.5]; returns its entry index.</summary>
    private int AddInput(int[] shape, bool requiresGrad)
    {
        int count = shape.Aggregate(1, (a, b) => a * b);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = MathF.Round((float)((0.3 + 1.2 * _values.NextDouble()) * (_values.Next(2) == 0 ? 1 : -1)), 3);
        int inputIndex = _program.Inputs.Count;
        _program.Inputs.Add(new RandomProgram.Input(shape, values, requiresGrad));
        string name = "x" + inputIndex;
        _program.Entries.Add(new RandomProgram.Entry(name, inputIndex, "Input", null, name, []));
        _scratchValues.Add(_scratch.FromData(values, shape));
        _differentiable.Add(requiresGrad);
        return _program.Entries.Count - 1;
    }

    private int FreshInput(int[] shape) => AddInput(shape, requiresGrad: Pick(4) != 3);

    // ---- steps ----------------------------------------------------------------------------------------

    private void AddStep()
    {
        // Mostly the latest value, so programs are chains that reach the output; sometimes any earlier one (reuse).
        int latest = _program.Entries.Count - 1;
        int operand = Pick(3) == 2 ? Pick(latest + 1) : latest;
        if (!IsFloat(operand)) operand = latest; // an Int32 step (Cast) is followed at once by its conversion back
        int first = Pick(AllOps.Length);
        for (int k = 0; k < AllOps.Length; k++)
            if (TryOp(AllOps[(first + k) % AllOps.Length], operand)) return;
        throw new InvalidOperationException("Negate always applies"); // unreachable
    }

    private bool TryOp(string op, int a)
    {
        Tensor x = _scratchValues[a];
        int[] shape = x.Shape.ToArray();
        int rank = shape.Length;
        float[] v = x.ToArray();
        string A = _program.Entries[a].Name;
        bool nonEmpty = v.Length > 0;
        switch (op)
        {
            case "Add": case "Subtract": case "Multiply": case "Divide":
            {
                int b = BroadcastPartner(shape, op == "Divide");
                if (b < 0) return false;
                string B = _program.Entries[b].Name;
                return op switch
                {
                    "Add" => Emit(op, t => t[a] + t[b], $"{A} + {B}", [a, b]),
                    "Subtract" => Emit(op, t => t[a] - t[b], $"{A} - {B}", [a, b]),
                    "Multiply" => Emit(op, t => t[a] * t[b], $"{A} * {B}", [a, b]),
                    _ => Emit(op, t => t[a] / t[b], $"{A} / {B}", [a, b]),
                };
            }
            case "AddScalar":
            {
                float s = Scalar();
                return Pick(2) == 0 ? Emit(op, t => t[a] + s, $"{A} + {F(s)}", [a]) : Emit(op, t => s + t[a], $"{F(s)} + {A}", [a]);
            }
            case "SubtractScalar": { float s = Scalar(); return Emit(op, t => t[a] - s, $"{A} - {F(s)}", [a]); }
            case "ReverseSubtractScalar": { float s = Scalar(); return Emit(op, t => s - t[a], $"{F(s)} - {A}", [a]); }
            case "MultiplyScalar":
            {
                float s = Scalar();
                return Pick(2) == 0 ? Emit(op, t => t[a] * s, $"{A} * {F(s)}", [a]) : Emit(op, t => s * t[a], $"{F(s)} * {A}", [a]);
            }
            case "DivideScalar": { float s = Scalar(); return Emit(op, t => t[a] / s, $"{A} / {F(s)}", [a]); }
            case "ReverseDivideScalar":
            {
                if (v.Any(e => MathF.Abs(e) < 0.3f)) return false;
                float s = Scalar();
                return Emit(op, t => s / t[a], $"{F(s)} / {A}", [a]);
            }
            case "Negate": return Emit(op, t => -t[a], $"-{A}", [a]);
            case "Exp": return v.All(e => e < 2.5f) && Emit(op, t => t[a].Exp(), $"{A}.Exp()", [a]);
            case "Log": return v.All(e => e > 0.2f) && Emit(op, t => t[a].Log(), $"{A}.Log()", [a]);
            case "Tanh": return Emit(op, t => t[a].Tanh(), $"{A}.Tanh()", [a]);
            case "Sigmoid": return Emit(op, t => t[a].Sigmoid(), $"{A}.Sigmoid()", [a]);
            case "Relu": return AwayFromZero(v) && Emit(op, t => t[a].Relu(), $"{A}.Relu()", [a]);
            case "Sqrt": return v.All(e => e > 0.2f) && Emit(op, t => t[a].Sqrt(), $"{A}.Sqrt()", [a]);
            case "Abs": return AwayFromZero(v) && Emit(op, t => t[a].Abs(), $"{A}.Abs()", [a]);
            case "Square": return Emit(op, t => t[a].Square(), $"{A}.Square()", [a]);
            case "Custom": return Emit(op, t => Autograd.Apply(new ScaledCube(0.25f), t[a]), $"Autograd.Apply(new ScaledCube(0.25f), {A})", [a]);
            case "GruCell": case "LstmCellState": case "LstmCellOutput":
                return nonEmpty && v.All(e => MathF.Abs(e) < 5f) && Emit(op, t => RecurrentStep(op, t[a]), $"RecurrentStep(\"{op}\", {A})", [a]);
            case "Pow":
            {
                float[] exponents = [2f, 3f, -1f, 0.5f, 1.5f];
                float e = exponents[Pick(exponents.Length)];
                bool ok = e switch { -1f => v.All(x => MathF.Abs(x) > 0.3f), 0.5f or 1.5f => v.All(x => x > 0.2f), _ => true };
                return ok && Emit(op, t => t[a].Pow(e), $"{A}.Pow({F(e)})", [a]);
            }
            case "LeakyRelu":
            {
                float slope = Pick(2) == 0 ? 0.01f : 0.2f;
                return AwayFromZero(v) && Emit(op, t => t[a].LeakyRelu(slope), $"{A}.LeakyRelu({F(slope)})", [a]);
            }
            case "Clamp":
            {
                // Bounds in the gaps between values (or beyond them), never within the margin of a value.
                var sorted = v.Order().ToList();
                var bounds = new List<float> { (sorted.Count > 0 ? sorted[0] : 0f) - 0.2f };
                for (int i = 1; i < sorted.Count; i++)
                    if (sorted[i] - sorted[i - 1] > 4 * Margin) bounds.Add(MathF.Round((sorted[i] + sorted[i - 1]) / 2, 3));
                bounds.Add((sorted.Count > 0 ? sorted[^1] : 0f) + 0.2f);
                int lo = Pick(bounds.Count - 1);
                int hi = lo + 1 + Pick(bounds.Count - 1 - lo);
                float min = bounds[lo], max = bounds[hi];
                return Emit(op, t => t[a].Clamp(min, max), $"{A}.Clamp({F(min)}, {F(max)})", [a]);
            }
            case "Convolution": case "Im2Col": case "Col2Im": case "MaxPool2d": case "AvgPool2d": case "AdaptiveAvgPool2d":
                return Windowed(op, a, v);
            case "MatMul": return MatMul(a, shape);
            case "Linear": return Linear(a, shape);
            case "Reshape":
            {
                int[] target = Pick(3) switch
                {
                    0 => [-1],
                    1 when rank < 4 => [1, .. shape],
                    _ => Enumerable.Reverse(shape).ToArray(), // not shape.Reverse(): on .NET 8 that binds to Span.Reverse (void)
                };
                return Emit(op, t => t[a].Reshape(target), $"{A}.Reshape({string.Join(", ", target)})", [a]);
            }
            case "Transpose":
            {
                int d0 = rank == 0 ? 0 : Pick(rank), d1 = rank == 0 ? 0 : Pick(rank);
                return Emit(op, t => t[a].Transpose(d0, d1), $"{A}.Transpose({d0}, {d1})", [a]);
            }
            case "Concat":
            {
                if (rank == 0) return false;
                int dim = Pick(rank);
                int others = 1 + Pick(2);
                var parts = new List<int> { a };
                for (int i = 0; i < others; i++)
                {
                    if (Pick(2) == 0) { parts.Add(a); continue; } // the same tensor twice
                    int[] partShape = (int[])shape.Clone();
                    partShape[dim] = Pick(8) == 7 ? 0 : 1 + Pick(2);
                    parts.Add(FreshInput(partShape));
                }
                int[] ids = parts.ToArray();
                return Emit(op, t => Functional.Cat(ids.Select(i => t[i]).ToArray(), dim),
                    $"Functional.Cat([{string.Join(", ", ids.Select(i => _program.Entries[i].Name))}], {dim})", ids);
            }
            case "SumAll": return Emit(op, t => t[a].Sum(), $"{A}.Sum()", [a]);
            case "MeanAll": return nonEmpty && Emit(op, t => t[a].Mean(), $"{A}.Mean()", [a]);
            case "SumDim": case "MeanDim":
            {
                if (rank == 0) return false;
                int dim = Pick(rank);
                bool keep = Pick(2) == 1;
                if (op == "MeanDim" && shape[dim] == 0) return false;
                return op == "SumDim"
                    ? Emit(op, t => t[a].Sum(dim, keep), $"{A}.Sum({dim}, keepDim: {B(keep)})", [a])
                    : Emit(op, t => t[a].Mean(dim, keep), $"{A}.Mean({dim}, keepDim: {B(keep)})", [a]);
            }
            case "MaxAll": return nonEmpty && UniqueMaxima(v, 1, v.Length, 1) && Emit(op, t => t[a].Max(), $"{A}.Max()", [a]);
            case "MaxDim":
            {
                if (rank == 0) return false;
                int dim = Pick(rank);
                bool keep = Pick(2) == 1;
                int outer = shape[..dim].Aggregate(1, (p, q) => p * q), inner = shape[(dim + 1)..].Aggregate(1, (p, q) => p * q);
                if (shape[dim] == 0 || !UniqueMaxima(v, outer, shape[dim], inner)) return false;
                return Emit(op, t => t[a].Max(dim, keep), $"{A}.Max({dim}, keepDim: {B(keep)})", [a]);
            }
            case "LayerNorm":
            {
                // over the last dim of x + ramp: the ramp (0 .. 1.5 along the row) gives almost every row a spread, so the op is
                // picked as often as the others; rows whose spread is still small would make 1/σ (and the finite differences) blow up
                if (rank == 0 || shape[^1] < 2 || !nonEmpty) return false;
                int n = shape[^1];
                float[] ramp = Enumerable.Range(0, n).Select(i => 1.5f * i / (n - 1)).ToArray();
                for (int r = 0; r < v.Length / n; r++)
                {
                    double mean = 0, variance = 0;
                    for (int i = 0; i < n; i++) mean += (v[r * n + i] + ramp[i]) / (double)n;
                    for (int i = 0; i < n; i++) variance += Math.Pow(v[r * n + i] + ramp[i] - mean, 2) / n;
                    if (variance < 0.05) return false;
                }
                return Emit(op, t => RampedLayerNorm(t[a], ramp),
                    $"Functional.LayerNorm({A} + arena.FromData([{string.Join(", ", ramp.Select(x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "f"))}], [{n}]), [{n}])", [a]);
            }
            case "Softmax": case "LogSoftmax":
            {
                if (rank == 0) return false;
                int dim = Pick(rank);
                return op == "Softmax"
                    ? Emit(op, t => t[a].Softmax(dim), $"{A}.Softmax({dim})", [a])
                    : Emit(op, t => t[a].LogSoftmax(dim), $"{A}.LogSoftmax({dim})", [a]);
            }
            case "MseLoss": case "L1LossMean": case "L1LossSum": case "L1LossNone": case "SmoothL1Loss": case "HuberLoss":
            case "BinaryCrossEntropyWithLogits":
            {
                Reduction reduction = op switch
                {
                    "L1LossMean" => Reduction.Mean, "L1LossSum" => Reduction.Sum, "L1LossNone" => Reduction.None,
                    _ => (Reduction)Pick(3),
                };
                if (!nonEmpty && reduction == Reduction.Mean) return false; // the mean over no elements is NaN
                int b = SameShapePartner(shape);
                float[] w = _scratchValues[b].ToArray();
                // |input - target| has a kink at 0 for the L1 loss (smooth L1 and Huber are C¹ there, and at β/δ).
                if (op.StartsWith("L1Loss", StringComparison.Ordinal) && v.Zip(w).Any(p => MathF.Abs(p.First - p.Second) < Margin)) return false;
                string B = _program.Entries[b].Name, R = "Reduction." + reduction;
                float k = Pick(2) == 0 ? 1f : 0.5f;
                return op switch
                {
                    "MseLoss" => Emit(op, t => Functional.MseLoss(t[a], t[b], reduction), $"Functional.MseLoss({A}, {B}, {R})", [a, b]),
                    "SmoothL1Loss" => Emit(op, t => Functional.SmoothL1Loss(t[a], t[b], k, reduction), $"Functional.SmoothL1Loss({A}, {B}, {F(k)}, {R})", [a, b]),
                    "HuberLoss" => Emit(op, t => Functional.HuberLoss(t[a], t[b], k, reduction), $"Functional.HuberLoss({A}, {B}, {F(k)}, {R})", [a, b]),
                    "BinaryCrossEntropyWithLogits" => Emit(op, t => Functional.BinaryCrossEntropyWithLogits(t[a], t[b], reduction),
                        $"Functional.BinaryCrossEntropyWithLogits({A}, {B}, {R})", [a, b]),
                    _ => Emit(op, t => Functional.L1Loss(t[a], t[b], reduction), $"Functional.L1Loss({A}, {B}, {R})", [a, b]),
                };
            }
            case "CrossEntropy": case "CrossEntropySmoothed": case "NllLoss":
            {
                if (!nonEmpty) return false;
                if (rank != 2)
                {
                    // Class scores [N, C]; any other non-empty value is first viewed as one row (its own step: one op per step).
                    int source = a;
                    if (!Emit("Reshape", t => t[source].Reshape(1, -1), $"{A}.Reshape(1, -1)", [source]) || _program.BuildError is not null)
                        return true;
                    a = _program.Entries.Count - 1;
                    A = _program.Entries[a].Name;
                    shape = [1, v.Length];
                }
                // Now and then a row with PyTorch's ignore_index (-100); a mean over only ignored rows is NaN and is refused.
                int[] targets = Enumerable.Range(0, shape[0]).Select(_ => Pick(6) == 5 ? Functional.DefaultIgnoreIndex : Pick(shape[1])).ToArray();
                var reduction = (Reduction)Pick(3);
                float smoothing = op == "CrossEntropySmoothed" ? (Pick(2) == 0 ? 0.1f : 0.5f) : 0f;
                int scores = a;
                string list = $"[{string.Join(", ", targets)}]", R = "Reduction." + reduction;
                return op == "NllLoss"
                    ? Emit(op, t => Functional.NllLoss(t[scores], targets, reduction), $"Functional.NllLoss({A}, {list}, {R})", [a])
                    : Emit(op, t => Functional.CrossEntropy(t[scores], targets, reduction, smoothing),
                        $"Functional.CrossEntropy({A}, {list}, {R}, labelSmoothing: {F(smoothing)})", [a]);
            }
            case "Detach":
                // Only a value no gradient flows through: detaching one would make backward and finite differences disagree.
            {
                var frozen = Enumerable.Range(0, _program.Entries.Count).Where(i => !_differentiable[i] && IsFloat(i)).ToList();
                if (frozen.Count == 0) return false;
                int f = _differentiable[a] ? frozen[Pick(frozen.Count)] : a;
                return Emit(op, t => t[f].Detach(), $"{_program.Entries[f].Name}.Detach()", [f]);
            }
            // dtypes (issue 16): through Int32 and back, away from the integers where truncation jumps
            // (two steps, each one op, so a capacity failure is checked between them)
            case "Cast":
                // A quarter away: finite differences' step, amplified by steep ops upstream (exp, then square), must not
                // carry a value across an integer (a 0.05 margin did at 40,000 samples).
                if (!v.All(e => MathF.Abs(e - MathF.Round(e)) > 0.25f) || !Emit(op, t => t[a].To(DType.Int32), $"{A}.To(DType.Int32)", [a]))
                    return false;
                int integers = _program.Entries.Count - 1;
                string I = _program.Entries[integers].Name;
                return _program.BuildError is not null || Emit(op, t => t[integers].To(DType.Float32), $"{I}.To(DType.Float32)", [integers]);
            // views and shape ops (issue 16)
            case "Slice":
            {
                if (rank == 0) return false;
                int dim = Pick(rank), size = shape[dim];
                if (Pick(3) == 0)
                {
                    int begin = Pick(size + 1), length = Pick(size - begin + 1);
                    return Emit(op, t => t[a].Narrow(dim, begin, length), $"{A}.Narrow({dim}, {begin}, {length})", [a]);
                }
                int start = Pick(2 * size + 3) - size - 1, end = Pick(2 * size + 3) - size - 1, step = 1 + Pick(3);
                return Emit(op, t => t[a].Slice(dim, start, end, step), $"{A}.Slice({dim}, {start}, {end}, {step})", [a]);
            }
            case "Select":
            {
                if (rank == 0) return false;
                int dim = Pick(rank) - (Pick(2) == 0 ? rank : 0), size = shape[dim < 0 ? dim + rank : dim];
                if (size == 0) return false;
                int index = Pick(2 * size) - size;
                return Emit(op, t => t[a].Select(dim, index), $"{A}.Select({dim}, {index})", [a]);
            }
            case "Permute":
            {
                var order = Enumerable.Range(0, rank).ToList();
                var perm = new int[rank];
                for (int i = 0; i < rank; i++)
                {
                    int j = Pick(order.Count);
                    perm[i] = order[j] - (Pick(4) == 0 ? rank : 0); // now and then negative
                    order.RemoveAt(j);
                }
                return Emit(op, t => t[a].Permute(perm), $"{A}.Permute({string.Join(", ", perm)})", [a]);
            }
            case "Unsqueeze":
            {
                if (rank >= 4) return false;
                int dim = Pick(2 * rank + 2) - rank - 1;
                return Emit(op, t => t[a].Unsqueeze(dim), $"{A}.Unsqueeze({dim})", [a]);
            }
            case "SqueezeAll": return Emit(op, t => t[a].Squeeze(), $"{A}.Squeeze()", [a]);
            case "SqueezeDim":
            {
                int dim = rank == 0 ? 0 : Pick(rank);
                return Emit(op, t => t[a].Squeeze(dim), $"{A}.Squeeze({dim})", [a]);
            }
            case "Expand":
            {
                if (rank >= 4) return false;
                var target = new List<int>();
                if (Pick(2) == 0) target.Add(1 + Pick(3)); // a new leading dim
                foreach (int size in shape) target.Add(size == 1 ? Pick(4) : Pick(2) == 0 ? -1 : size); // 1 -> 0..3, kept or -1
                int[] sizes = target.ToArray();
                return Emit(op, t => t[a].Expand(sizes), $"{A}.Expand({string.Join(", ", sizes)})", [a]);
            }
            case "Repeat":
            {
                if (rank >= 4) return false;
                var repeats = new List<int>();
                if (Pick(2) == 0) repeats.Add(1 + Pick(2));
                for (int d = 0; d < rank; d++) repeats.Add(Pick(8) == 7 ? 0 : 1 + Pick(2));
                int[] r = repeats.ToArray();
                return Emit(op, t => t[a].Repeat(r), $"{A}.Repeat({string.Join(", ", r)})", [a]);
            }
            case "Stack":
            {
                if (rank >= 4) return false;
                int dim = Pick(rank + 1);
                var parts = new List<int> { a };
                for (int i = 0, others = 1 + Pick(2); i < others; i++) parts.Add(Pick(2) == 0 ? a : FreshInput(shape));
                int[] ids = parts.ToArray();
                return Emit(op, t => Functional.Stack(ids.Select(i => t[i]).ToArray(), dim),
                    $"Functional.Stack([{string.Join(", ", ids.Select(i => _program.Entries[i].Name))}], {dim})", ids);
            }
            case "Split":
            {
                if (rank == 0) return false;
                int dim = Pick(rank), size = shape[dim];
                int splitSize = size == 0 ? Pick(2) : 1 + Pick(size);
                int count = splitSize == 0 ? 1 : Math.Max((size + splitSize - 1) / splitSize, 1), piece = Pick(count);
                if (Pick(2) == 0 && size > 0)
                {
                    int chunks = 1 + Pick(size + 1), chunkCount = (size + (size + chunks - 1) / chunks - 1) / ((size + chunks - 1) / chunks);
                    int chunk = Pick(chunkCount);
                    return Emit(op, t => t[a].Chunk(chunks, dim)[chunk], $"{A}.Chunk({chunks}, {dim})[{chunk}]", [a]);
                }
                return Emit(op, t => t[a].Split(splitSize, dim)[piece], $"{A}.Split({splitSize}, {dim})[{piece}]", [a]);
            }
            case "SplitWithSizes":
            {
                if (rank == 0) return false;
                int dim = Pick(rank), left = shape[dim];
                var sizes = new List<int>();
                do
                {
                    if (Pick(6) == 0) sizes.Add(0); // an empty piece
                    int next = left == 0 ? 0 : 1 + Pick(left);
                    sizes.Add(next);
                    left -= next;
                } while (left > 0);
                int[] list = sizes.ToArray();
                int piece = Pick(list.Length);
                return Emit(op, t => t[a].Split(list, dim)[piece], $"{A}.Split([{string.Join(", ", list)}], {dim})[{piece}]", [a]);
            }
            // reductions (issue 16): min/max and their indices with the top two a margin apart (as MaxDim), norms of values a
            // margin from 0 (and for ±∞ with distinct |x|), std of slices whose deviation is not near 0
            case "MinAll": return nonEmpty && UniqueMaxima(Negated(v), 1, v.Length, 1) && Emit(op, t => t[a].Min(), $"{A}.Min()", [a]);
            case "MinDim": case "MaxDimWithIndices": case "MinDimWithIndices": case "ArgMax": case "ArgMin":
            {
                if (rank == 0 && op is "MinDim") return false; // a scalar's Min(0) is MinAll
                int dim = rank == 0 ? 0 : Pick(rank);
                bool keep = Pick(2) == 1;
                bool max = op is "MaxDimWithIndices" or "ArgMax";
                (int outer, int size, int inner) = Split(shape, dim);
                if (size == 0 || !UniqueMaxima(max ? v : Negated(v), outer, size, inner)) return false;
                switch (op)
                {
                    case "MinDim": return Emit(op, t => t[a].Min(dim, keep), $"{A}.Min({dim}, keepDim: {B(keep)})", [a]);
                    case "MaxDimWithIndices":
                        return Emit(op, t => t[a].MaxWithIndices(dim, keep).Values, $"{A}.MaxWithIndices({dim}, keepDim: {B(keep)}).Values", [a]);
                    case "MinDimWithIndices":
                        return Emit(op, t => t[a].MinWithIndices(dim, keep).Values, $"{A}.MinWithIndices({dim}, keepDim: {B(keep)}).Values", [a]);
                }
                // Int32 indices, then back to float (two steps, each one op, as Cast); the flattened form now and then
                bool flat = nonEmpty && Pick(3) == 2;
                string call = flat ? $"{op}()" : $"{op}({dim}, keepDim: {B(keep)})";
                if (flat && !UniqueMaxima(max ? v : Negated(v), 1, v.Length, 1)) return false;
                Func<Tensor[], Tensor> indices = (flat, max) switch
                {
                    (true, true) => t => t[a].ArgMax(), (true, false) => t => t[a].ArgMin(),
                    (false, true) => t => t[a].ArgMax(dim, keep), _ => t => t[a].ArgMin(dim, keep),
                };
                if (!Emit(op, indices, $"{A}.{call}", [a])) return false;
                int picked = _program.Entries.Count - 1;
                string N = _program.Entries[picked].Name;
                return _program.BuildError is not null || Emit(op, t => t[picked].To(DType.Float32), $"{N}.To(DType.Float32)", [picked]);
            }
            case "Var": case "Std":
            {
                int correction = Pick(2);
                bool all = rank == 0 || Pick(3) == 2;
                int dim = all ? -1 : Pick(rank);
                bool keep = Pick(2) == 1;
                (int outer, int size, int inner) = all ? (1, v.Length, 1) : Split(shape, dim);
                if (size - correction <= 0 || (op == "Std" && !SpreadOut(v, outer, size, inner))) return false;
                string args = all ? $"null, {correction}, keepDim: {B(keep)}" : $"{dim}, {correction}, keepDim: {B(keep)}";
                return op == "Var"
                    ? Emit(op, all ? t => t[a].Var(null, correction, keep) : t => t[a].Var(dim, correction, keep), $"{A}.Var({args})", [a])
                    : Emit(op, all ? t => t[a].Std(null, correction, keep) : t => t[a].Std(dim, correction, keep), $"{A}.Std({args})", [a]);
            }
            case "Norm":
            {
                float[] orders = [2f, 1f, float.PositiveInfinity, float.NegativeInfinity, 3f, 0.5f, 1.5f, -1f];
                float p = orders[Pick(orders.Length)];
                if (!nonEmpty || !AwayFromZero(v)) return false;
                bool all = rank == 0 || Pick(2) == 0;
                int dim = all ? -1 : Pick(rank);
                bool keep = Pick(2) == 1;
                (int outer, int size, int inner) = all ? (1, v.Length, 1) : Split(shape, dim);
                float[] magnitudes = v.Select(MathF.Abs).ToArray();
                if (float.IsInfinity(p) && !UniqueMaxima(p > 0 ? magnitudes : Negated(magnitudes), outer, size, inner)) return false;
                string P = float.IsInfinity(p) ? (p > 0 ? "float.PositiveInfinity" : "float.NegativeInfinity") : F(p);
                return all
                    ? Emit(op, t => t[a].Norm(p), $"{A}.Norm({P})", [a])
                    : Emit(op, t => t[a].Norm(p, dim, keep), $"{A}.Norm({P}, {dim}, keepDim: {B(keep)})", [a]);
            }
            case "LogSumExp":
            {
                int dim = rank == 0 ? 0 : Pick(rank);
                bool keep = Pick(2) == 1;
                return Emit(op, t => t[a].LogSumExp(dim, keep), $"{A}.LogSumExp({dim}, keepDim: {B(keep)})", [a]);
            }
            case "CumSum":
            {
                int dim = rank == 0 ? 0 : Pick(rank);
                return Emit(op, t => t[a].CumSum(dim), $"{A}.CumSum({dim})", [a]);
            }
            case "ProdAll": return Emit(op, t => t[a].Prod(), $"{A}.Prod()", [a]);
            case "ProdDim":
            {
                int dim = rank == 0 ? 0 : Pick(rank);
                bool keep = Pick(2) == 1;
                return Emit(op, t => t[a].Prod(dim, keep), $"{A}.Prod({dim}, keepDim: {B(keep)})", [a]);
            }
            // math (issue 16): sin and cos of arguments below 4 (larger ones made finite differences too coarse), kinks and jumps kept a margin away (sign at 0, floor at integers, round at halves, elu at 0,
            // softplus at its threshold, hardtanh at its bounds, minimum/maximum at ties)
            case "Sin": return v.All(e => MathF.Abs(e) < 4f) && Emit(op, t => t[a].Sin(), $"{A}.Sin()", [a]);
            case "Cos": return v.All(e => MathF.Abs(e) < 4f) && Emit(op, t => t[a].Cos(), $"{A}.Cos()", [a]);
            case "Log1p": return v.All(e => e > -0.8f) && Emit(op, t => t[a].Log1p(), $"{A}.Log1p()", [a]);
            case "Expm1": return v.All(e => e < 2.5f) && Emit(op, t => t[a].Expm1(), $"{A}.Expm1()", [a]);
            case "Erf": return Emit(op, t => t[a].Erf(), $"{A}.Erf()", [a]);
            case "Rsqrt": return v.All(e => e > 0.2f) && Emit(op, t => t[a].Rsqrt(), $"{A}.Rsqrt()", [a]);
            case "Reciprocal": return v.All(e => MathF.Abs(e) > 0.3f) && Emit(op, t => t[a].Reciprocal(), $"{A}.Reciprocal()", [a]);
            case "Sign": return AwayFromZero(v) && Emit(op, t => t[a].Sign(), $"{A}.Sign()", [a]);
            case "Floor": return v.All(e => MathF.Abs(e - MathF.Round(e)) > Margin) && Emit(op, t => t[a].Floor(), $"{A}.Floor()", [a]);
            case "Round":
                return v.All(e => MathF.Abs(e - MathF.Floor(e) - 0.5f) > Margin) && Emit(op, t => t[a].Round(), $"{A}.Round()", [a]);
            case "Softplus":
            {
                float beta = Pick(2) == 0 ? 1f : 2f, threshold = Pick(2) == 0 ? 20f : 1f;
                return v.All(e => MathF.Abs(e * beta - threshold) > Margin)
                    && Emit(op, t => t[a].Softplus(beta, threshold), $"{A}.Softplus({F(beta)}, {F(threshold)})", [a]);
            }
            case "Elu":
            {
                float alpha = Pick(2) == 0 ? 1f : 0.5f;
                return AwayFromZero(v) && Emit(op, t => t[a].Elu(alpha), $"{A}.Elu({F(alpha)})", [a]);
            }
            case "Gelu": return Emit(op, t => t[a].Gelu(), $"{A}.Gelu()", [a]);
            case "GeluTanh": return Emit(op, t => t[a].Gelu(tanhApproximation: true), $"{A}.Gelu(tanhApproximation: true)", [a]);
            case "Silu": return Emit(op, t => t[a].Silu(), $"{A}.Silu()", [a]);
            case "Mish": return Emit(op, t => t[a].Mish(), $"{A}.Mish()", [a]);
            case "Hardtanh":
            {
                (float min, float max) = Pick(2) == 0 ? (-1f, 1f) : (-0.5f, 2f);
                return v.All(e => MathF.Abs(e - min) > Margin && MathF.Abs(e - max) > Margin)
                    && Emit(op, t => t[a].Hardtanh(min, max), $"{A}.Hardtanh({F(min)}, {F(max)})", [a]);
            }
            case "Minimum": case "Maximum":
            {
                int b = BroadcastPartner(shape, divisor: false);
                if (b < 0 || (_scratchValues[a] - _scratchValues[b]).ToArray().Any(e => MathF.Abs(e) <= Margin)) return false;
                string B = _program.Entries[b].Name;
                return op == "Minimum"
                    ? Emit(op, t => Functional.Minimum(t[a], t[b]), $"Functional.Minimum({A}, {B})", [a, b])
                    : Emit(op, t => Functional.Maximum(t[a], t[b]), $"Functional.Maximum({A}, {B})", [a, b]);
            }
            // index (issue 16): index and mask tensors are constants the builder draws, each made by a step of its own (one
            // allocation per step, as the capacity property wants); comparisons keep a margin between the values they compare
            // (and logical ops between values and 0), so finite differences never flip them
            case "BatchNorm":
            {
                // training-mode batch statistics over x + ramp as a column [n, 1] (the ramp gives the batch a spread; a
                // small one would make 1/σ and the finite differences blow up)
                int n = v.Length;
                if (n < 2) return false;
                float[] ramp = Enumerable.Range(0, n).Select(i => 1.5f * i / (n - 1)).ToArray();
                double mean = 0, variance = 0;
                for (int i = 0; i < n; i++) mean += (v[i] + ramp[i]) / n;
                for (int i = 0; i < n; i++) variance += Math.Pow(v[i] + ramp[i] - mean, 2) / n;
                if (variance < 0.05) return false;
                return Emit(op, t => RampedBatchNorm(t[a], ramp), $"RampedBatchNorm({A}, [{string.Join(", ", ramp.Select(r => r.ToString("R", CultureInfo.InvariantCulture) + "f"))}])", [a]);
            }
            case "Embedding":
            {
                // rows of x as the table [rows, last dim]; a drawn index tensor picks rows (repeats allowed)
                if (rank == 0 || v.Length == 0) return false;
                int rows = v.Length / shape[^1];
                int[] index = Enumerable.Range(0, 1 + Pick(4)).Select(_ => Pick(rows)).ToArray();
                int i = Constant(a, index, [index.Length], boolean: false);
                if (i < 0) return _program.BuildError is not null;
                int last = shape[^1];
                return DropUnless(Emit(op, t => Atomic(t[a], () => Functional.Embedding(t[i], t[a].Reshape(-1, last))),
                    $"Functional.Embedding({_program.Entries[i].Name}, {A}.Reshape(-1, {last}))", [a, i]), i);
            }
            case "IndexSelect":
            {
                int dim = rank == 0 ? 0 : Pick(rank);
                int size = rank == 0 ? 1 : shape[dim];
                if (size == 0) return false;
                int[] index = Enumerable.Range(0, rank == 0 ? 1 : Pick(4)).Select(_ => Pick(size)).ToArray();
                int i = Constant(a, index, [index.Length], boolean: false);
                if (i < 0) return _program.BuildError is not null;
                return DropUnless(Emit(op, t => t[a].IndexSelect(dim, t[i]), $"{A}.IndexSelect({dim}, {_program.Entries[i].Name})", [a, i]), i);
            }
            case "Gather": case "ScatterAdd":
            {
                int dim = rank == 0 ? 0 : Pick(rank);
                int size = rank == 0 ? 1 : shape[dim];
                if (size == 0) return false;
                int[] indexShape = shape.Select((d, k) => k == dim && op == "Gather" ? 1 + Pick(3) : Pick(d + 1)).ToArray();
                int[] index = Enumerable.Range(0, indexShape.Aggregate(1, (p, q) => p * q)).Select(_ => Pick(size)).ToArray();
                int source = op == "ScatterAdd" ? FreshInput(shape) : -1;
                int i = Constant(a, index, indexShape, boolean: false);
                if (i < 0) return _program.BuildError is not null;
                string indexName = _program.Entries[i].Name;
                return DropUnless(op == "Gather"
                    ? Emit(op, t => t[a].Gather(dim, t[i]), $"{A}.Gather({dim}, {indexName})", [a, i])
                    : Emit(op, t => t[a].ScatterAdd(dim, t[i], t[source]), $"{A}.ScatterAdd({dim}, {indexName}, {_program.Entries[source].Name})",
                        [a, i, source]), i);
            }
            case "MaskedFill": case "Where": case "WhereScalar":
            {
                // The mask has the value's shape, or its last dim only (broadcast)
                int[] maskShape = rank > 0 && Pick(2) == 0 ? [shape[^1]] : shape;
                int[] mask = Enumerable.Range(0, maskShape.Aggregate(1, (p, q) => p * q)).Select(_ => Pick(2)).ToArray();
                float s = Scalar();
                int b = op == "Where" ? BroadcastPartner(shape, false) : -1;
                int m = Constant(a, mask, maskShape, boolean: true);
                if (m < 0) return _program.BuildError is not null;
                string M = _program.Entries[m].Name;
                return DropUnless(op switch
                {
                    "MaskedFill" => Emit(op, t => t[a].MaskedFill(t[m], s), $"{A}.MaskedFill({M}, {F(s)})", [a, m]),
                    "WhereScalar" => Emit(op, t => Functional.Where(t[m], t[a], s), $"Functional.Where({M}, {A}, {F(s)})", [a, m]),
                    _ => Emit(op, t => Functional.Where(t[m], t[a], t[b]), $"Functional.Where({M}, {A}, {_program.Entries[b].Name})", [a, b, m]),
                }, m);
            }
            case "Equal": case "NotEqual": case "Less": case "LessEqual": case "Greater": case "GreaterEqual":
            case "LogicalAnd": case "LogicalOr": case "LogicalXor":
            {
                bool logical = op.StartsWith("Logical", StringComparison.Ordinal);
                int b = BroadcastPartner(shape, false);
                Tensor other = _scratchValues[b];
                if (logical ? !AwayFromZero(v) || !AwayFromZero(other.ToArray()) : (x - other).Abs().ToArray().Any(e => e <= Margin)) return false;
                string name = op switch
                {
                    "Equal" => "Eq", "NotEqual" => "Ne", "Less" => "Lt", "LessEqual" => "Le", "Greater" => "Gt", "GreaterEqual" => "Ge", _ => op,
                };
                Func<Tensor, Tensor, Tensor> compare = op switch
                {
                    "Equal" => (p, q) => p.Eq(q), "NotEqual" => (p, q) => p.Ne(q), "Less" => (p, q) => p.Lt(q),
                    "LessEqual" => (p, q) => p.Le(q), "Greater" => (p, q) => p.Gt(q), "GreaterEqual" => (p, q) => p.Ge(q),
                    "LogicalAnd" => (p, q) => p.LogicalAnd(q), "LogicalOr" => (p, q) => p.LogicalOr(q), _ => (p, q) => p.LogicalXor(q),
                };
                return EmitBool(op, t => compare(t[a], t[b]), $"{A}.{name}({_program.Entries[b].Name})", [a, b]);
            }
            case "EqualScalar": case "NotEqualScalar": case "LessScalar": case "LessEqualScalar": case "GreaterScalar": case "GreaterEqualScalar":
            case "LogicalNot":
            {
                float s = Scalar();
                if (op == "LogicalNot") return AwayFromZero(v) && EmitBool(op, t => t[a].LogicalNot(), $"{A}.LogicalNot()", [a]);
                if (v.Any(e => MathF.Abs(e - s) <= Margin)) return false;
                (string name, Func<Tensor, Tensor> compare) = op switch
                {
                    "EqualScalar" => ("Eq", (Func<Tensor, Tensor>)(p => p.Eq(s))), "NotEqualScalar" => ("Ne", p => p.Ne(s)),
                    "LessScalar" => ("Lt", p => p.Lt(s)), "LessEqualScalar" => ("Le", p => p.Le(s)),
                    "GreaterScalar" => ("Gt", p => p.Gt(s)), _ => ("Ge", p => p.Ge(s)),
                };
                return EmitBool(op, t => compare(t[a]), $"{A}.{name}({F(s)})", [a]);
            }
            case "CrossEntropyProbabilities": case "CrossEntropyProbabilitiesSum":
            {
                // Logits [N, C] or [C] and targets of that shape (any real values: PyTorch does not ask for probabilities)
                if (rank is not (1 or 2) || shape[^1] == 0 || (rank == 2 && shape[0] == 0 && op == "CrossEntropyProbabilities")) return false;
                int target = SameShapePartner(shape);
                var reduction = op == "CrossEntropyProbabilities" ? Reduction.Mean : Pick(2) == 0 ? Reduction.Sum : Reduction.None;
                float smoothing = Pick(2) == 0 ? 0f : 0.2f;
                return Emit(op, t => Functional.CrossEntropy(t[a], t[target], reduction, smoothing),
                    $"Functional.CrossEntropy({A}, {_program.Entries[target].Name}, Reduction.{reduction}, labelSmoothing: {F(smoothing)})", [a, target]);
            }
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "unknown op");
        }
    }

    private static float[] Negated(float[] values) => values.Select(e => -e).ToArray();

    /// <summary>[outer, size, inner] around <paramref name="dim"/> (a scalar is one slice of one element).</summary>
    private static (int Outer, int Size, int Inner) Split(int[] shape, int dim) => shape.Length == 0
        ? (1, 1, 1)
        : (shape[..dim].Aggregate(1, (p, q) => p * q), shape[dim], shape[(dim + 1)..].Aggregate(1, (p, q) => p * q));

    /// <summary>Whether every slice's values span more than the margin (its standard deviation is away from the kink at 0).</summary>
    private static bool SpreadOut(float[] v, int outer, int size, int inner)
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
                for (int d = 0; d < size; d++)
                {
                    float e = v[(o * size + d) * inner + i];
                    lo = MathF.Min(lo, e);
                    hi = MathF.Max(hi, e);
                }
                if (hi - lo < 4 * Margin) return false;
            }
        return true;
    }

    private bool MatMul(int a, int[] shape)
    {
        int rank = shape.Length;
        if (rank == 0) return false;
        int k = shape[^1];
        int m = 1 + Pick(3);
        int[] other = rank switch
        {
            1 => Pick(2) == 0 ? [k] : [k, m],
            2 => Pick(3) switch { 0 => [k], 1 => [k, m], _ => [1 + Pick(2), k, m] },
            _ => Pick(2) == 0 ? [k, m] : [.. shape[..^2].Select(d => Pick(2) == 0 ? d : 1), k, m],
        };
        int b = FreshInput(other);
        return Emit("MatMul", t => t[a].MatMul(t[b]), $"{_program.Entries[a].Name}.MatMul({_program.Entries[b].Name})", [a, b]);
    }

    /// <summary>issue 18: the window ops over the value as one row of an image ([1, 1, 1, n] or [1, 1, n]); max pooling
    /// takes pairs only when no pair is within 0.05 of a tie.</summary>
    private bool Windowed(string op, int a, float[] v)
    {
        int n = v.Length;
        if (n == 0) return false;
        string A = _program.Entries[a].Name;
        int k = Math.Min(2, n);
        switch (op)
        {
            case "Convolution":
            {
                int w = FreshInput([2, 1, 1, k]);
                return Emit(op, t => Atomic(t[a], () => Functional.Conv2d(t[a].Reshape(1, 1, 1, n), t[w], null, 1)), $"Functional.Conv2d({A}.Reshape(1, 1, 1, {n}), {_program.Entries[w].Name}, null, 1)", [a, w]);
            }
            case "Im2Col":
                return Emit(op, t => Atomic(t[a], () => Functional.Unfold(t[a].Reshape(1, 1, 1, n), (1, k))), $"Functional.Unfold({A}.Reshape(1, 1, 1, {n}), (1, {k}))", [a]);
            case "Col2Im":
                return Emit(op, t => Atomic(t[a], () => Functional.Fold(t[a].Reshape(1, 1, n), (1, n), (1, 1))), $"Functional.Fold({A}.Reshape(1, 1, {n}), (1, {n}), (1, 1))", [a]);
            case "MaxPool2d":
            {
                bool pairs = n >= 2 && Enumerable.Range(0, n / 2).All(i => MathF.Abs(v[2 * i] - v[2 * i + 1]) > 0.05f);
                int width = pairs ? 2 : 1;
                return Emit(op, t => Atomic(t[a], () => Functional.MaxPool2d(t[a].Reshape(1, 1, n), (1, width))), $"Functional.MaxPool2d({A}.Reshape(1, 1, {n}), (1, {width}))", [a]);
            }
            case "AvgPool2d":
                return Emit(op, t => Atomic(t[a], () => Functional.AvgPool2d(t[a].Reshape(1, 1, n), (1, k), (1, 1))), $"Functional.AvgPool2d({A}.Reshape(1, 1, {n}), (1, {k}), (1, 1))", [a]);
            default:
            {
                int outW = Math.Max(1, (n + 1) / 2);
                return Emit(op, t => Atomic(t[a], () => Functional.AdaptiveAvgPool2d(t[a].Reshape(1, 1, n), (1, outW))), $"Functional.AdaptiveAvgPool2d({A}.Reshape(1, 1, {n}), (1, {outW}))", [a]);
            }
        }
    }

    private bool Linear(int a, int[] shape)
    {
        if (shape.Length == 0) return false;
        int outFeatures = 1 + Pick(3);
        int w = FreshInput([outFeatures, shape[^1]]);
        string text = $"Functional.Linear({_program.Entries[a].Name}, {_program.Entries[w].Name}";
        if (Pick(2) == 0) return Emit("Linear", t => Functional.Linear(t[a], t[w]), text + ")", [a, w]);
        int bias = FreshInput([outFeatures]);
        return Emit("Linear", t => Functional.Linear(t[a], t[w], t[bias]), text + $", {_program.Entries[bias].Name})", [a, w, bias]);
    }

    /// <summary>An earlier value whose shape broadcasts with <paramref name="shape"/>, or a fresh input of such a shape
    /// (some dims set to 1, leading dims dropped or one added). -1 if a divisor would come near zero.</summary>
    private int BroadcastPartner(int[] shape, bool divisor)
    {
        if (Pick(2) == 0)
        {
            var candidates = Enumerable.Range(0, _program.Entries.Count).Where(i => IsFloat(i) && Broadcasts(shape, _scratchValues[i].Shape.ToArray())).ToList();
            int chosen = candidates[Pick(candidates.Count)];
            if (!divisor || _scratchValues[chosen].ToArray().All(e => MathF.Abs(e) >= 0.3f)) return chosen;
        }
        List<int> partner = [];
        int drop = shape.Length == 0 ? 0 : Pick(shape.Length + 1);
        if (drop == 0 && shape.Length < 4 && Pick(4) == 3) partner.Add(1 + Pick(2)); // broadcast the other way: a new leading dim
        for (int d = drop; d < shape.Length; d++) partner.Add(Pick(3) == 0 ? 1 : shape[d]);
        return FreshInput(partner.ToArray());
    }

    private int SameShapePartner(int[] shape)
    {
        if (Pick(2) == 0)
            for (int i = 0; i < _program.Entries.Count; i++)
                if (IsFloat(i) && _scratchValues[i].Shape.SequenceEqual(shape)) return i;
        return FreshInput(shape);
    }

    private static bool Broadcasts(int[] a, int[] b)
    {
        for (int i = 1; i <= Math.Min(a.Length, b.Length); i++)
        {
            int x = a[^i], y = b[^i];
            if (x != y && x != 1 && y != 1) return false;
        }
        return true;
    }

    /// <summary>Evaluates the step on the scratch values; keeps it when the result is finite and bounded.</summary>
    private bool IsFloat(int entry) => _scratchValues[entry].DType == DType.Float32;

    private bool Emit(string op, Func<Tensor[], Tensor> apply, string text, int[] operands)
    {
        Tensor result;
        try
        {
            result = apply(_scratchValues.ToArray());
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            // The engine refused (or broke on) a step the builder thinks valid: keep the step and stop, so the property
            // fails on this program with the engine's exception, and CsCheck shrinks it.
            _program.Entries.Add(new RandomProgram.Entry("v" + _steps++, -1, op, apply, text, operands));
            _program.BuildError = error;
            return true;
        }
        float[] values = result.ToArray();
        if (values.Any(e => !float.IsFinite(e) || MathF.Abs(e) > Limit)) return false;
        string name = "v" + _steps++;
        _program.Entries.Add(new RandomProgram.Entry(name, -1, op, apply, text, operands));
        _scratchValues.Add(result);
        _differentiable.Add(op is not ("Detach" or "Cast" or "ArgMax" or "ArgMin") && !BoolResults.Contains(op) && operands.Any(i => _differentiable[i]));
        return true;
    }

    /// <summary>index (issue 16): an Int32 or Bool constant (an index or a mask) as a step of its own, made in the arena of
    /// entry <paramref name="anchor"/>; returns its entry, or -1 when it was not kept (or the engine refused it).</summary>
    private int Constant(int anchor, int[] values, int[] shape, bool boolean)
    {
        string text = $"arena.FromData([{string.Join(", ", boolean ? values.Select(v => B(v != 0)) : values.Select(v => v.ToString(CultureInfo.InvariantCulture)))}], " +
            $"[{string.Join(", ", shape)}])";
        Func<Tensor[], Tensor> make = boolean
            ? t => t[anchor].Arena.FromData(values.Select(v => v != 0).ToArray(), shape)
            : t => t[anchor].Arena.FromData(values, shape);
        if (!Emit("Constant", make, text, [anchor]) || _program.BuildError is not null) return -1;
        return _program.Entries.Count - 1;
    }

    /// <summary>index (issue 16): when the step after a constant was not kept, the constant goes too (so the latest value
    /// stays a float one); returns <paramref name="emitted"/>.</summary>
    private bool DropUnless(bool emitted, int constant)
    {
        if (!emitted && _program.Entries.Count - 1 == constant)
        {
            _program.Entries.RemoveAt(constant);
            _scratchValues.RemoveAt(constant);
            _differentiable.RemoveAt(constant);
        }
        return emitted;
    }

    /// <summary>index (issue 16): a step with a Bool result, then its conversion to float (two steps, each one op, so a
    /// capacity failure is checked between them).</summary>
    private bool EmitBool(string op, Func<Tensor[], Tensor> apply, string text, int[] operands)
    {
        if (!Emit(op, apply, text, operands)) return false;
        int bools = _program.Entries.Count - 1;
        return _program.BuildError is not null ||
            Emit("Cast", t => t[bools].To(DType.Float32), $"{_program.Entries[bools].Name}.To(DType.Float32)", [bools]);
    }

    private float Scalar()
    {
        float[] scalars = [2f, -0.5f, 1.5f, -3f, 0.75f];
        return scalars[Pick(scalars.Length)];
    }

    private static bool AwayFromZero(float[] values) => values.All(e => MathF.Abs(e) > Margin);

    private static bool UniqueMaxima(float[] v, int outer, int size, int inner)
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                float best = float.NegativeInfinity, second = float.NegativeInfinity;
                for (int d = 0; d < size; d++)
                {
                    float e = v[(o * size + d) * inner + i];
                    if (e > best) (best, second) = (e, best);
                    else if (e > second) second = e;
                }
                if (best - second < Margin) return false;
            }
        return true;
    }

    private static string F(float value) => value.ToString("R", CultureInfo.InvariantCulture) + "f";
    private static string B(bool value) => value ? "true" : "false";
}

/// <summary>The random programs' custom function: s·x³, with its derivative 3s·x² written with ops.</summary>
internal readonly struct ScaledCube(float scale) : ICustomFunction
{
    public Tensor Forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs)
    {
        ctx.SaveForBackward(inputs[0]);
        return inputs[0] * inputs[0] * inputs[0] * scale;
    }

    public void Backward(FunctionContext ctx, Tensor gradOutput, Span<Tensor?> gradInputs) =>
        gradInputs[0] = gradOutput * (3f * scale) * ctx.SavedTensors[0].Square();
}
