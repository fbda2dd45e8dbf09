using ArenaGrad.Tape;

namespace ArenaGrad.Tests.Reliability;

/// <summary>Backward refuses values its rule reads (inputs, the output, saved buffers) that were changed in place
/// after the op was recorded, with PyTorch's message; values the rule does not read may change freely.</summary>
public sealed class SavedVersionTests
{
    private const string Prefix = "one of the variables needed for gradient computation has been modified by an inplace operation: ";

    [Test]
    public void Backward_AfterInPlaceChangeOfExpOutput_ThrowsPyTorchMessage()
    {
        using var arena = new Arena();
        Tensor x = arena.Ones([3], requiresGrad: true);
        Tensor y = x.Exp();
        y.Detach().MulInPlace(2f);
        var error = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.That(error!.Message, Does.StartWith(
            Prefix + "[torch.FloatTensor [3]], which is output 0 of ExpBackward0, is at version 1; expected version 0 instead."));
    }

    [Test]
    public void Backward_AfterInPlaceChangeOfLogits_CrossEntropyStillGivesTheGradient()
    {
        // PyTorch saves only the log-probabilities, so changing the logits afterwards is allowed.
        float[] expected;
        using (var reference = new Arena())
        {
            Tensor logits = reference.FromData([1f, 2f, 0.5f, -1f, 0f, 3f], [2, 3], requiresGrad: true);
            Functional.CrossEntropy(logits * 1f, [2, 0]).Backward();
            expected = logits.Grad!.Value.ToArray();
        }
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f, 0.5f, -1f, 0f, 3f], [2, 3], requiresGrad: true);
        Tensor scaled = x * 1f;
        Tensor loss = Functional.CrossEntropy(scaled, [2, 0]);
        scaled.Detach().MulInPlace(5f);
        loss.Backward();
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(expected));
    }

    /// <summary>One recorded op: its inputs (leaves) and which of its tensors the rule reads.</summary>
    /// <remarks><c>ReadBits</c> holds a SavedOperands set (an int: the enum is internal and NUnit needs public tests).</remarks>
    public sealed record RecordedOp(Func<Arena, Tensor[]> Inputs, Func<Tensor[], Tensor> Op, int ReadBits)
    {
        internal SavedOperands Reads => (SavedOperands)ReadBits;
    }

    private static Tensor T(Arena arena, bool grad, params int[] shape)
    {
        int n = 1;
        foreach (int d in shape) n *= d;
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = 0.75f + 0.5f * ((i * 5 + shape.Length) % 7);
        return arena.FromData(values, shape, grad);
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        const SavedOperands None = SavedOperands.None, In0 = SavedOperands.Input0, In1 = SavedOperands.Input1,
            Out = SavedOperands.Output, Saved = SavedOperands.Saved;
        static TestCaseData C(string name, Func<Arena, Tensor[]> inputs, Func<Tensor[], Tensor> op, SavedOperands reads) =>
            new TestCaseData(new RecordedOp(inputs, op, (int)reads)).SetArgDisplayNames(name);
        Func<Arena, Tensor[]> one = a => [T(a, true, 2, 3)];
        Func<Arena, Tensor[]> two = a => [T(a, true, 2, 3), T(a, true, 3)];
        Func<Arena, Tensor[]> onlyFirst = a => [T(a, true, 2, 3), T(a, false, 3)];
        Func<Arena, Tensor[]> onlySecond = a => [T(a, false, 2, 3), T(a, true, 3)];

        yield return C("Add", two, t => t[0] + t[1], None);
        yield return C("Subtract", two, t => t[0] - t[1], None);
        yield return C("Multiply", two, t => t[0] * t[1], In0 | In1);
        yield return C("MultiplyFirstNeedsGrad", onlyFirst, t => t[0] * t[1], In1);
        yield return C("MultiplySecondNeedsGrad", onlySecond, t => t[0] * t[1], In0);
        yield return C("Divide", two, t => t[0] / t[1], In1 | Out);
        yield return C("DivideFirstNeedsGrad", onlyFirst, t => t[0] / t[1], In1);
        yield return C("DivideSecondNeedsGrad", onlySecond, t => t[0] / t[1], In1 | Out);
        yield return C("AddScalar", one, t => t[0] + 2f, None);
        yield return C("SubtractScalar", one, t => t[0] - 2f, None);
        yield return C("ReverseSubtractScalar", one, t => 2f - t[0], None);
        yield return C("MultiplyScalar", one, t => t[0] * 2f, None);
        yield return C("DivideScalar", one, t => t[0] / 2f, None);
        yield return C("ReverseDivideScalar", one, t => 2f / t[0], In0 | Out);
        yield return C("Negate", one, t => -t[0], None);
        yield return C("Exp", one, t => t[0].Exp(), Out);
        yield return C("Log", one, t => t[0].Log(), In0);
        yield return C("Tanh", one, t => t[0].Tanh(), Out);
        yield return C("Sigmoid", one, t => t[0].Sigmoid(), Out);
        yield return C("Relu", one, t => (t[0] - 2f).Relu(), Out);
        yield return C("Sqrt", one, t => t[0].Sqrt(), Out);
        yield return C("Abs", one, t => (t[0] - 2f).Abs(), In0);
        yield return C("Square", one, t => t[0].Square(), In0);
        yield return C("Pow", one, t => t[0].Pow(2.5f), In0);
        yield return C("LeakyRelu", one, t => (t[0] - 2f).LeakyRelu(0.2f), In0);
        yield return C("Clamp", one, t => t[0].Clamp(1f, 2.5f), In0);
        yield return C("MatMul", a => [T(a, true, 2, 3), T(a, true, 3, 4)], t => t[0].MatMul(t[1]), In0 | In1);
        yield return C("MatMulSecondNeedsGrad", a => [T(a, false, 2, 3), T(a, true, 3, 4)], t => t[0].MatMul(t[1]), In0);
        yield return C("Linear", a => [T(a, true, 4, 3), T(a, true, 2, 3), T(a, true, 2)], t => Functional.Linear(t[0], t[1], t[2]), In0 | In1);
        yield return C("LinearWeightNeedsGrad", a => [T(a, false, 4, 3), T(a, true, 2, 3), T(a, false, 2)], t => Functional.Linear(t[0], t[1], t[2]), In0);
        yield return C("Reshape", one, t => t[0].Reshape(3, 2), None);
        yield return C("Transpose", one, t => t[0].Transpose(0, 1), None);
        yield return C("Concat", two, t => Functional.Cat([t[0], t[1].Reshape(1, 3)], 0), None);
        yield return C("SumAll", one, t => t[0].Sum(), None);
        yield return C("SumDim", one, t => t[0].Sum(1), None);
        yield return C("MeanAll", one, t => t[0].Mean(), None);
        yield return C("MeanDim", one, t => t[0].Mean(0), None);
        yield return C("MaxAll", one, t => t[0].Max(), In0 | Out);
        yield return C("MaxDim", one, t => t[0].Max(1), In0 | Out);
        yield return C("Softmax", one, t => t[0].Softmax(1), Out);
        yield return C("LogSoftmax", one, t => t[0].LogSoftmax(0), Out);
        yield return C("MseLoss", a => [T(a, true, 2, 3), T(a, true, 2, 3) * 0.5f], t => Functional.MseLoss(t[0], t[1]), In0 | In1);
        yield return C("CrossEntropy", one, t => Functional.CrossEntropy(t[0], [2, 0]), Saved);
        Func<Arena, Tensor[]> pair = a => [T(a, true, 2, 3), T(a, true, 2, 3) * 0.5f];
        yield return C("MseLossNone", pair, t => Functional.MseLoss(t[0], t[1], Reduction.None), In0 | In1);
        yield return C("L1LossMean", pair, t => Functional.L1Loss(t[0], t[1]), In0 | In1);
        yield return C("L1LossSum", pair, t => Functional.L1Loss(t[0], t[1], Reduction.Sum), In0 | In1);
        yield return C("L1LossNone", pair, t => Functional.L1Loss(t[0], t[1], Reduction.None), In0 | In1);
        yield return C("SmoothL1Loss", pair, t => Functional.SmoothL1Loss(t[0], t[1], 0.5f), In0 | In1);
        yield return C("HuberLoss", pair, t => Functional.HuberLoss(t[0], t[1], 1.5f), In0 | In1);
        yield return C("BinaryCrossEntropyWithLogits", a => [T(a, true, 2, 3), T(a, true, 2, 3) * 0.1f],
            t => Functional.BinaryCrossEntropyWithLogits(t[0], t[1]), In0 | In1);
        yield return C("NllLoss", one, t => Functional.NllLoss(t[0], [2, 0]), In0); // PyTorch's NllLossBackward0 saves self
        yield return C("CrossEntropySmoothed", one, t => Functional.CrossEntropy(t[0], [2, 0], labelSmoothing: 0.1f), Saved);
    }

    private static readonly SavedOperands[] Operands =
        [SavedOperands.Input0, SavedOperands.Input1, SavedOperands.Input2, SavedOperands.Output, SavedOperands.Saved];

    [TestCaseSource(nameof(Cases))]
    public void Backward_AfterInPlaceChange_RefusesWhatTheRuleReads_AndIgnoresTheRest(RecordedOp c)
    {
        float[][] expected = Gradients(c);
        foreach (SavedOperands operand in Operands)
        {
            using var arena = new Arena();
            Tensor[] inputs = c.Inputs(arena);
            Tensor y = c.Op(inputs);
            Instruction ins = arena.Instructions[arena.ProducerOf(y.Slot)];
            int slot = SlotOf(ins, operand);
            if (slot < 0) continue;
            Tensor loss = Weighted(arena, y);
            arena.Handle(slot).Detach().MulInPlace(1.5f);
            if ((c.Reads & operand) != 0)
            {
                var error = Assert.Throws<InvalidOperationException>(() => loss.Backward(), $"{operand} changed in place");
                // PyTorch names the node that made the changed tensor (ExpBackward0 for exp's own output).
                string? madeBy = arena.Handle(slot).GradFn;
                string producer = madeBy is null ? "" : $", which is output 0 of {madeBy},";
                if (operand == SavedOperands.Output) Assert.That(madeBy, Is.EqualTo(y.GradFn));
                Assert.That(error!.Message, Does.StartWith(
                    $"{Prefix}{ShapeMath.TorchTypeAndShape(arena.ShapeOf(slot))}{producer} is at version 1; expected version 0 instead."));
            }
            else
            {
                Assert.DoesNotThrow(() => loss.Backward(), $"{operand} is not read by the rule, so changing it is allowed");
                for (int i = 0; i < inputs.Length; i++)
                    Assert.That(inputs[i].Grad?.ToArray(), Is.EqualTo(expected[i]), $"input {i}'s gradient after changing {operand}");
            }
        }
    }

    [Test]
    public void ReadsTable_NamesOnlyOperandsTheInstructionHas()
    {
        // Guards the cases above: each of them must have met every operand its Reads names.
        foreach (TestCaseData data in Cases())
        {
            var c = (RecordedOp)data.Arguments[0]!;
            using var arena = new Arena();
            Tensor y = c.Op(c.Inputs(arena));
            Instruction ins = arena.Instructions[arena.ProducerOf(y.Slot)];
            foreach (SavedOperands operand in Operands)
                if ((c.Reads & operand) != 0)
                    Assert.That(SlotOf(ins, operand), Is.GreaterThanOrEqualTo(0), $"{data.TestName}: {operand}");
        }
    }

    private static float[][] Gradients(RecordedOp c)
    {
        using var arena = new Arena();
        Tensor[] inputs = c.Inputs(arena);
        Weighted(arena, c.Op(inputs)).Backward();
        return [.. inputs.Select(t => t.Grad?.ToArray()!)];
    }

    /// <summary>Σ y·w with fixed weights, so that every element of g differs (a plain sum makes softmax's gradient 0).</summary>
    private static Tensor Weighted(Arena arena, Tensor y)
    {
        var w = new float[y.Count];
        for (int i = 0; i < w.Length; i++) w[i] = 0.5f + i % 3;
        return (y * arena.FromData(w, y.Shape)).Sum();
    }

    private static int SlotOf(in Instruction ins, SavedOperands operand) => operand switch
    {
        SavedOperands.Input0 => ins.Input0,
        SavedOperands.Input1 => ins.Input1,
        SavedOperands.Input2 => ins.Input2,
        SavedOperands.Output => ins.Output,
        _ => ins.Saved,
    };
}
