using ArenaGrad.Capture;
using ArenaGrad.Optim;

namespace ArenaGrad.Tests.Ops;

/// <summary>index (issue 16): what the golden programs cannot express: result dtypes and grad flags, grad_fn names, copies
/// versus shared memory, refusals with PyTorch's messages, target and index tensors read afresh by captured replays, and
/// the version check on a target tensor changed between forward and backward.</summary>
public sealed class IndexTests
{
    private static Tensor Ints(Arena arena, int[] values, params int[] shape) => arena.FromData(values, shape);

    private static Tensor Bools(Arena arena, bool[] values, params int[] shape) => arena.FromData(values, shape);

    [Test]
    public void Comparisons_AreBool_DoNotRequireGrad_AndStayOffTheTape()
    {
        using var arena = new Arena();
        Tensor a = arena.FromData([1f, float.NaN, 3f], [3], requiresGrad: true), b = arena.FromData([1f, float.NaN, 2f], [3]);
        int tape = arena.TapeLength;
        Tensor[] results = [a.Eq(b), a.Ne(b), a.Lt(b), a.Le(b), a.Gt(b), a.Ge(b), a.Eq(1f), a.Ne(float.NaN), a.Lt(2f), a.Le(2f), a.Gt(2f),
            a.Ge(2f), a.Gt(0f).LogicalNot(), a.Gt(0f).LogicalAnd(b), a.LogicalOr(b), a.LogicalXor(b)];
        foreach (Tensor r in results)
        {
            Assert.That(r.DType, Is.EqualTo(DType.Bool));
            Assert.That(r.RequiresGrad, Is.False);
            Assert.That(r.GradFn, Is.Null);
        }
        Assert.That(arena.TapeLength, Is.EqualTo(tape), "no comparison or logical op goes on the tape");
        Assert.That(results[0].ToIntArray(), Is.EqualTo(new[] { 1, 0, 0 }), "NaN == NaN is false");
        Assert.That(results[1].ToIntArray(), Is.EqualTo(new[] { 0, 1, 1 }), "NaN != NaN is true");
        Assert.That(results[7].ToIntArray(), Is.EqualTo(new[] { 1, 1, 1 }), "anything != NaN");
    }

    [Test]
    public void Comparisons_OfMixedDtypes_AreRefusedWithTheDtypeMessage()
    {
        using var arena = new Arena();
        Tensor f = arena.Ones([2]), i = Ints(arena, [1, 2], 2);
        var thrown = Assert.Throws<ArgumentException>(() => f.Eq(i));
        Assert.That(thrown!.Message, Does.StartWith("expected scalar type Float32 but found Int32"));
        Assert.That(f.LogicalAnd(i).ToIntArray(), Is.EqualTo(new[] { 1, 1 }), "logical ops take any dtypes");
    }

    [Test]
    public void IndexSelectAndGather_KeepTheDtype_OfInt32AndBool()
    {
        using var arena = new Arena();
        Tensor i = Ints(arena, [5, -6, 7, 8], 2, 2), b = Bools(arena, [true, false, false, true], 2, 2), k = Ints(arena, [1, 1, 0], 3);
        Tensor selected = i.IndexSelect(1, k), gathered = b.Gather(0, Ints(arena, [1, 0], 1, 2));
        Assert.That(selected.DType, Is.EqualTo(DType.Int32));
        Assert.That(selected.ToIntArray(), Is.EqualTo(new[] { -6, -6, 5, 8, 8, 7 }));
        Assert.That(gathered.DType, Is.EqualTo(DType.Bool));
        Assert.That(gathered.ToIntArray(), Is.EqualTo(new[] { 0, 0 }));
        Tensor w = Functional.Where(Bools(arena, [true, false], 2), i, Ints(arena, [0, 0], 2));
        Assert.That(w.DType, Is.EqualTo(DType.Int32));
        Assert.That(w.ToIntArray(), Is.EqualTo(new[] { 5, 0, 7, 0 }));
    }

    [Test]
    public void GradFnNames_ArePyTorchs()
    {
        using var arena = new Arena();
        Tensor x = arena.Ones([3, 4], requiresGrad: true), m = Bools(arena, [true, false, true, false], 4), i = Ints(arena, [0, 2], 1, 2);
        Assert.That(x.IndexSelect(1, Ints(arena, [0, 2], 2)).GradFn, Is.EqualTo("IndexSelectBackward0"));
        Assert.That(x.Gather(1, i).GradFn, Is.EqualTo("GatherBackward0"));
        Assert.That(x.ScatterAdd(1, i, arena.Ones([1, 2])).GradFn, Is.EqualTo("ScatterAddBackward0"));
        Assert.That(x.MaskedFill(m, 1f).GradFn, Is.EqualTo("MaskedFillBackward0"));
        Assert.That(Functional.Where(m, x, x).GradFn, Is.EqualTo("WhereBackward0"));
        Assert.That(Functional.Where(m, x, 0.5f).GradFn, Is.EqualTo("WhereBackward0"));
        Tensor targets = Ints(arena, [0, 1, 2], 3);
        Assert.That(Functional.CrossEntropy(x, targets).GradFn, Is.EqualTo("NllLossBackward0"));
        Assert.That(Functional.CrossEntropy(x, targets, labelSmoothing: 0.1f).GradFn, Is.EqualTo("AddBackward0"));
        Assert.That(Functional.CrossEntropy(x, arena.Ones([3, 4])).GradFn, Is.EqualTo("DivBackward1"));
        Assert.That(Functional.CrossEntropy(x, arena.Ones([3, 4]), Reduction.Sum).GradFn, Is.EqualTo("NegBackward0"));
    }

    [Test]
    public void IndexOps_CopyTheirValues_SoChangingTheInputLaterLeavesTheResult()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f, 3f], [3]);
        Tensor selected = x.IndexSelect(0, Ints(arena, [2, 0], 2)), filled = x.MaskedFill(Bools(arena, [false, true, false], 3), 0f);
        x.CopyFrom([7f, 8f, 9f]);
        Assert.That(selected.ToArray(), Is.EqualTo(new[] { 3f, 1f }));
        Assert.That(filled.ToArray(), Is.EqualTo(new[] { 1f, 0f, 3f }));
    }

    [Test]
    public void ScatterAdd_SourceLargerThanIndex_GetsZeroGradientOutsideTheIndex()
    {
        // PyTorch 1.13's backward fails here (it returns a gradient of the index's shape); dsource = gather(g) on the index's
        // positions and 0 elsewhere is the derivative of y = x + Σ source at the indexed places.
        using var arena = new Arena();
        Tensor x = arena.Zeros([2, 3], requiresGrad: true), source = arena.Ones([2, 4], requiresGrad: true);
        Tensor y = x.ScatterAdd(1, Ints(arena, [2, 2], 1, 2), source);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 0f, 0f, 2f, 0f, 0f, 0f }));
        (y * arena.FromData([1f, 2f, 3f, 4f, 5f, 6f], [2, 3])).Sum().Backward();
        Assert.That(source.Grad!.Value.ToArray(), Is.EqualTo(new[] { 3f, 3f, 0f, 0f, 0f, 0f, 0f, 0f }));
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f, 4f, 5f, 6f }));
    }

    [Test]
    public void ClassLosses_TargetTensorOfTheWrongRank_AreRefusedAsPyTorch()
    {
        // Found by the differential probe: only the target count was checked, so [1, C] took a 0-d target and [C] a [1] one.
        using var arena = new Arena();
        Tensor rows = arena.FromData([0f, 2f], [1, 2], requiresGrad: true), row = arena.FromData([1f, 2f, 3f], [3], requiresGrad: true);
        int tensors = arena.TensorCount;
        Assert.That(() => Functional.CrossEntropy(rows, Ints(arena, [1])), Throws.ArgumentException.With.Message.StartsWith(
            "Expected input batch_size (1) to match target batch_size (0)."));
        Assert.That(() => Functional.NllLoss(row, Ints(arena, [0], 1)), Throws.ArgumentException.With.Message.StartsWith(
            "size mismatch (got input: [3], target: [1])"));
        Assert.That(() => Functional.CrossEntropy(arena.FromData([0.5f], [1]), Ints(arena, [0], 1)), Throws.ArgumentException.With.Message
            .StartsWith("Expected floating point type for target with class probabilities, got Int"), "the logits' shape means probabilities");
        Assert.That(arena.TensorCount, Is.EqualTo(tensors + 4), "only the inputs were made");
        Assert.That(Functional.NllLoss(arena.FromData([-0.5f], [1]), Ints(arena, [0], 1)).Item(), Is.EqualTo(0.5f), "[1] with [1], as PyTorch");
        Assert.That(Functional.NllLoss(row, Ints(arena, [2])).Item(), Is.EqualTo(-3f), "[C] with a 0-d target");
    }

    [Test]
    public void GatherAndScatterAdd_EmptyIndex_CheckNoShapes_AsPyTorch()
    {
        // torch 1.13: x[0, 2, 2].gather(1, index[1, 2, 0]) is an empty [1, 2, 0]; x[2, 2].scatter_add(1, index[3, 0], src[3, 0])
        // is x (found by the differential probe: both were refused here with a rank or size message).
        using var arena = new Arena();
        Tensor empty = arena.Zeros([0, 2, 2], requiresGrad: true);
        Tensor gathered = empty.Gather(1, Ints(arena, [], 1, 2, 0));
        Assert.That(gathered.Shape.ToArray(), Is.EqualTo(new[] { 1, 2, 0 }));
        gathered.Sum().Backward();
        Assert.That(empty.Grad!.Value.Count, Is.Zero);
        Tensor x = arena.FromData([1f, 2f, 3f, 4f], [2, 2], requiresGrad: true), source = arena.Zeros([3, 0], requiresGrad: true);
        Tensor y = x.ScatterAdd(1, Ints(arena, [], 3, 0), source);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f, 4f }));
        (y * 2f).Sum().Backward();
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 2f, 2f, 2f, 2f }));
        Assert.Throws<ArgumentException>(() => x.ScatterAdd(1, Ints(arena, [0], 1), arena.Zeros([1])), "a non-empty index is still checked");
    }

    [Test]
    public void Where_FloatB_AndMaskedFill_TakeNaNAndInfinity()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f], [2], requiresGrad: true), m = Bools(arena, [true, false], 2);
        Assert.That(x.MaskedFill(m, float.NaN).ToArray(), Is.EqualTo(new[] { float.NaN, 2f }));
        Assert.That(Functional.Where(m, x, float.NegativeInfinity).ToArray(), Is.EqualTo(new[] { 1f, float.NegativeInfinity }));
    }

    [Test]
    public void NllLoss_TargetTensorChangedBeforeBackward_IsRefusedAsAnInPlaceChange()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([0.1f, 0.2f, 0.3f, 0.4f], [2, 2], requiresGrad: true), targets = Ints(arena, [0, 1], 2);
        Tensor loss = Functional.NllLoss(x, targets);
        targets.CopyFrom([1, 1]);
        var thrown = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.That(thrown!.Message, Does.StartWith("one of the variables needed for gradient computation has been modified by an inplace operation"));
    }

    [Test]
    public void CrossEntropy_TargetTensor_MatchesTheSpanOverload_Bitwise()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        Tensor x = arena.Randn([5, 4], requiresGrad: true);
        int[] classes = [3, 0, -100, 1, 1];
        foreach (Reduction reduction in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
            foreach (float smoothing in new[] { 0f, 0.25f })
            {
                x.ZeroGrad();
                Tensor viaSpan = Functional.CrossEntropy(x, classes, reduction, smoothing);
                viaSpan.Sum().Backward();
                float[] spanGrad = x.Grad!.Value.ToArray();
                x.ZeroGrad();
                Tensor viaTensor = Functional.CrossEntropy(x, Ints(arena, classes, 5), reduction, smoothing);
                viaTensor.Sum().Backward();
                Assert.That(viaTensor.ToArray(), Is.EqualTo(viaSpan.ToArray()), $"{reduction} {smoothing}");
                Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(spanGrad), $"{reduction} {smoothing} gradient");
            }
    }

    [Test]
    public void CapturedTraining_TargetAndIndexTensorsChangedWithCopyFrom_AreReadByEveryReplay()
    {
        const int steps = 6;
        int[][] targets = [[0, 2, 1], [2, 2, 0], [1, -100, 0], [0, 1, 2], [2, 0, 0], [1, 1, 1]];
        int[][] actions = [[1, 0, 2], [0, 0, 0], [2, 1, 0], [1, 2, 2], [0, 1, 1], [2, 2, 1]];
        float[] inputValues = [0.5f, -1f, 0.25f, 1.5f, 0.75f, -0.5f, -1.25f, 0.1f, 2f, 0.3f, -0.7f, 1.1f];

        // Eager: the same steps with fresh target and index tensors each time.
        var eager = new float[steps];
        using (var arena = new Arena(new ArenaOptions { Seed = 7 }))
        {
            Tensor w = arena.Randn([4, 3], requiresGrad: true), x = arena.FromData(inputValues, [3, 4]);
            var sgd = new Sgd([w], lr: 0.1f);
            for (int s = 0; s < steps; s++)
            {
                sgd.ZeroGrad();
                using (arena.Scope())
                {
                    Tensor logits = x.MatMul(w);
                    Tensor loss = Functional.CrossEntropy(logits, arena.FromData(targets[s], [3]))
                        - logits.LogSoftmax(1).Gather(1, arena.FromData(actions[s], [3, 1])).Mean();
                    loss.Backward();
                    eager[s] = loss.Item();
                }
                sgd.Step();
            }
        }

        // Captured once; the target and index tensors are changed in place between replays.
        using (var arena = new Arena(new ArenaOptions { Seed = 7 }))
        {
            Tensor w = arena.Randn([4, 3], requiresGrad: true), x = arena.FromData(inputValues, [3, 4]);
            Tensor t = arena.FromData(targets[0], [3]), a = arena.FromData(actions[0], [3, 1]);
            var sgd = new Sgd([w], lr: 0.1f);
            CapturedStep step = arena.CaptureTraining(x, input =>
            {
                Tensor logits = input.MatMul(w);
                return Functional.CrossEntropy(logits, t) - logits.LogSoftmax(1).Gather(1, a).Mean();
            }, sgd);
            var replayed = new float[steps];
            replayed[0] = step.Output.Item();
            for (int s = 1; s < steps; s++)
            {
                t.CopyFrom(targets[s]);
                a.CopyFrom(actions[s]);
                replayed[s] = step.Replay().Item();
            }
            Assert.That(replayed, Is.EqualTo(eager), "every replay reads the new targets and indices (bitwise the eager losses)");

            t.CopyFrom([0, 3, 1]);
            var thrown = Assert.Throws<ArgumentOutOfRangeException>(() => step.Replay());
            Assert.That(thrown!.Message, Does.StartWith("Target 3 is out of bounds."));
            t.CopyFrom([0, 1, 1]);
            a.CopyFrom([0, 5, 1]);
            thrown = Assert.Throws<ArgumentOutOfRangeException>(() => step.Replay());
            Assert.That(thrown!.Message, Does.StartWith("index 5 is out of bounds for dimension 1 with size 3"));
        }
    }

    [Test]
    public void CapturedInference_IndexTensorsChangedWithCopyFrom_AreReadByEveryRun()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([10f, 11f, 12f, 13f], [4]), index = Ints(arena, [3, 0], 2), mask = Bools(arena, [true, false], 2);
        CapturedStep step;
        using (arena.NoGrad()) step = arena.Capture(x, v => v.IndexSelect(0, index).MaskedFill(mask, -1f).Gt(11.5f).To(DType.Float32));
        Assert.That(step.Output.ToArray(), Is.EqualTo(new[] { 0f, 0f }));
        index.CopyFrom([2, 3]);
        mask.CopyFrom([false, false]);
        Assert.That(step.Run(x).ToArray(), Is.EqualTo(new[] { 1f, 1f }));
    }

    [Test]
    public void CapturedScatterAdd_IndexChangedOutOfRange_ThrowsBeforeTouchingTheOutput()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f, 3f], [3]), index = Ints(arena, [2, 2], 2), source = arena.FromData([10f, 20f], [2]);
        CapturedStep step;
        using (arena.NoGrad()) step = arena.Capture(x, v => v.ScatterAdd(0, index, source));
        Assert.That(step.Output.ToArray(), Is.EqualTo(new[] { 1f, 2f, 33f }));
        index.CopyFrom([0, 3]);
        var thrown = Assert.Throws<ArgumentOutOfRangeException>(() => step.Run(arena.FromData([5f, 5f, 5f], [3])));
        Assert.That(thrown!.Message, Does.StartWith("index 3 is out of bounds for dimension 0 with size 3"));
        Assert.That(step.Output.ToArray(), Is.EqualTo(new[] { 1f, 2f, 33f }), "the output keeps the last good replay's values");
    }
}
