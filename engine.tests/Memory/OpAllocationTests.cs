using System.Runtime.CompilerServices;
using ArenaGrad.Optim;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Memory;

/// <summary>Each op's forward and backward in a scope, the forward without grad, optimizer steps, scopes, factories
/// and handle reads allocate no managed memory after warm-up and leave the arena's native memory where it was
/// (measured with ArenaGrad.Testing: warm-up, smallest of 10 batches, self-checks).</summary>
[NonParallelizable]
public sealed class OpAllocationTests
{
    /// <summary>An op under test, on two [4, 6] inputs with values in [0.5, 1.5).</summary>
    public delegate Tensor BinaryOp(Tensor a, Tensor b);

    private static readonly int[] Classes = [0, 5, 2, -100];

    /// <summary>The pieces the split cases write (a field, so the calls allocate nothing).</summary>
    private static readonly Tensor[] Pieces = new Tensor[4];
    // index (issue 16): index tensors' values and shapes
    private static readonly int[] Index5 = [5, 0, 2, 2, 1], Shape5 = [5], Index8 = [0, 5, 3, 3, 1, 2, 4, 0], Shape42 = [4, 2];
    private static readonly int[] Targets4 = [1, 5, -100, 0], Shape4 = [4];

    /// <summary>One case per opcode, named after it (<see cref="OpCases_CoverEveryOpCode"/> keeps it so), and a few
    /// shape variants.</summary>
    private static readonly (string Name, BinaryOp Op)[] Cases =
    [
        ("Add", (a, b) => a + b),
        ("Subtract", (a, b) => a - b),
        ("Multiply", (a, b) => a * b),
        ("Divide", (a, b) => a / b),
        ("AddBroadcast", (a, b) => a + b.Sum(0)),
        ("Negate", (a, b) => -a * b),
        ("AddScalar", (a, b) => (a + 2f) * (3f + b)),
        ("SubtractScalar", (a, b) => (a - 2f) * b),
        ("ReverseSubtractScalar", (a, b) => (3f - a) * b),
        ("MultiplyScalar", (a, b) => a * 2f + 3f * b),
        ("DivideScalar", (a, b) => a / 2f * b),
        ("ReverseDivideScalar", (a, b) => 3f / a * b),
        ("Exp", (a, _) => a.Exp()),
        ("Log", (a, _) => a.Log()),
        ("Tanh", (a, _) => a.Tanh()),
        ("Sigmoid", (a, _) => a.Sigmoid()),
        ("Relu", (a, b) => (a - b).Relu()),
        ("Sqrt", (a, _) => a.Sqrt()),
        ("Abs", (a, b) => (a - b).Abs()),
        ("Square", (a, _) => a.Square()),
        ("Pow", (a, _) => a.Pow(1.5f)),
        ("LeakyRelu", (a, b) => (a - b).LeakyRelu(0.1f)),
        ("Clamp", (a, _) => a.Clamp(0.7f, 1.2f)),
        ("MatMul", (a, b) => a.MatMul(b.Transpose(0, 1))),
        ("MatMulVector", (a, b) => a.MatMul(b.Sum(0))),
        ("Linear", (a, b) => Functional.Linear(a, b, b.Sum(1))),
        ("Reshape", (a, b) => a.Reshape(6, -1) * b.Reshape(6, 4)),
        ("Transpose", (a, b) => a.Transpose(0, 1) * b.Transpose(1, 0)),
        ("Concat", (a, b) => Functional.Cat([a, b, a], 1)),
        ("Detach", (a, b) => a.Detach() * b),
        ("SumAll", (a, _) => a.Sum()),
        ("SumDim", (a, _) => a.Sum(1, keepDim: true)),
        ("MeanAll", (a, _) => a.Mean()),
        ("MeanDim", (a, _) => a.Mean(0)),
        ("MaxAll", (a, _) => a.Max()),
        ("MaxDim", (a, _) => a.Max(1, keepDim: true)),
        ("Softmax", (a, b) => a.Softmax(1) * b),
        ("LogSoftmax", (a, b) => a.LogSoftmax(0) * b),
        ("MseLoss", (a, b) => Functional.MseLoss(a, b)),
        ("L1LossMean", (a, b) => Functional.L1Loss(a, b)),
        ("L1LossSum", (a, b) => Functional.L1Loss(a, b, Reduction.Sum)),
        ("L1LossNone", (a, b) => Functional.L1Loss(a, b, Reduction.None)),
        ("SmoothL1Loss", (a, b) => Functional.SmoothL1Loss(a, b, 0.5f)),
        ("HuberLoss", (a, b) => Functional.HuberLoss(a, b, 0.3f)),
        ("BinaryCrossEntropyWithLogits", (a, b) => Functional.BinaryCrossEntropyWithLogits(a, b * 0.5f)),
        ("NllLoss", (a, _) => Functional.NllLoss(a.LogSoftmax(1), Classes)),
        ("CrossEntropy", (a, _) => Functional.CrossEntropy(a, Classes)),
        ("CrossEntropySmoothed", (a, _) => Functional.CrossEntropy(a, Classes, labelSmoothing: 0.1f)),
        // dtypes (issue 16)
        ("Cast", (a, b) => a.To(DType.Int32).To(DType.Bool).To(DType.Float32) * b),
        // views and shape ops (issue 16); Split, SplitWithSizes and Chunk fill Pieces through their span overloads
        ("Slice", (a, b) => a.Slice(1, 1, 6, 2) * b.Narrow(1, -3, 3)),
        ("Select", (a, b) => a.Select(1, 2) * b.Select(-1, -1)),
        ("Permute", (a, b) => a.Reshape(2, 2, 6).Permute(2, 0, 1) * b.Reshape(2, 2, 6).Permute(-1, 1, 0)),
        ("Unsqueeze", (a, b) => a.Unsqueeze(1) * b.Unsqueeze(-1).Transpose(1, 2)),
        ("SqueezeAll", (a, b) => a.Unsqueeze(0).Squeeze() * b),
        ("SqueezeDim", (a, b) => a.Unsqueeze(2).Squeeze(2) * b.Squeeze(0)),
        ("Expand", (a, b) => a.Sum(0, keepDim: true).Expand(3, 4, -1) * b),
        ("Repeat", (a, b) => a.Repeat(2, 1, 2) * b.Repeat(1, 2)),
        ("Stack", (a, b) => Functional.Stack([a, b], 1)),
        ("Flatten", (a, b) => a.Reshape(2, 2, 6).Flatten(1) * b.Reshape(2, 12).Flatten(0, 1).Reshape(2, 12)),
        ("Split", (a, b) => a.Split(4, Pieces, 1) == 2 ? Pieces[0].Narrow(1, 0, 2) * Pieces[1] * b.Narrow(1, 4, 2) : b),
        ("SplitWithSizes", (a, b) => a.Split([1, 3], Pieces, 0) == 2 ? Pieces[0] * Pieces[1] * b.Split([3, 1], Pieces, 0) * Pieces[0] : b),
        ("Chunk", (a, b) => a.Chunk(4, Pieces, 1) == 3 ? Pieces[0] * Pieces[1] * Pieces[2] * b.Narrow(1, 0, 2) : b),
        // reductions (issue 16)
        ("MinAll", (a, _) => a.Min()),
        ("MinDim", (a, _) => a.Min(1, keepDim: true)),
        ("MaxDimWithIndices", (a, b) => a.MaxWithIndices(1).Values * b.MaxWithIndices(1).Indices.To(DType.Float32)),
        ("MinDimWithIndices", (a, _) => a.MinWithIndices(0, keepDim: true).Values),
        ("ArgMax", (a, b) => a.ArgMax(1).To(DType.Float32) * b.Sum(1) + a.ArgMax().To(DType.Float32)),
        ("ArgMin", (a, b) => a.ArgMin(0, keepDim: true).To(DType.Float32) * b),
        ("Var", (a, _) => a.Var(1) + a.Var()),
        ("Std", (a, _) => a.Std(0, correction: 0) + a.Std()),
        ("Norm", (a, _) => a.Norm() + a.Norm(3f, 1).Sum() + a.Norm(float.PositiveInfinity, 0).Sum()),
        ("LogSumExp", (a, _) => a.LogSumExp(1)),
        ("CumSum", (a, b) => a.CumSum(0) * b),
        ("ProdAll", (a, _) => a.Prod()),
        ("ProdDim", (a, _) => a.Prod(1, keepDim: true)),
        // math (issue 16)
        ("Sin", (a, _) => a.Sin()),
        ("SinLargeArguments", (a, _) => (a * 1e6f).Sin() + (a * 3e30f).Cos()), // the exact reduction
        ("Cos", (a, _) => a.Cos()),
        ("Log1p", (a, _) => a.Log1p()),
        ("Expm1", (a, _) => a.Expm1()),
        ("Erf", (a, b) => (a - b).Erf()),
        ("Rsqrt", (a, _) => a.Rsqrt()),
        ("Reciprocal", (a, _) => a.Reciprocal()),
        ("Sign", (a, b) => (a - b).Sign() * b),
        ("Floor", (a, b) => (a * 3f).Floor() * b),
        ("Round", (a, b) => (a * 3f).Round() * b),
        ("Softplus", (a, b) => (a - b).Softplus(2f, 0.5f)),
        ("Elu", (a, b) => (a - b).Elu(0.5f)),
        ("Gelu", (a, b) => (a - b).Gelu()),
        ("GeluTanh", (a, b) => (a - b).Gelu(tanhApproximation: true)),
        ("Silu", (a, b) => (a - b).Silu()),
        ("Mish", (a, b) => (a - b).Mish()),
        ("Hardtanh", (a, _) => a.Hardtanh(0.7f, 1.2f)),
        ("Minimum", (a, b) => Functional.Minimum(a, b)),
        ("Maximum", (a, b) => Functional.Maximum(a, b.Sum(0))),
        // index (issue 16): index and mask tensors are made inside the measured call (factories allocate nothing either)
        ("IndexSelect", (a, b) => a.IndexSelect(1, a.Arena.FromData(Index5, Shape5)) * 2f),
        ("Gather", (a, b) => a.Gather(1, a.Arena.FromData(Index8, Shape42))),
        ("ScatterAdd", (a, b) => a.ScatterAdd(1, a.Arena.FromData(Index8, Shape42), b)),
        ("MaskedFill", (a, b) => a.MaskedFill(a.Gt(b), 0.5f)),
        ("Where", (a, b) => Functional.Where(a.Lt(b), a, b.Sum(0))),
        ("WhereScalar", (a, b) => Functional.Where(a.Lt(1f), a, 0.25f)),
        ("Equal", (a, b) => a.Eq(b).To(DType.Float32) * b),
        ("NotEqual", (a, b) => a.Ne(b).To(DType.Float32) * b),
        ("Less", (a, b) => a.Lt(b).To(DType.Float32) * b),
        ("LessEqual", (a, b) => a.Le(b).To(DType.Float32) * b),
        ("Greater", (a, b) => a.Gt(b).To(DType.Float32) * b),
        ("GreaterEqual", (a, b) => a.Ge(b).To(DType.Float32) * b),
        ("EqualScalar", (a, b) => a.Eq(1f).To(DType.Float32) * b),
        ("NotEqualScalar", (a, b) => a.Ne(1f).To(DType.Float32) * b),
        ("LessScalar", (a, b) => a.Lt(1f).To(DType.Float32) * b),
        ("LessEqualScalar", (a, b) => a.Le(1f).To(DType.Float32) * b),
        ("GreaterScalar", (a, b) => a.Gt(1f).To(DType.Float32) * b),
        ("GreaterEqualScalar", (a, b) => a.Ge(1f).To(DType.Float32) * b),
        ("LogicalNot", (a, b) => a.Gt(1f).LogicalNot().To(DType.Float32) * b),
        ("LogicalAnd", (a, b) => a.Gt(1f).LogicalAnd(b.Gt(1f)).To(DType.Float32) * b),
        ("LogicalOr", (a, b) => a.Gt(1f).LogicalOr(b - 1f).To(DType.Float32) * b),
        ("LogicalXor", (a, b) => a.Gt(1f).LogicalXor(b.Gt(1f)).To(DType.Float32) * b),
        ("CrossEntropyProbabilities", (a, b) => Functional.CrossEntropy(a, b.Softmax(1), labelSmoothing: 0.1f)),
        ("CrossEntropyProbabilitiesSum", (a, b) => Functional.CrossEntropy(a, b.Softmax(1), Reduction.None)),
        ("NllLossTensorTargets", (a, _) => Functional.NllLoss(a.LogSoftmax(1), a.Arena.FromData(Targets4, Shape4))),
        ("CrossEntropyTensorTargets", (a, _) => Functional.CrossEntropy(a, a.Arena.FromData(Targets4, Shape4), labelSmoothing: 0.2f)),
        ("Custom", (a, b) => Autograd.Apply(new ScaledProduct(0.5f), a, b)),
        // convolution and pooling (issue 18)
        ("Convolution", (a, b) => Functional.Conv2d(a.Reshape(1, 1, 4, 6), b.Reshape(2, 1, 3, 4), b.Sum(1).Narrow(0, 0, 2), 1, 1)),
        ("Conv1dGroupsUnbatched", (a, b) => Functional.Conv1d(a.Reshape(4, 6), b.Reshape(4, 2, 3), null, 2, 1, 1, 2)),
        ("Im2Col", (a, b) => Functional.Unfold(a.Reshape(1, 1, 4, 6), 2) * b.Sum()),
        ("Col2Im", (a, b) => Functional.Fold(a.Reshape(1, 4, 6), (3, 4), (2, 2)) * b.Sum()),
        ("MaxPool2d", (a, b) => Functional.MaxPool2d((a * b).Reshape(1, 1, 4, 6), 3, 1, 1)),
        ("AvgPool2d", (a, b) => Functional.AvgPool2d((a * b).Reshape(2, 2, 6), 2)),
        ("AdaptiveAvgPool2d", (a, b) => Functional.AdaptiveAvgPool2d((a * b).Reshape(1, 4, 6), (3, 4))),
        // normalization and attention (issue 18): the normalized shape is read from the input (a span, no array)
        ("LayerNorm", (a, b) => Functional.LayerNorm(a, a.Shape[1..], b.Sum(0), b.Mean(0))),
        ("LayerNormTwoDims", (a, b) => Functional.LayerNorm(a * b, a.Shape)),
        ("ScaledDotProductAttention", (a, b) => Functional.ScaledDotProductAttention(a, b, a * b, isCausal: true)),
        // recurrent (issue 18): the fused gate ops on [4, 6] projections (H = 2) and on [4, 12] ones (H = 3)
        ("GruCell", (a, b) => Functional.RecurrentGates(ArenaGrad.Tape.OpCode.GruCell, a, b, a.Narrow(1, 0, 2), 2, 3)),
        ("LstmCellState", (a, b) => Functional.RecurrentGates(ArenaGrad.Tape.OpCode.LstmCellState, Functional.Cat([a, b], 1), Functional.Cat([b, a], 1), b.Narrow(1, 0, 3), 3, 3)),
        ("LstmCellOutput", (a, b) => Functional.RecurrentGates(ArenaGrad.Tape.OpCode.LstmCellOutput, Functional.Cat([a, b], 1), Functional.Cat([b, a], 1), b.Narrow(1, 0, 3), 3, 2)),
        // normalization and embeddings (issue 18)
        ("BatchNorm", (a, b) => Functional.BatchNorm(a, null, null, b.Sum(0), b.Mean(0), training: true) * b),
        ("BatchNormEval", (a, b) => Functional.BatchNorm(a, b.Mean(0), b.Sum(0), b.Sum(0), null) * b),
        ("Embedding", (a, b) => Functional.Embedding(a.Arena.FromData(Index4, Shape22), a, paddingIdx: 2) * 2f),
    ];

    private static readonly int[] Index4 = [3, 0, 2, 2], Shape22 = [2, 2];

    /// <summary>A custom function for the Custom case: 0 B per Apply and per backward once the arena has seen its type.</summary>
    private readonly struct ScaledProduct(float scale) : ICustomFunction
    {
        public Tensor Forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs)
        {
            ctx.SaveForBackward(inputs);
            return inputs[0] * inputs[1] * scale;
        }

        public void Backward(FunctionContext ctx, Tensor gradOutput, Span<Tensor?> gradInputs)
        {
            gradInputs[0] = gradOutput * ctx.SavedTensors[1] * scale;
            gradInputs[1] = gradOutput * ctx.SavedTensors[0] * scale;
        }
    }

    private static IEnumerable<TestCaseData> Ops() => Cases.Select(c => new TestCaseData(c.Op).SetArgDisplayNames(c.Name));

    [Test]
    public void OpCases_CoverEveryOpCode() =>
        Assert.That(Enum.GetNames<ArenaGrad.Tape.OpCode>().Except(Cases.Select(c => c.Name)), Is.Empty,
            "opcodes without an allocation case: add them to Cases");

    [TestCaseSource(nameof(Ops))]
    public void ForwardAndBackwardInAScope_AllocatesNothingAndAddsNoNativeMemory(BinaryOp op)
    {
        using var arena = new Arena(new ArenaOptions { Seed = 11 });
        Tensor a = arena.Uniform([4, 6], 0.5f, 1.5f, requiresGrad: true), b = arena.Uniform([4, 6], 0.5f, 1.5f, requiresGrad: true);
        Assert.That(() => ForwardBackward(arena, op, a, b), Allocates.Nothing & Allocates.NoNativeGrowth(arena));
        Assert.That(a.Grad is not null || b.Grad is not null, Is.True, "backward reached an input");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ForwardBackward(Arena arena, BinaryOp op, Tensor a, Tensor b)
    {
        a.ZeroGrad();
        b.ZeroGrad();
        using (arena.Scope()) op(a, b).Sum().Backward();
    }

    /// <summary>The graph rules too (issue 17): first gradients with createGraph, then the gradient of their sum, 0 B.</summary>
    [TestCaseSource(nameof(Ops))]
    public void DoubleBackwardInAScope_AllocatesNothingAndAddsNoNativeMemory(BinaryOp op)
    {
        using var arena = new Arena(new ArenaOptions { Seed = 11 });
        Tensor a = arena.Uniform([4, 6], 0.5f, 1.5f, requiresGrad: true), b = arena.Uniform([4, 6], 0.5f, 1.5f, requiresGrad: true);
        Tensor?[] results = new Tensor?[2];
        Assert.That(() => DoubleBackward(arena, op, a, b, results), Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DoubleBackward(Arena arena, BinaryOp op, Tensor a, Tensor b, Tensor?[] results)
    {
        using (arena.Scope())
        {
            Tensor y = op(a, b).Sum();
            if (!y.RequiresGrad) return;
            Autograd.Grad(new ReadOnlySpan<Tensor>(in y), [a, b], default, results, createGraph: true, allowUnused: true);
            Tensor? s = null;
            foreach (Tensor? g in results)
                if (g is Tensor t && t.RequiresGrad) s = s is Tensor sum ? sum + t.Sum() : t.Sum();
            if (s is Tensor total) Autograd.Grad(new ReadOnlySpan<Tensor>(in total), [a, b], default, results, allowUnused: true);
        }
    }

    [TestCaseSource(nameof(Ops))]
    public void ForwardWithoutGradInAScope_AllocatesNothingAndAddsNoNativeMemory(BinaryOp op)
    {
        using var arena = new Arena(new ArenaOptions { Seed = 11 });
        Tensor a = arena.Uniform([4, 6], 0.5f, 1.5f), b = arena.Uniform([4, 6], 0.5f, 1.5f);
        float total = 0f;
        Assert.That(() => { total += Forward(arena, op, a, b); }, Allocates.Nothing & Allocates.NoNativeGrowth(arena));
        Assert.That(float.IsFinite(total), Is.True);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Forward(Arena arena, BinaryOp op, Tensor a, Tensor b)
    {
        using (arena.Scope()) return op(a, b).Sum().Item();
    }

    private static IEnumerable<TestCaseData> Optimizers()
    {
        yield return new TestCaseData((Func<IReadOnlyList<Tensor>, Optimizer>)(p => new Sgd(p, 0.01f))).SetArgDisplayNames("Sgd");
        yield return new TestCaseData((Func<IReadOnlyList<Tensor>, Optimizer>)(p => new Sgd(p, 0.01f, 0.9f, 0.1f, 1e-4f)))
            .SetArgDisplayNames("SgdMomentum");
        yield return new TestCaseData((Func<IReadOnlyList<Tensor>, Optimizer>)(p => new Sgd(p, 0.01f, 0.9f, 0f, 1e-4f, nesterov: true)))
            .SetArgDisplayNames("SgdNesterov");
        yield return new TestCaseData((Func<IReadOnlyList<Tensor>, Optimizer>)(p => new Adam(p))).SetArgDisplayNames("Adam");
        yield return new TestCaseData((Func<IReadOnlyList<Tensor>, Optimizer>)(p => new Adam(p, 1e-3f, amsgrad: true, weightDecay: 1e-4f)))
            .SetArgDisplayNames("AdamAmsgrad");
        yield return new TestCaseData((Func<IReadOnlyList<Tensor>, Optimizer>)(p => new AdamW(p))).SetArgDisplayNames("AdamW");
    }

    [TestCaseSource(nameof(Optimizers))]
    public void OptimizerStepAndSchedulerStep_AllocateNothingAndAddNoNativeMemory(Func<IReadOnlyList<Tensor>, Optimizer> make)
    {
        using var arena = new Arena(new ArenaOptions { Seed = 5 });
        Tensor w = arena.Uniform([8, 4], -1f, 1f, requiresGrad: true), bias = arena.Zeros([8], requiresGrad: true);
        Optimizer optimizer = make([w, bias]);
        var schedule = new StepLR(optimizer, stepSize: 10, gamma: 0.99f);
        using (arena.Scope()) Functional.Linear(arena.Ones([2, 4]), w, bias).Square().Sum().Backward(); // gradients to step with
        Assert.That(() =>
        {
            optimizer.Step();
            schedule.Step();
        }, Allocates.Nothing & Allocates.NoNativeGrowth(arena));
        Assert.That(() => optimizer.ZeroGrad(), Allocates.Nothing);
        Assert.That(w.Grad, Is.Null);
    }

    [Test]
    public void ScopesAndGradModes_AllocateNothingAndAddNoNativeMemory()
    {
        using var arena = new Arena();
        Assert.That(() =>
        {
            using (arena.Scope())
            {
                using (arena.Scope()) _ = arena.Zeros([3]);
                using (arena.NoGrad())
                using (arena.EnableGrad())
                using (arena.SetGradEnabled(false)) _ = arena.Ones([2]);
            }
        }, Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    [Test]
    public void FactoriesInAScope_AllocateNothingAndAddNoNativeMemory()
    {
        using var arena = new Arena();
        float[] data = [1f, 2f, 3f, 4f, 5f, 6f];
        Assert.That(() =>
        {
            using (arena.Scope())
            {
                _ = arena.Zeros([2, 3], requiresGrad: true);
                _ = arena.Ones([2, 3]);
                _ = arena.Full([2, 3], 7f);
                _ = arena.Scalar(2f, requiresGrad: true);
                _ = arena.FromData(data, [3, 2]);
                _ = arena.FromData(data);
                _ = arena.Range(1, 6);
                _ = arena.Arange(0f, 3f, 0.5f);
                _ = arena.Rand([4]);
                _ = arena.Uniform([4], -1f, 1f);
                _ = arena.Randn([4], requiresGrad: true);
            }
        }, Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    [Test]
    public void HandleReads_AllocateNothing()
    {
        using var arena = new Arena();
        Tensor w = arena.Ones([2, 3], requiresGrad: true);
        Tensor y = (w * 2f).Sum();
        y.Backward(retainGraph: true);
        Tensor stale;
        using (arena.Scope()) stale = arena.Zeros([1]);
        Span<float> buffer = stackalloc float[6];
        float[] destination = new float[6];
        long sink = 0;
        Assert.That(() =>
        {
            w.CopyTo(destination);
            sink += w.Shape[1] + w.Rank + w.Count + w.Size(0) + (w.RequiresGrad ? 1 : 0) + (w.IsLeaf ? 1 : 0) + (w.IsAlive ? 1 : 0)
                + (stale.IsAlive ? 1 : 0) + (default(Tensor).IsAlive ? 1 : 0) + (w.Grad is { } g ? g.Count : 0) + (y.GradFn?.Length ?? 0)
                + (w.Equals(y) ? 1 : 0) + w.GetHashCode() + (long)y.Item() + (long)w.AsSpanUnsafely()[0] + (long)destination[5];
        }, Allocates.Nothing);
        w.CopyTo(buffer);
        Assert.That(buffer[5], Is.EqualTo(1f));
        Assert.That(sink, Is.Not.Zero);
    }
}
