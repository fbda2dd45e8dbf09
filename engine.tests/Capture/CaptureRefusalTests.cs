using ArenaGrad.Capture;
using ArenaGrad.Nn;
using ArenaGrad.Optim;

namespace ArenaGrad.Tests.Capture;

/// <summary>What a captured step refuses, with messages that say why; a refused capture leaves the arena able to capture
/// again, and a stale or disposed plan never replays.</summary>
[TestFixture]
public sealed class CaptureRefusalTests
{
    [Test]
    public void Run_WithAnotherInputShape_ThrowsNamingBothShapes()
    {
        using var arena = new Arena();
        Tensor w = arena.Randn([4, 3]);
        using CapturedStep step = arena.Capture(arena.Randn([2, 3]), x => Functional.Linear(x, w).Tanh());
        var thrown = Assert.Throws<ArgumentException>(() => step.Run(arena.Randn([5, 3])));
        Assert.That(thrown!.Message, Does.StartWith("This step was captured for an input of shape [2, 3], but got shape [5, 3]."));
        Assert.That(thrown.ParamName, Is.EqualTo("input"));
    }

    private static IEnumerable<TestCaseData> ForbiddenInsideCapture()
    {
        yield return Case("Item", (a, x) => a.Scalar(x.Sum().Item()), "Item() reads tensor values to the host");
        yield return Case("ToArray", (a, x) => a.FromData(x.ToArray(), x.Shape), "ToArray() reads tensor values to the host");
        yield return Case("CopyTo", (a, x) => { x.CopyTo(new float[x.Count]); return x.Exp(); }, "CopyTo(Span<float>) reads");
        yield return Case("AsSpanUnsafely", (a, x) => x * x.AsSpanUnsafely()[0], "AsSpanUnsafely() reads");
        yield return Case("Rand", (a, x) => x * a.Rand(x.Shape), "draws random numbers");
        yield return Case("Randn", (a, x) => x + a.Randn(x.Shape), "Randn draws random numbers");
        yield return Case("DropoutTraining", (a, x) => new Dropout(0.5f).Forward(x), "draws random numbers");
        yield return Case("InPlace", (a, x) => x.Exp().MulInPlace(2f), "changes a tensor in place");
        yield return Case("CopyFrom", (a, x) => x.Exp().CopyFrom(x), "changes a tensor in place");
        yield return Case("OptimizerStep", (a, x) => { new Sgd([x], lr: 0.1f).Step(); return x.Exp(); }, "optimizer.Step() changes a tensor in place");
        yield return Case("OptimizerZeroGrad", (a, x) => { new Sgd([x], lr: 0.1f).ZeroGrad(); return x.Exp(); }, "optimizer.ZeroGrad() changes");
        yield return Case("AdamStep", (a, x) => { new Adam([x]).Step(); return x.Exp(); }, "optimizer.Step() changes a tensor in place");
        yield return Case("Backward", (a, x) => { x.Sum().Backward(); return x; }, "runs backward");
        yield return Case("Scope", (a, x) => { using (a.Scope()) return x.Exp(); }, "opens an arena scope");
        yield return Case("NestedCapture", (a, x) => a.Capture(x, y => y.Exp()).Output, "captures do not nest");
    }

    private static TestCaseData Case(string name, Func<Arena, Tensor, Tensor> forward, string message) =>
        new TestCaseData(forward, message).SetArgDisplayNames(name);

    [TestCaseSource(nameof(ForbiddenInsideCapture))]
    public void Capture_OfAStepAReplayCannotRepeat_ThrowsAndLeavesTheArenaUsable(Func<Arena, Tensor, Tensor> forward, string message)
    {
        using var arena = new Arena();
        Tensor x = arena.Randn([2, 3], requiresGrad: true);
        var thrown = Assert.Throws<InvalidOperationException>(() => arena.Capture(x, input => forward(arena, input)));
        Assert.That(thrown!.Message, Does.Contain(message));

        // Nothing is left half-done: host reads, random draws and a new capture work again.
        Assert.That(arena.Rand([1]).Item(), Is.InRange(0f, 1f));
        using CapturedStep step = arena.Capture(x, input => input.Exp());
        Assert.That(step.Output.ToArray(), Is.EqualTo(x.Exp().ToArray()));
    }

    [Test]
    public void Replay_FromAThreadThatDoesNotOwnTheArena_IsRefusedAndWritesNothing()
    {
        using var arena = new Arena();
        Tensor w = arena.Randn([4, 3]);
        using CapturedStep step = arena.Capture(arena.Randn([2, 3]), x => Functional.Linear(x, w).Tanh());
        float[] before = step.Output.ToArray();
        step.Input.CopyFrom(new float[6]);
        Exception? thrown = Threads.OnOtherThread(() => step.Replay());
        Assert.That(thrown, Is.InstanceOf<InvalidOperationException>());
        Assert.That(step.Output.ToArray(), Is.EqualTo(before), "the refused replay wrote the output");
    }

    [Test]
    public void Replay_IntoAFrozenArena_IsRefused()
    {
        using var arena = new Arena();
        Tensor w = arena.Randn([4, 3]);
        CapturedStep step = arena.Capture(arena.Randn([2, 3]), x => Functional.Linear(x, w).Tanh());
        arena.Freeze();
        Assert.Throws<InvalidOperationException>(() => step.Replay());
        arena.Unfreeze();
        Assert.That(step.Replay().Shape.ToArray(), Is.EqualTo(new[] { 2, 4 }));
    }

    [Test]
    public void Capture_OfAStepReturningDefault_SaysSoAndLeavesTheArenaAbleToCapture()
    {
        using var arena = new Arena();
        Tensor x = arena.Randn([2]);
        var thrown = Assert.Throws<InvalidOperationException>(() => arena.Capture(x, input => default));
        Assert.That(thrown!.Message, Does.StartWith("The captured step returned default(Tensor)"));
        using CapturedStep step = arena.Capture(x, input => input.Exp());
        Assert.That(step.Replay().ToArray(), Is.EqualTo(x.Exp().ToArray()));
    }

    [Test]
    public void DropoutInEvalMode_IsCapturedAsTheIdentity()
    {
        using var arena = new Arena();
        var dropout = new Dropout(0.5f);
        dropout.Eval();
        using CapturedStep step = arena.Capture(arena.Randn([3]), x => dropout.Forward(x).Exp());
        Tensor fresh = arena.FromData([1f, 2f, 3f]);
        Assert.That(step.Run(fresh).ToArray(), Is.EqualTo(fresh.Exp().ToArray()));
    }

    [Test]
    public void Replay_AfterItsScopeEnded_IsRefusedAsStale_EvenWhenTheSlotsWereReused()
    {
        using var arena = new Arena();
        Tensor w = arena.Randn([4, 3]);
        Tensor input = arena.Randn([2, 3]);
        CapturedStep step;
        using (arena.Scope())
        {
            step = arena.Capture(input, x => Functional.Linear(x, w).Relu());
            step.Replay();
        }
        using (arena.Scope())
        {
            Tensor other = arena.Ones([2, 4]) * 3f; // reuses the released slots and memory
            var thrown = Assert.Throws<InvalidOperationException>(() => step.Run(input));
            Assert.That(thrown!.Message, Does.StartWith("This captured step is stale"));
            Assert.That(other.ToArray(), Is.All.EqualTo(3f), "the refused replay wrote nothing");
        }
    }

    [Test]
    public void Replay_AfterReset_IsRefusedAsStale()
    {
        using var arena = new Arena();
        CapturedStep step = arena.Capture(arena.Randn([3]), x => x.Tanh());
        arena.Reset();
        _ = arena.Zeros([3]).Exp();
        Assert.That(() => step.Replay(), Throws.InvalidOperationException.With.Message.Contains("stale"));
    }

    [Test]
    public void Replay_AfterDispose_ThrowsObjectDisposed()
    {
        using var arena = new Arena();
        CapturedStep step = arena.Capture(arena.Randn([3]), x => x.Tanh());
        step.Dispose();
        Assert.Throws<ObjectDisposedException>(() => step.Replay());
        Assert.Throws<ObjectDisposedException>(() => step.Run(arena.Randn([3])));
    }

    [Test]
    public void Replay_AfterTheArenaWasDisposed_ThrowsObjectDisposed()
    {
        var arena = new Arena();
        CapturedStep step = arena.Capture(arena.Randn([3]), x => x.Tanh());
        arena.Dispose();
        Assert.Throws<ObjectDisposedException>(() => step.Replay());
    }

    [Test]
    public void CaptureTraining_WithAnOptimizerOfAnotherArena_Throws()
    {
        using var arena = new Arena();
        using var other = new Arena();
        var optimizer = new Sgd([other.Randn([2], requiresGrad: true)], lr: 0.1f);
        Assert.Throws<ArgumentException>(() => arena.CaptureTraining(arena.Randn([2]), x => x.Sum(), optimizer));
    }

    [Test]
    public void CaptureTraining_OfALossThatNeedsNoGradient_Throws()
    {
        using var arena = new Arena();
        Tensor p = arena.Randn([2], requiresGrad: true);
        var optimizer = new Sgd([p], lr: 0.1f);
        var thrown = Assert.Throws<InvalidOperationException>(() => arena.CaptureTraining(arena.Randn([2]), x => x.Sum(), optimizer));
        Assert.That(thrown!.Message, Does.Contain("nothing to train"));
    }

    [Test]
    public void Replay_ReadsTheCurrentValuesOfEveryTensorTheStepUses()
    {
        using var arena = new Arena();
        Tensor w = arena.FromData([1f, 2f, 3f]);
        using CapturedStep step = arena.Capture(arena.FromData([1f, 1f, 1f]), x => (x * w).Sum());
        Assert.That(step.Output.Item(), Is.EqualTo(6f));
        w.CopyFrom([2f, 2f, 2f]);
        Assert.That(step.Replay().Item(), Is.EqualTo(6f));
        Assert.That(step.Run(arena.FromData([1f, 2f, 3f])).Item(), Is.EqualTo(12f));
    }
}
