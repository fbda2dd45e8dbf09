using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ArenaGrad.Nn;
using ArenaGrad.Optim;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Embedding;

/// <summary>Freezing an arena and borrowing its tensors: many arenas on many threads run one set of weights without
/// copying them, and nothing can write the shared memory or free it while a view of it lives.</summary>
[NonParallelizable]
public sealed class WeightSharingTests
{
    private const string FrozenMessageStart = "This arena is frozen: it is read-only and shared";

    private static unsafe nint Address(Tensor t) => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.AsSpanUnsafely()));

    [Test]
    public void FrozenArena_EveryDirectUse_ThrowsSayingHowToBorrow_OnAnyThread()
    {
        using var shared = new Arena();
        Tensor w = shared.Ones([2, 2], requiresGrad: true);
        Tensor loss = (w * w).Sum();
        var optimizer = new Sgd([w], lr: 0.1f);
        shared.Freeze();
        Assert.That(shared.IsFrozen, Is.True);
        Assert.That(shared.OwnerThreadId, Is.Zero, "a frozen arena has no owner");
        var uses = new (string What, Action Use)[]
        {
            ("read", () => w.ToArray()),
            ("op", () => _ = w.Tanh()),
            ("factory", () => shared.Zeros([1])),
            ("scope", () => shared.Scope()),
            ("grad mode", () => shared.NoGrad()),
            ("backward", () => loss.Backward()),
            ("zero_grad", () => w.ZeroGrad()),
            ("in place", () => w.MulInPlace(2f)),
            ("optimizer", () => optimizer.Step()),
            ("release", () => shared.ReleaseOwnership()),
        };
        foreach ((string what, Action use) in uses)
        {
            Assert.That(() => use(), Throws.InvalidOperationException.With.Message.StartWith(FrozenMessageStart), what);
            Assert.That(Threads.OnOtherThread(use), Is.TypeOf<InvalidOperationException>().With.Message.StartWith(FrozenMessageStart), what + ", other thread");
        }
        shared.Unfreeze();
        Assert.That(w.ToArray(), Is.EqualTo(new[] { 1f, 1f, 1f, 1f }), "nothing was changed");
        Assert.That(w.Grad, Is.Null);
    }

    [Test]
    public void Freeze_WithAScopeOpen_IsRefused()
    {
        using var arena = new Arena();
        using (arena.Scope())
            Assert.That(() => arena.Freeze(), Throws.InvalidOperationException.With.Message.StartWith("Freeze is refused while an arena scope is open (1 open)"));
        arena.Freeze();
        arena.Freeze(); // again: nothing
        Assert.That(arena.IsFrozen, Is.True);
    }

    [Test]
    public void Unfreeze_FromAnotherThread_MakesThatThreadTheOwner()
    {
        using var arena = new Arena();
        Tensor t = arena.Ones([1]);
        arena.Freeze();
        int unfreezer = 0, ownerAfterUnfreeze = 0;
        Exception? onUnfreezer = null;
        Assert.That(Threads.OnOtherThread(() =>
        {
            arena.Unfreeze();
            unfreezer = Environment.CurrentManagedThreadId;
            ownerAfterUnfreeze = arena.OwnerThreadId;
            onUnfreezer = Threads.OnOtherThread(() => t.ToArray()); // a third thread is refused: the unfreezer owns it
            arena.ReleaseOwnership();
        }), Is.Null);
        Assert.That(ownerAfterUnfreeze, Is.EqualTo(unfreezer));
        Assert.That(onUnfreezer, Is.TypeOf<InvalidOperationException>().With.Message.StartWith($"This arena is owned by managed thread {unfreezer}"));
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 1f }), "handed over: this thread now owns it");
    }

    [Test]
    public void Borrow_GivesAViewOfTheSameMemory_ThatReservesNothing()
    {
        using var shared = new Arena();
        Tensor w = shared.Range(1, 6).Reshape(2, 3);
        nint address = Address(w);
        shared.Freeze();
        using var local = new Arena();
        Tensor view = local.Borrow(w);
        Assert.That(Address(view), Is.EqualTo(address), "no copy");
        Assert.That(view.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(view.ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f, 4f, 5f, 6f }));
        Assert.That((view.RequiresGrad, view.IsLeaf, view.Arena), Is.EqualTo((false, true, local)));
        Assert.That(local.ReservedBytes, Is.Zero);
        Assert.That(shared.BorrowerCount, Is.EqualTo(1));
    }

    [Test]
    public void Borrow_OfATensorWhoseArenaIsNotFrozen_OrOfThisArena_OrDefault_Throws()
    {
        using var other = new Arena();
        using var local = new Arena();
        Tensor t = other.Ones([1]);
        Assert.That(() => local.Borrow(t), Throws.InvalidOperationException.With.Message.StartWith(
            "Borrow expects a tensor of a frozen arena, but its arena is not frozen. Call Freeze()"));
        Assert.That(() => local.Borrow(local.Ones([1])), Throws.ArgumentException.With.Message.StartWith(
            "Borrow expects a tensor of another, frozen arena, but this tensor belongs to this arena."));
        Assert.That(() => local.Borrow(default), Throws.InvalidOperationException.With.Message.StartWith("This Tensor is default(Tensor)"));
        other.Dispose();
        Assert.That(() => local.Borrow(t), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(local.TensorCount, Is.EqualTo(1), "only the Ones made above");
    }

    [Test]
    public void BorrowedView_AndViewsOfIt_RefuseInPlaceChangesAndRequiresGrad_WithGradModeOnOrOff()
    {
        using var shared = new Arena();
        Tensor w = shared.Full([4], 3f, requiresGrad: true);
        shared.Freeze();
        using var local = new Arena();
        Tensor view = local.Borrow(w);
        Tensor other = local.Ones([4]);
        const string Refused = "This tensor is a read-only view borrowed from a frozen arena (its values are shared, possibly with other threads), so it cannot be ";
        foreach (Tensor target in new[] { view, view.Reshape(2, 2).Reshape(4), view.Detach() })
        {
            foreach (bool gradMode in new[] { true, false })
            {
                using (local.SetGradEnabled(gradMode))
                {
                    Assert.That(() => target.AddInPlace(other), Throws.InvalidOperationException.With.Message.EqualTo(
                        Refused + "modified in place. Copy it into a tensor of this arena first: arena.Zeros(shape).CopyFrom(view)."));
                    Assert.That(() => target.MulInPlace(2f), Throws.InvalidOperationException.With.Message.StartWith(Refused + "modified in place."));
                    Assert.That(() => target.FillInPlace(0f), Throws.InvalidOperationException.With.Message.StartWith(Refused + "modified in place."));
                    Assert.That(() => target.CopyFrom(other), Throws.InvalidOperationException.With.Message.StartWith(Refused + "modified in place."));
                    Assert.That(() => target.CopyFrom(new float[4]), Throws.InvalidOperationException.With.Message.StartWith(Refused + "modified in place."));
                }
            }
            Assert.That(() => target.SetRequiresGrad(), Throws.InvalidOperationException.With.Message.StartWith(Refused + "made to require grad."));
            Assert.That(target.RequiresGrad, Is.False);
        }
        Assert.That(view.ToArray(), Is.EqualTo(new[] { 3f, 3f, 3f, 3f }));
        Tensor copy = local.Zeros([4]).CopyFrom(view);   // the way out: a copy of this arena's own
        copy.MulInPlace(2f);
        Assert.That(copy.ToArray(), Is.EqualTo(new[] { 6f, 6f, 6f, 6f }));
    }

    private sealed class Holder : Module
    {
        public Holder(Tensor parameter) => RegisterParameter("p", parameter);

        public override Tensor Forward(Tensor input) => input;
    }

    [Test]
    public void AModuleHoldingABorrowedView_RefusesLoadStateDictAndRequiresGrad()
    {
        using var shared = new Arena();
        Tensor w = shared.Full([2], 7f);
        shared.Freeze();
        using var local = new Arena();
        var module = new Holder(local.Borrow(w));
        using var elsewhere = new Arena();
        const string Refused = "This tensor is a read-only view borrowed from a frozen arena (its values are shared, possibly with other threads), so it cannot be ";
        Assert.That(() => module.LoadStateDict(new Dictionary<string, Tensor> { ["p"] = elsewhere.Zeros([2]) }),
            Throws.InvalidOperationException.With.Message.StartWith(Refused + "loaded into."));
        Assert.That(() => module.LoadStateDict(new Dictionary<string, Tensor> { ["p"] = local.Zeros([2]) }),
            Throws.InvalidOperationException.With.Message.StartWith(Refused + "modified in place."));
        Assert.That(() => module.RequiresGrad(), Throws.InvalidOperationException.With.Message.StartWith(Refused + "made to require grad."));
        Assert.That(module.Parameters()[0].ToArray(), Is.EqualTo(new[] { 7f, 7f }));
    }

    [Test]
    public void ASlotOnceABorrowedView_IsWritableAgainWhenReusedByAnOrdinaryTensor()
    {
        using var shared = new Arena();
        Tensor w = shared.Ones([2]);
        shared.Freeze();
        using var local = new Arena();
        using (local.Scope()) _ = local.Borrow(w);
        using (local.Scope())
        {
            Tensor t = local.Zeros([2]); // the same slot index as the released view
            t.FillInPlace(5f);
            Assert.That(t.ToArray(), Is.EqualTo(new[] { 5f, 5f }));
        }
    }

    [Test]
    public void OpsOfABorrowingArena_TakeTheFrozenTensorItselfAsALaterInput_WhileItsViewLives()
    {
        using var shared = new Arena(new ArenaOptions { Seed = 3 });
        Tensor w = shared.Randn([3, 4]), b = shared.Randn([3]);
        float[] bPlusOne = b.ToArray().Select(v => v + 1f).ToArray();
        float[] expected;
        using (shared.Scope())
        {
            Tensor x0 = shared.Range(1, 8).Reshape(2, 4);
            expected = Functional.Linear(x0, w, b).ToArray();
        }
        shared.Freeze();
        using var local = new Arena();
        Tensor x = local.Range(1, 8).Reshape(2, 4);
        Assert.That(() => Functional.Linear(x, w, b), Throws.InvalidOperationException.With.Message.StartWith(FrozenMessageStart),
            "not borrowed here yet");
        using (local.Scope())
        {
            local.BorrowAll([w, b]);
            Assert.That(Functional.Linear(x, w, b).ToArray(), Is.EqualTo(expected));
            Assert.That((local.Ones([3]) + b).ToArray(), Is.EqualTo(bPlusOne), "the right operand of a sum");
            Assert.That(() => w.MatMul(x), Throws.InvalidOperationException.With.Message.StartWith(FrozenMessageStart),
                "the first input decides the arena, and the frozen one runs nothing");
        }
        Assert.That(() => Functional.Linear(x, w, b), Throws.InvalidOperationException.With.Message.StartWith(FrozenMessageStart),
            "the views ended with the scope");
        Assert.That(shared.BorrowerCount, Is.Zero);
    }

    [Test]
    public void Backward_ThroughBorrowedWeights_GivesTheInputsGradient_AndTouchesNoSharedMemory()
    {
        using var shared = new Arena(new ArenaOptions { Seed = 5 });
        Tensor w = shared.Randn([3, 4], requiresGrad: true), b = shared.Randn([3], requiresGrad: true);
        float[] input = [0.5f, -1f, 2f, 0.25f, 1f, 1f, -0.5f, 3f];
        float[] expectedGrad;
        using (shared.Scope())
        {
            Tensor x0 = shared.FromData(input, [2, 4], requiresGrad: true);
            Functional.Linear(x0, w, b).Tanh().Sum().Backward();
            expectedGrad = x0.Grad!.Value.ToArray();
        }
        w.ZeroGrad();
        b.ZeroGrad();
        float[] weights = w.ToArray();
        shared.Freeze();
        using var local = new Arena();
        local.BorrowAll([w, b]);
        Tensor x = local.FromData(input, [2, 4], requiresGrad: true);
        Functional.Linear(x, w, b).Tanh().Sum().Backward();
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(expectedGrad));
        local.Dispose();
        shared.Unfreeze();
        Assert.That(w.Grad.HasValue || b.Grad.HasValue, Is.False, "no gradient reached the shared parameters");
        Assert.That(w.ToArray(), Is.EqualTo(weights));
    }

    [Test]
    public void UnfreezeAndDispose_AreRefusedWhileBorrowed_AndAllowedOnceEveryViewEnded()
    {
        var shared = new Arena();
        Tensor w = shared.Ones([2]);
        shared.Freeze();
        using var scoped = new Arena();
        using var kept = new Arena();
        using var pool = new ArenaPool();
        Arena rented = pool.Rent();
        ArenaScope scope = scoped.Scope();
        scoped.Borrow(w);
        kept.Borrow(w);
        rented.Borrow(w);
        rented.Borrow(w); // a second view from the same arena: still one borrower
        Assert.That(shared.BorrowerCount, Is.EqualTo(3));
        const string Refused = "This arena cannot be unfrozen (or disposed) while 3 arena(s) hold views borrowed from it";
        Assert.That(() => shared.Unfreeze(), Throws.InvalidOperationException.With.Message.StartWith(Refused));
        Assert.That(() => shared.Dispose(), Throws.InvalidOperationException.With.Message.StartWith(Refused));
        Assert.That(shared.IsFrozen, Is.True);

        scope.Dispose();            // the scope's views end
        Assert.That(shared.BorrowerCount, Is.EqualTo(2));
        pool.Return(rented);        // a returned arena is reset
        Assert.That(shared.BorrowerCount, Is.EqualTo(1));
        kept.Reset();
        Assert.That(shared.BorrowerCount, Is.Zero);
        kept.Borrow(w);
        kept.Dispose();             // disposing the borrower releases it too
        Assert.That(shared.BorrowerCount, Is.Zero);
        shared.Dispose();           // a frozen arena nobody borrows from can be disposed
        Assert.That(shared.IsDisposed, Is.True);
    }

    [Test]
    public void BorrowAll_IsAllOrNothing()
    {
        using var shared = new Arena();
        Tensor a = shared.Ones([2]), b = shared.Ones([3]);
        shared.Freeze();
        using var notFrozen = new Arena();
        Tensor c = notFrozen.Ones([1]);
        using var local = new Arena();
        Assert.That(() => local.BorrowAll([a, b, c]), Throws.InvalidOperationException.With.Message.StartWith("Borrow expects a tensor of a frozen arena"));
        Assert.That(local.TensorCount, Is.Zero);
        Assert.That(shared.BorrowerCount, Is.Zero, "the pin taken for a and b is given back");
        local.BorrowAll([a, b]);
        Assert.That((local.TensorCount, shared.BorrowerCount), Is.EqualTo((2, 1)));
    }

    private static Mlp SharedModel(Arena arena) => new(arena, [8, 32, 32, 4]);

    private static float[][] Inputs(int count)
    {
        var random = new Random(11);
        var inputs = new float[count][];
        for (int k = 0; k < count; k++)
        {
            inputs[k] = new float[5 * 8];
            for (int i = 0; i < inputs[k].Length; i++) inputs[k][i] = (float)(random.NextDouble() * 4 - 2);
        }
        return inputs;
    }

    [Test]
    public void ManyThreads_RunningInferenceOnOneFrozenModel_GetTheSingleThreadBits_AndNeverWriteTheSharedMemory()
    {
        const int ThreadCount = 8, Iterations = 250;
        using var shared = new Arena(new ArenaOptions { Seed = 21 });
        Mlp model = SharedModel(shared);
        IReadOnlyList<Tensor> parameters = model.Parameters();
        float[][] inputs = Inputs(16);
        var expected = new float[inputs.Length][];
        for (int k = 0; k < inputs.Length; k++)
            using (shared.Scope())
                expected[k] = model.Forward(shared.FromData(inputs[k], [5, 8])).ToArray();
        float[][] weightsBefore = parameters.Select(p => p.ToArray()).ToArray();
        shared.Freeze();
        ArenaStatistics statisticsBefore = shared.Statistics;

        using var pool = new ArenaPool(new ArenaPoolPolicy { MaximumRetained = ThreadCount });
        int mismatches = 0;
        Threads.Run(ThreadCount, worker =>
        {
            var result = new float[5 * 4];
            for (int i = 0; i < Iterations; i++)
            {
                int k = (worker * 7 + i) % inputs.Length;
                Arena arena = pool.Rent();
                if (i % 2 == 0) arena.BorrowAll(parameters); // kept until Return resets the arena
                using (arena.Scope())
                {
                    if (i % 2 == 1) arena.BorrowAll(parameters); // released with the scope
                    model.Forward(arena.FromData(inputs[k], [5, 8])).CopyTo(result);
                }
                pool.Return(arena);
                for (int j = 0; j < result.Length; j++)
                    if (BitConverter.SingleToInt32Bits(result[j]) != BitConverter.SingleToInt32Bits(expected[k][j]))
                        Interlocked.Increment(ref mismatches);
            }
        });
        Assert.That(mismatches, Is.Zero, "every result equals the single-thread reference bit for bit");
        Assert.That(shared.BorrowerCount, Is.Zero);
        Assert.That(shared.Statistics, Is.EqualTo(statisticsBefore));
        shared.Unfreeze();
        for (int p = 0; p < parameters.Count; p++)
            Assert.That(parameters[p].ToArray(), Is.EqualTo(weightsBefore[p]), $"parameter {p} unchanged");
    }

    [Test]
    public void InferenceStep_OnBorrowedWeights_AllocatesNothingAfterWarmUp()
    {
        using var shared = new Arena(new ArenaOptions { Seed = 2 });
        Mlp model = SharedModel(shared);
        IReadOnlyList<Tensor> parameters = model.Parameters();
        shared.Freeze();
        using var local = new Arena();
        Tensor input = local.Randn([5, 8]);
        var result = new float[5 * 4];
        Assert.That(() => InferenceStep(local, model, parameters, input, result), Allocates.Nothing & Allocates.NoNativeGrowth(local));
        Assert.That(shared.BorrowerCount, Is.Zero);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void InferenceStep(Arena arena, Mlp model, IReadOnlyList<Tensor> parameters, Tensor input, float[] result)
    {
        using (arena.Scope())
        {
            arena.BorrowAll(parameters);
            model.Forward(input).CopyTo(result);
        }
    }
}
