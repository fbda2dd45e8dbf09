using System.Runtime.CompilerServices;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Losses;

/// <summary>What the losses do at the edges: empty batches, ignored rows, bad arguments (PyTorch's messages, arena
/// untouched), capacity failures, and no managed allocation.</summary>
public sealed class LossBehaviourTests
{
    private static (int Tensors, int Tape, long Reserved) Snapshot(Arena arena) => (arena.TensorCount, arena.TapeLength, arena.ReservedBytes);

    [Test]
    public void TwoArgumentOverloads_StillMeanReducedAsBefore()
    {
        using var arena = new Arena();
        Tensor a = arena.FromData([1f, 2f, 3f], requiresGrad: true), b = arena.FromData([1f, 0f, 0f]);
        Tensor mse = Functional.MseLoss(a, b);
        Assert.That(mse.Item(), Is.EqualTo((0f + 4f + 9f) / 3f));
        Tensor logits = arena.FromData([0f, 0f, 0f, 0f], [2, 2], requiresGrad: true);
        Tensor ce = Functional.CrossEntropy(logits, [0, 1]);
        Assert.That(ce.Item(), Is.EqualTo(MathF.Log(2f)).Within(1e-7f));
        Assert.That(ce.GradFn, Is.EqualTo("NllLossBackward0"));
        Assert.That(mse.GradFn, Is.EqualTo("MseLossBackward0"));
    }

    [Test]
    public void CrossEntropy_EmptyBatchMean_IsNaNWithEmptyPresentGradient()
    {
        using var arena = new Arena();
        Tensor logits = arena.Zeros([0, 4], requiresGrad: true);
        Tensor loss = Functional.CrossEntropy(logits, ReadOnlySpan<int>.Empty);
        Assert.That(float.IsNaN(loss.Item()), Is.True, "PyTorch: tensor(nan)");
        loss.Backward();
        Tensor? grad = logits.Grad;
        Assert.That(grad, Is.Not.Null, "PyTorch gives an empty gradient, not None");
        Assert.That(grad!.Value.Shape.ToArray(), Is.EqualTo(new[] { 0, 4 }));
    }

    [TestCase(Reduction.Sum, 0f)]
    [TestCase(Reduction.Mean, float.NaN)]
    public void CrossEntropyWithSmoothing_EmptyBatch_GivesPyTorchValueAndEmptyGradient(Reduction reduction, float expected)
    {
        using var arena = new Arena();
        Tensor logits = arena.Zeros([0, 3], requiresGrad: true);
        Tensor loss = Functional.CrossEntropy(logits, [], reduction, labelSmoothing: 0.1f);
        Assert.That(loss.Item(), Is.EqualTo(expected));
        loss.Backward();
        Assert.That(logits.Grad!.Value.Count, Is.Zero);
    }

    [Test]
    public void CrossEntropy_EmptyBatchNone_IsEmptyPerRowLoss()
    {
        using var arena = new Arena();
        Tensor logits = arena.Zeros([0, 4], requiresGrad: true);
        Tensor loss = Functional.CrossEntropy(logits, [], Reduction.None);
        Assert.That(loss.Shape.ToArray(), Is.EqualTo(new[] { 0 }));
        Assert.That(loss.GradFn, Is.EqualTo("NllLossBackward0"));
    }

    [Test]
    public void MseLoss_EmptyInputMean_IsNaNWithEmptyPresentGradient()
    {
        using var arena = new Arena();
        Tensor input = arena.Zeros([0, 4], requiresGrad: true);
        Tensor loss = Functional.MseLoss(input, arena.Zeros([0, 4]));
        Assert.That(float.IsNaN(loss.Item()), Is.True);
        loss.Backward();
        Assert.That(input.Grad!.Value.Shape.ToArray(), Is.EqualTo(new[] { 0, 4 }));
    }

    [Test]
    public void NllLoss_AllRowsIgnoredMean_IsNaNWithZeroGradient()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([0.1f, -0.2f, 0.3f, 0.4f, 0.5f, -0.6f], [2, 3], requiresGrad: true);
        Tensor loss = Functional.NllLoss(x, [-100, -100]);
        Assert.That(float.IsNaN(loss.Item()), Is.True);
        loss.Backward();
        Assert.That(x.Grad!.Value.ToArray(), Is.All.EqualTo(0f));
    }

    [Test]
    public void CrossEntropy_IgnoredRow_AddsNothingAndMeanCountsOtherRows()
    {
        using var arena = new Arena();
        float[] data = [1f, 2f, 3f, -1f, 0.5f, 2f];
        Tensor both = Functional.CrossEntropy(arena.FromData(data, [2, 3]), [2, -100]);
        Tensor first = Functional.CrossEntropy(arena.FromData(data.AsSpan(0, 3), [1, 3]), [2]);
        Assert.That(both.Item(), Is.EqualTo(first.Item()));
        Tensor custom = Functional.CrossEntropy(arena.FromData(data, [2, 3]), [2, 7], ignoreIndex: 7);
        Assert.That(custom.Item(), Is.EqualTo(first.Item()));
    }

    [TestCase(5)]
    [TestCase(-1)]
    [TestCase(3)]
    public void CrossEntropyAndNllLoss_TargetOutOfRange_ThrowPyTorchMessageAndLeaveArena(int bad)
    {
        using var arena = new Arena();
        Tensor logits = arena.Zeros([2, 3], requiresGrad: true);
        var before = Snapshot(arena);
        var ce = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy(logits, [0, bad]));
        Assert.That(ce!.Message, Does.StartWith($"Target {bad} is out of bounds."));
        var nll = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.NllLoss(logits, [bad, 0], Reduction.Sum));
        Assert.That(nll!.Message, Does.StartWith($"Target {bad} is out of bounds."));
        Assert.That(Snapshot(arena), Is.EqualTo(before));
    }

    [Test]
    public void CrossEntropy_BatchSizeMismatch_ThrowsPyTorchMessage()
    {
        using var arena = new Arena();
        Tensor logits = arena.Zeros([2, 3]);
        var e = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(logits, [1]));
        Assert.That(e!.Message, Does.StartWith("Expected input batch_size (2) to match target batch_size (1)."));
        e = Assert.Throws<ArgumentException>(() => Functional.NllLoss(logits, [1, 1, 1]));
        Assert.That(e!.Message, Does.StartWith("Expected input batch_size (2) to match target batch_size (3)."));
    }

    [Test]
    public void PointwiseLosses_NonBroadcastableShapes_ThrowPyTorchMessage()
    {
        using var arena = new Arena();
        Tensor x = arena.Zeros([3, 4], requiresGrad: true), y = arena.Zeros([3, 5]);
        var before = Snapshot(arena);
        const string message = "The size of tensor a (4) must match the size of tensor b (5) at non-singleton dimension 1";
        Assert.That(Assert.Throws<ArgumentException>(() => Functional.MseLoss(x, y))!.Message, Does.StartWith(message));
        Assert.That(Assert.Throws<ArgumentException>(() => Functional.L1Loss(x, y))!.Message, Does.StartWith(message));
        Assert.That(Assert.Throws<ArgumentException>(() => Functional.SmoothL1Loss(x, y))!.Message, Does.StartWith(message));
        Assert.That(Assert.Throws<ArgumentException>(() => Functional.HuberLoss(x, y))!.Message, Does.StartWith(message));
        Assert.That(Assert.Throws<ArgumentException>(() => Functional.BinaryCrossEntropyWithLogits(x, y))!.Message,
            Does.StartWith("Target size (torch.Size([3, 5])) must be the same as input size (torch.Size([3, 4]))"));
        Assert.That(Snapshot(arena), Is.EqualTo(before));
    }

    [Test]
    public void PointwiseLosses_BroadcastableButDifferentShapes_AreRefusedNamingBothSizes()
    {
        using var arena = new Arena();
        Tensor x = arena.Zeros([3, 4]), y = arena.Zeros([4]);
        var e = Assert.Throws<ArgumentException>(() => Functional.MseLoss(x, y));
        Assert.That(e!.Message, Does.StartWith("Using a target size (torch.Size([4])) that is different to the input size (torch.Size([3, 4]))"));
    }

    [Test]
    public void LossParameters_OutOfRange_ThrowPyTorchMessages()
    {
        using var arena = new Arena();
        Tensor x = arena.Zeros([2, 3]);
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Functional.SmoothL1Loss(x, x, beta: -1f))!.Message,
            Does.StartWith("smooth_l1_loss does not support negative values for beta."));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Functional.HuberLoss(x, x, delta: 0f))!.Message,
            Does.StartWith("huber_loss does not support non-positive values for delta."));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy(x, [0, 1], labelSmoothing: 1.5f))!.Message,
            Does.StartWith("label_smoothing must be between 0.0 and 1.0. Got: 1.5"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Functional.MseLoss(x, x, (Reduction)7));
        Assert.That(Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(arena.Zeros([2, 3, 4]), [0, 1]))!.Message,
            Does.StartWith("cross_entropy expects input of shape [N, C] (or [C] with one target), but got [2, 3, 4]."));
    }

    [Test]
    public void CrossEntropy_CapacityFailure_LeavesArenaAsItWas()
    {
        // The logits take 2 x 12800 bytes (values and gradient); the loss's saved log-probabilities another 12800.
        using var arena = new Arena(new ArenaOptions { MaxBytes = 36 * 1024, BlockBytes = 4096 });
        Tensor logits = arena.Zeros([32, 100], requiresGrad: true);
        int[] targets = new int[32];
        var before = Snapshot(arena);
        Assert.Throws<ArenaCapacityException>(() => Functional.CrossEntropy(logits, targets));
        Assert.That(Snapshot(arena), Is.EqualTo(before));
        using (arena.NoGrad())
        {
            // Without recording, nothing is saved: the loss fits.
            Assert.That(Functional.CrossEntropy(logits, targets).Item(), Is.EqualTo(MathF.Log(100f)).Within(1e-5f));
        }
    }

    [Test]
    public void PointwiseLoss_CapacityFailure_LeavesArenaAsItWas()
    {
        using var arena = new Arena(new ArenaOptions { MaxBytes = 40 * 1024, BlockBytes = 4096 });
        Tensor x = arena.Zeros([32, 100], requiresGrad: true); // 25600 bytes
        Tensor y = arena.Zeros([32, 16]);                        // 2048 bytes, in a 4096-byte block
        Tensor z = arena.Zeros([32, 16]);
        var before = Snapshot(arena);
        // Reduction.None needs 2 x 12800 bytes for the per-element losses and their gradient.
        Assert.Throws<ArenaCapacityException>(() => Functional.MseLoss(x, x, Reduction.None));
        Assert.That(Snapshot(arena), Is.EqualTo(before));
        Assert.That(Functional.MseLoss(y, z).Item(), Is.Zero);
    }

    public static IEnumerable<TestCaseData> EveryLoss()
    {
        static TestCaseData Case(string name, Func<Tensor, Tensor, Tensor> loss) => new TestCaseData(loss).SetArgDisplayNames(name);
        int[] classes = [2, -100, 0];
        yield return Case("MseLossNone", (x, t) => Functional.MseLoss(x, t, Reduction.None));
        yield return Case("L1LossSum", (x, t) => Functional.L1Loss(x, t, Reduction.Sum));
        yield return Case("SmoothL1Loss", (x, t) => Functional.SmoothL1Loss(x, t, 0.5f));
        yield return Case("HuberLossNone", (x, t) => Functional.HuberLoss(x, t, 0.5f, Reduction.None));
        yield return Case("BinaryCrossEntropyWithLogits", (x, t) => Functional.BinaryCrossEntropyWithLogits(x, t));
        yield return Case("NllLossNone", (x, _) => Functional.NllLoss(x, classes, Reduction.None));
        yield return Case("CrossEntropySum", (x, _) => Functional.CrossEntropy(x, classes, Reduction.Sum));
        yield return Case("CrossEntropySmoothedNone", (x, _) => Functional.CrossEntropy(x, classes, Reduction.None, 0.3f));
    }

    [TestCaseSource(nameof(EveryLoss))]
    public void Loss_FailingAtEachAllocation_LeavesArenaAsItWasThenSucceeds(Func<Tensor, Tensor, Tensor> loss)
    {
        // The fault hook of Reliability/OpAtomicityTests fails the 1st, 2nd, ... allocation until the loss completes.
        foreach (bool grad in new[] { false, true })
        {
            int failures = Reliability.OpAtomicityTests.CheckAtomic((arena, g) =>
            {
                Tensor x = arena.FromData([0.5f, -1f, 2f, 0.25f, 3f, -2f, 1f, 0f, -0.5f], [3, 3], requiresGrad: g);
                Tensor t = arena.FromData([0f, 1f, 0.5f, 1f, 0f, 0.25f, 0.75f, 1f, 0f], [3, 3]);
                return () => loss(x, t).ToArray();
            }, new ArenaOptions(), grad);
            Assert.That(failures, Is.GreaterThanOrEqualTo(1), $"grad {grad}: the hook reached the loss's allocation");
        }
    }

    [Test]
    public void CrossEntropy_BackwardReadsSavedLogProbabilities_NoScratch()
    {
        using var arena = new Arena();
        Tensor logits = arena.FromData([1f, 2f, 3f, 0f, 0f, 0f], [2, 3], requiresGrad: true);
        Tensor loss = Functional.CrossEntropy(logits, [2, 0], Reduction.Sum);
        long reserved = arena.ReservedBytes;
        loss.Backward();
        Assert.That(arena.ReservedBytes, Is.EqualTo(reserved));
        float[] grad = logits.Grad!.Value.ToArray();
        float e1 = MathF.Exp(1f), e2 = MathF.Exp(2f), e3 = MathF.Exp(3f), s = e1 + e2 + e3;
        Assert.That(grad, Is.EqualTo(new[] { e1 / s, e2 / s, e3 / s - 1f, 1f / 3f - 1f, 1f / 3f, 1f / 3f }).Within(1e-6f));
    }

    [Test]
    public void Losses_GradientAccumulatesAcrossTwoBackwardPasses()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([0.5f, -1f, 2f, 0f], [2, 2], requiresGrad: true);
        Tensor t = arena.FromData([0f, 1f, 1f, 0f], [2, 2]);
        foreach (Func<Tensor> loss in new Func<Tensor>[]
                 {
                     () => Functional.MseLoss(x, t), () => Functional.L1Loss(x, t), () => Functional.SmoothL1Loss(x, t),
                     () => Functional.HuberLoss(x, t), () => Functional.BinaryCrossEntropyWithLogits(x, t),
                     () => Functional.NllLoss(x, [1, 0]), () => Functional.CrossEntropy(x, [1, 0], labelSmoothing: 0.2f),
                 })
        {
            x.ZeroGrad();
            loss().Backward();
            float[] once = x.Grad!.Value.ToArray();
            loss().Backward();
            Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(once.Select(v => 2f * v).ToArray()).Within(1e-6f));
        }
    }

    [Test]
    public void ForwardAndBackwardOfEveryLoss_AllocateZeroManagedBytes()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        Tensor x = arena.Randn([8, 5], requiresGrad: true);
        Tensor t = arena.Rand([8, 5]);
        int[] classes = [0, 1, 2, 3, 4, -100, 1, 2];
        float total = 0f;
        Assert.That(() => { total += Step(arena, x, t, classes); }, Allocates.Nothing & Allocates.NoNativeGrowth(arena));
        Assert.That(float.IsFinite(total), Is.True);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Step(Arena arena, Tensor x, Tensor t, int[] classes)
    {
        using (arena.Scope())
        {
            Tensor loss = Functional.MseLoss(x, t) + Functional.L1Loss(x, t, Reduction.Sum) + Functional.SmoothL1Loss(x, t, 0.5f)
                + Functional.HuberLoss(x, t, 2f) + Functional.BinaryCrossEntropyWithLogits(x, t)
                + Functional.NllLoss(x.LogSoftmax(1), classes, Reduction.Sum) + Functional.CrossEntropy(x, classes, labelSmoothing: 0.1f)
                + Functional.CrossEntropy(x, classes, Reduction.None).Sum() + Functional.MseLoss(x, t, Reduction.None).Mean();
            loss.Backward();
            x.ZeroGrad();
            return loss.Item();
        }
    }
}
