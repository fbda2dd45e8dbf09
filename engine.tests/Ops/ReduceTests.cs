namespace ArenaGrad.Tests.Ops;

/// <summary>The reduce family (issue 16) against finite differences (<see cref="Autograd.GradCheck"/>) on inputs away
/// from ties and kinks, and the PyTorch 1.13 behaviour the golden programs (Golden/ops/reduce) cannot state: grad_fn
/// names, index dtypes, which overload a call picks, gradients that stay None, messages, captured replays.</summary>
public sealed class ReduceTests
{
    private static readonly int[] S34 = [3, 4];
    private static readonly int[] S243 = [2, 4, 3];

    /// <summary>Inputs of <paramref name="shapes"/> with distinct values drawn from ±[lo, hi] (fixed seed, magnitudes at
    /// least 0.02 apart, so no max, min or |x| ties and no zeros), all requiring grad.</summary>
    private static void Check(TensorFunction program, int[][] shapes, float lo = 0.3f, float hi = 2f, bool positive = false, int seed = 16)
    {
        var random = new Random(seed);
        using var arena = new Arena();
        var inputs = new Tensor[shapes.Length];
        var used = new List<float>();
        for (int i = 0; i < shapes.Length; i++)
        {
            int count = shapes[i].Aggregate(1, (a, b) => a * b);
            var values = new float[count];
            for (int j = 0; j < count; j++)
            {
                float v;
                do v = lo + (float)random.NextDouble() * (hi - lo);
                while (used.Any(u => MathF.Abs(u - v) < 0.02f));
                used.Add(v);
                values[j] = positive || random.Next(2) == 0 ? v : -v;
            }
            inputs[i] = arena.FromData(values, shapes[i], requiresGrad: true);
        }
        GradCheckResult result = Autograd.GradCheck(program, inputs, epsilon: 1e-2f, absoluteTolerance: 3e-3, relativeTolerance: 3e-2);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test] public void Min_All() => Check(t => t[0].Min(), [S34]);
    [Test] public void Min_Dim() => Check(t => t[0].Min(1) * t[0].Min(0, keepDim: true).Sum(), [S34]);
    [Test] public void Amin_Amax_StridedAxis() => Check(t => t[0].Amin(1).Sum() + t[0].Amax(1, keepDim: true).Square().Sum(), [S243]);
    [Test] public void MaxWithIndices_Values() => Check(t => t[0].MaxWithIndices(1).Values * t[0].MaxWithIndices(0, keepDim: true).Values.Sum(), [S34]);
    [Test] public void MinWithIndices_Values_StridedAxis() => Check(t => t[0].MinWithIndices(1).Values.Exp(), [S243]);
    [Test] public void Var_Dim_Corrections() => Check(t => t[0].Var(1) + t[0].Var(1, correction: 0) * 2f + t[0].Var(1, correction: 2).Square(), [S34]);
    [Test] public void Var_StridedAxis_KeepDim() => Check(t => t[0].Var(1, keepDim: true).Sum() + t[0].Var(0).Sum(), [S243]);
    [Test] public void Var_AllElements() => Check(t => t[0].Var() + t[0].Var(correction: 0, keepDim: true).Sum(), [S34]);
    [Test] public void Std_Dim_And_All() => Check(t => t[0].Std(1).Sum() + t[0].Std(0, correction: 0).Square().Sum() + t[0].Std(), [S34]);
    [Test] public void Std_StridedAxis() => Check(t => t[0].Std(1).Log().Sum(), [S243]);

    [TestCase(2f)]
    [TestCase(1f)]
    [TestCase(float.PositiveInfinity)]
    [TestCase(float.NegativeInfinity)]
    [TestCase(3f)]
    [TestCase(0.5f)]
    [TestCase(1.5f)]
    [TestCase(-1f)]
    [TestCase(-2.5f)]
    public void Norm_AllAndAlongDims(float p) =>
        Check(t => t[0].Norm(p) + t[0].Norm(p, 1).Sum() * 0.5f + t[0].Norm(p, 0, keepDim: true).Square().Sum(), [S34]);

    [Test] public void Norm_StridedAxis() => Check(t => t[0].Norm(2f, 1).Sum() + t[0].Norm(3f, 1).Sum(), [S243]);
    [Test] public void LogSumExp_Contiguous_And_Strided() => Check(t => t[0].LogSumExp(2).Square().Sum() + t[0].LogSumExp(1, keepDim: true).Sum(), [S243], -3f, 3f);
    [Test] public void CumSum_EachDim() => Check(t => t[0].CumSum(0).Square().Sum() + t[0].CumSum(1).Tanh().Sum() + t[0].CumSum(-1).Sum(), [S243]);
    [Test] public void Prod_Dim_And_All() => Check(t => t[0].Prod(1).Sum() + t[0].Prod(0, keepDim: true).Square().Sum() + t[0].Prod(), [S34], 0.5f, 1.5f);
    [Test] public void Prod_StridedAxis() => Check(t => t[0].Prod(1).Sum(), [S243], 0.5f, 1.5f);

    [Test]
    public void Prod_WithZeros_IsMultilinear_SoFiniteDifferencesAgreeEvenAtZero()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([0f, 2f, 3f, 0f, 0f, 4f, 1.5f, -2f, 0.5f], [3, 3], requiresGrad: true);
        GradCheckResult result = Autograd.GradCheck(t => t[0].Prod(1).Sum() + t[0].Prod(0).Sum(), [x], epsilon: 1e-2f);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void Prod_All_OneZero_GivesTheProductOfTheOthers_TwoZerosGiveZero()
    {
        using var arena = new Arena();
        Tensor one = arena.FromData([2f, 0f, -3f, 0.5f], [2, 2], requiresGrad: true);
        one.Prod().Backward();
        Assert.That(one.Grad!.Value.ToArray(), Is.EqualTo(new[] { 0f, -3f, 0f, 0f }));
        Tensor two = arena.FromData([2f, 0f, 0f, float.PositiveInfinity], [4], requiresGrad: true);
        two.Prod().Backward();
        Assert.That(two.Grad!.Value.ToArray(), Is.EqualTo(new[] { 0f, 0f, 0f, 0f }), "PyTorch's zeros_like, even beside an infinity");
    }

    [Test]
    public void GradFnNames_ArePyTorchs()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([0.5f, 1.5f, -2f, 3f, 1f, 0.25f], [2, 3], requiresGrad: true);
        Assert.Multiple(() =>
        {
            Assert.That(x.Min().GradFn, Is.EqualTo("MinBackward1"));
            Assert.That(x.Min(1).GradFn, Is.EqualTo("AminBackward0"));
            Assert.That(x.Amin(0).GradFn, Is.EqualTo("AminBackward0"));
            Assert.That(x.Amax(0).GradFn, Is.EqualTo("AmaxBackward0"));
            Assert.That(x.MaxWithIndices(1).Values.GradFn, Is.EqualTo("MaxBackward0"));
            Assert.That(x.MinWithIndices(1).Values.GradFn, Is.EqualTo("MinBackward0"));
            Assert.That(x.Var(1).GradFn, Is.EqualTo("VarBackward0"));
            Assert.That(x.Var().GradFn, Is.EqualTo("VarBackward0"));
            Assert.That(x.Std(0).GradFn, Is.EqualTo("StdBackward0"));
            Assert.That(x.Std().GradFn, Is.EqualTo("StdBackward0"));
            Assert.That(x.Norm().GradFn, Is.EqualTo("NormBackward1"));
            Assert.That(x.Norm(1f, 1).GradFn, Is.EqualTo("NormBackward1"));
            Assert.That(x.LogSumExp(1).GradFn, Is.EqualTo("LogsumexpBackward0"));
            Assert.That(x.CumSum(1).GradFn, Is.EqualTo("CumsumBackward0"));
            Assert.That(x.Prod().GradFn, Is.EqualTo("ProdBackward0"));
            Assert.That(x.Prod(1).GradFn, Is.EqualTo("ProdBackward1"));
            Assert.That(x.ArgMax(1).GradFn, Is.Null);
            Assert.That(x.MaxWithIndices(1).Indices.GradFn, Is.Null);
        });
    }

    [Test]
    public void Indices_AreInt32Leaves_ThatDoNotRequireGrad_AndArgMaxRecordsNothing()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([0.5f, 1.5f, 1.5f, 3f, 1f, 3f], [2, 3], requiresGrad: true);
        (Tensor values, Tensor indices) = x.MaxWithIndices(1, keepDim: true);
        Assert.That(values.Shape.ToArray(), Is.EqualTo(new[] { 2, 1 }));
        Assert.That(indices.DType, Is.EqualTo(DType.Int32));
        Assert.That(indices.RequiresGrad, Is.False);
        Assert.That(indices.IsLeaf, Is.True);
        Assert.That(indices.ToIntArray(), Is.EqualTo(new[] { 1, 0 }), "the first index of the max");

        int tape = arena.TapeLength;
        Tensor argmax = x.ArgMax(1);
        Assert.That(argmax.DType, Is.EqualTo(DType.Int32));
        Assert.That(argmax.RequiresGrad, Is.False);
        Assert.That(arena.TapeLength, Is.EqualTo(tape), "no derivative, so nothing on the tape");
        Assert.That(x.ArgMax().ToIntArray(), Is.EqualTo(new[] { 3 }), "torch.argmax(x) flattens");
        Assert.That(x.ArgMax().Shape.ToArray(), Is.Empty);
    }

    [Test]
    public void MaxWithIndices_GivesTheGradientToTheReturnedIndexOnly_WhileAmaxSharesIt()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([2f, 5f, 5f, 1f], [4], requiresGrad: true);
        x.MaxWithIndices(0).Values.Backward();
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 0f, 1f, 0f, 0f }));
        x.ZeroGrad();
        x.Amax(0).Backward();
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 0f, 0.5f, 0.5f, 0f }));
        x.ZeroGrad();
        x.MinWithIndices(0).Values.Backward();
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 0f, 0f, 0f, 1f }));
    }

    [Test]
    public void Var_IntArgumentIsTheDim_AsTorchVarXZero_AndNullDimIsEveryElement()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f, 4f, 3f, 3f, 3f], [2, 3]);
        Assert.That(x.Var(0).ToArray(), Is.EqualTo(new[] { 2f, 0.5f, 0.5f }), "x.Var(0) reduces dim 0");
        Assert.That(x.Std(1, correction: 0).Shape.ToArray(), Is.EqualTo(new[] { 2 }));
        Assert.That(x.Var().Item(), Is.EqualTo(16f / 15f).Within(1e-6f), "every element, Bessel's correction");
        Assert.That(x.Var(correction: 0).Item(), Is.EqualTo(16f / 18f).Within(1e-6f));
        Assert.That(x.Var(null, 0, keepDim: true).Shape.ToArray(), Is.EqualTo(new[] { 1, 1 }));
    }

    [Test]
    public void Var_SliceNoLargerThanTheCorrection_IsInfOrNaN()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f, 4f, 3f, 3f, 3f], [2, 3]);
        Assert.That(x.Var(1, correction: 3).ToArray(), Is.EqualTo(new[] { float.PositiveInfinity, float.NaN }));
        Assert.That(arena.FromData([5f], [1]).Std(0).Item(), Is.NaN);
        Assert.That(arena.Zeros([2, 0]).Var(1).ToArray(), Is.EqualTo(new[] { float.NaN, float.NaN }));
    }

    [Test]
    public void Norm_P0_LeavesTheGradientNone_AndNormOfZerosHasZeroGradient()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 0f, -2f], [3], requiresGrad: true);
        Tensor count = x.Norm(0f);
        Assert.That(count.Item(), Is.EqualTo(2f));
        count.Backward();
        Assert.That(x.Grad, Is.Null, "PyTorch's norm_backward returns an undefined gradient for p = 0");

        Tensor zeros = arena.Zeros([2, 3], requiresGrad: true);
        (zeros.Norm() + zeros.Norm(2f, 1).Sum() + zeros.Norm(3f)).Backward();
        Assert.That(zeros.Grad!.Value.ToArray(), Is.All.EqualTo(0f));
    }

    [Test]
    public void LogSumExp_DoesNotOverflow_AndKeepsInfinities()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1000f, 1000f, float.NegativeInfinity, float.NegativeInfinity, float.PositiveInfinity, 0f], [3, 2]);
        float[] y = x.LogSumExp(1).ToArray();
        Assert.That(y[0], Is.EqualTo(1000f + MathF.Log(2f)).Within(1e-3f));
        Assert.That(y[1], Is.EqualTo(float.NegativeInfinity));
        Assert.That(y[2], Is.EqualTo(float.PositiveInfinity));
    }

    [Test]
    public void CumSum_AddsInIndexOrder_InDouble()
    {
        using var arena = new Arena();
        // In float, 1e8 + 1 + 1 - 1e8 is 0; added in a double and rounded per element it is 2.
        Tensor x = arena.FromData([1e8f, 1f, 1f, -1e8f], [4]);
        Assert.That(x.CumSum(0).ToArray(), Is.EqualTo(new[] { 1e8f, 1e8f, 1e8f + 2f, 2f }));
    }

    [Test]
    public void VarAndStd_OfAnEmptySlice_AreNaN_EvenWithANegativeCorrection()
    {
        // torch 1.13: var(zeros(3, 0), 1, correction=-2) is [nan, nan, nan] (found by the probe: 0 / (0 + 2) gave 0 here)
        using var arena = new Arena();
        Tensor empty = arena.Zeros([3, 0]);
        Assert.That(empty.Var(1, correction: -2).ToArray(), Is.All.NaN);
        Assert.That(empty.Std(null, correction: -1).Item(), Is.NaN);
        Assert.That(arena.Ones([2, 1]).Var(1, correction: -1).ToArray(), Is.EqualTo(new[] { 0f, 0f }), "one element: 0 / 2");
    }

    [Test]
    public void AmaxAndAmin_OfA0dTensorAlongItsDim_AreAmax_NaNGradientAtNaN()
    {
        // torch 1.13: amax(nan, 0) is AmaxBackward0 and x.grad is nan (0 of 0 elements equal the result); max() gives the
        // gradient to the NaN. Found by the differential probe: the 0-d case was max()/min() here.
        using var arena = new Arena();
        foreach (bool max in new[] { true, false })
        {
            Tensor nan = arena.FromData([float.NaN], [], requiresGrad: true), two = arena.FromData([2f], [], requiresGrad: true);
            Tensor y = max ? nan.Amax(0) : nan.Amin(-1, keepDim: true), z = max ? two.Amax(0, keepDim: true) : two.Amin(0);
            Assert.That(y.GradFn, Is.EqualTo(max ? "AmaxBackward0" : "AminBackward0"));
            Assert.That(y.Shape.Length + z.Shape.Length, Is.Zero);
            (y + z).Backward();
            Assert.That(nan.Grad!.Value.Item(), Is.NaN);
            Assert.That(two.Grad!.Value.Item(), Is.EqualTo(1f));
        }
    }

    [Test]
    public void EmptyReductions_ThrowPyTorchsMessages_AndLeaveTheArenaAsItWas()
    {
        using var arena = new Arena();
        Tensor empty = arena.Zeros([2, 0]);
        int tensors = arena.TensorCount;
        Assert.Multiple(() =>
        {
            Assert.That(() => empty.Min(), Throws.InvalidOperationException.With.Message.EqualTo(
                "min(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument."));
            Assert.That(() => empty.Min(1), Throws.ArgumentException.With.Message.StartsWith("amin(): Expected reduction dim 1 to have non-zero size."));
            // amax/amin name the dim as given, max/min/argmax the wrapped one (torch 1.13; found by the differential probe)
            Assert.That(() => empty.Amax(-1), Throws.ArgumentException.With.Message.StartsWith("amax(): Expected reduction dim -1 to have non-zero size."));
            Assert.That(() => empty.Amin(-1), Throws.ArgumentException.With.Message.StartsWith("amin(): Expected reduction dim -1 to have non-zero size."));
            Assert.That(() => empty.MaxWithIndices(-1), Throws.ArgumentException.With.Message.StartsWith("max(): Expected reduction dim 1 to have non-zero size."));
            Assert.That(() => empty.MaxWithIndices(1), Throws.ArgumentException.With.Message.StartsWith("max(): Expected reduction dim 1 to have non-zero size."));
            Assert.That(() => empty.MinWithIndices(1), Throws.ArgumentException.With.Message.StartsWith("min(): Expected reduction dim 1 to have non-zero size."));
            Assert.That(() => empty.ArgMax(1), Throws.ArgumentException.With.Message.StartsWith("argmax(): Expected reduction dim 1 to have non-zero size."));
            Assert.That(() => empty.ArgMin(), Throws.InvalidOperationException.With.Message.EqualTo(
                "argmin(): Expected reduction dim to be specified for input.numel() == 0."));
        });
        Assert.That(arena.TensorCount, Is.EqualTo(tensors));
        Assert.That(empty.MaxWithIndices(0).Values.Shape.ToArray(), Is.EqualTo(new[] { 0 }), "a non-empty dim of an empty tensor");
        Assert.That(empty.Norm(float.PositiveInfinity, 1).ToArray(), Is.EqualTo(new[] { 0f, 0f }), "torch.norm of nothing is 0");
        Assert.That(empty.Prod(1).ToArray(), Is.EqualTo(new[] { 1f, 1f }));
        Assert.That(empty.LogSumExp(1).ToArray(), Is.EqualTo(new[] { float.NegativeInfinity, float.NegativeInfinity }));
    }

    [Test]
    public void IntegerInputs_AreRefused()
    {
        using var arena = new Arena();
        Tensor i = arena.FromData([3, 1, 2], [3]);
        Assert.Multiple(() =>
        {
            foreach (Action call in new Action[]
                     {
                         () => i.Min(), () => i.Min(0), () => i.MaxWithIndices(0), () => i.ArgMax(), () => i.ArgMin(0), () => i.Var(0),
                         () => i.Std(), () => i.Norm(), () => i.LogSumExp(0), () => i.CumSum(0), () => i.Prod(), () => i.Prod(0),
                     })
                Assert.That(() => call(), Throws.InstanceOf<ArgumentException>().Or.InstanceOf<InvalidOperationException>()
                    .With.Message.Contains("expected scalar type Float32 but found Int32"));
        });
    }

    [Test]
    public void CapturedReplay_OfEveryReduction_IsBitwiseEager_WithNewInputs()
    {
        static Tensor Program(Tensor x)
        {
            (Tensor v, Tensor i) = x.MaxWithIndices(1);
            (Tensor w, Tensor j) = x.MinWithIndices(0, keepDim: true);
            Tensor ints = i.To(DType.Float32).Sum() + j.To(DType.Float32).Sum() + x.ArgMax(1).To(DType.Float32).Sum()
                + x.ArgMin().To(DType.Float32);
            return v.Sum() + w.Sum() + ints + x.Min() + x.Min(0).Sum() + x.Var(1).Sum() + x.Std() + x.Norm(3f, 0).Sum()
                + x.Norm(float.NegativeInfinity) + x.LogSumExp(0).Sum() + x.CumSum(1).Sum() + x.Prod(0).Sum() + x.Prod();
        }

        var random = new Random(7);
        float[] Values() => Enumerable.Range(0, 40 * 3).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        using var arena = new Arena();
        using var step = arena.Capture(arena.FromData(Values(), [40, 3]), Program);
        for (int round = 0; round < 3; round++)
        {
            float[] fresh = Values();
            step.Run(arena.FromData(fresh, [40, 3]));
            using var eager = new Arena();
            float expected = Program(eager.FromData(fresh, [40, 3])).Item();
            Assert.That(BitConverter.SingleToInt32Bits(step.Output.Item()), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)), $"round {round}");
        }
    }
}
