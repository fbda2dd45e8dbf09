namespace ArenaGrad.Tests.Memory;

/// <summary>The arena: lifetimes, scopes, stale handles and the capacity cap.</summary>
public sealed class ArenaTests
{
    [Test]
    public void Scope_ReleasesEverythingMadeInside_AndKeepsWhatWasMadeBefore()
    {
        using var arena = new Arena();
        Tensor parameter = arena.Ones([4], requiresGrad: true);
        int tensors = arena.TensorCount, tape = arena.TapeLength;
        Tensor inside;
        using (arena.Scope())
        {
            inside = (parameter * 2f).Sum();
            inside.Backward();
            Assert.That(arena.TapeLength, Is.GreaterThan(tape));
        }
        Assert.That(arena.TensorCount, Is.EqualTo(tensors));
        Assert.That(arena.TapeLength, Is.EqualTo(tape));
        Assert.That(parameter.Grad!.Value.ToArray(), Is.EqualTo(new[] { 2f, 2f, 2f, 2f }), "leaf gradients outlive the scope");
    }

    [Test]
    public void ReleasedHandle_FailsLoudly_EvenAfterItsSlotIsReused()
    {
        using var arena = new Arena();
        Tensor stale;
        using (arena.Scope())
        {
            stale = arena.Full([2], 5f);
            Assert.That(stale.IsAlive, Is.True);
        }
        Assert.That(stale.IsAlive, Is.False);
        var error = Assert.Throws<InvalidOperationException>(() => stale.ToArray());
        Assert.That(error!.Message, Does.Contain("was released"));
        using (arena.Scope())
        {
            Tensor reuser = arena.Full([2], 7f); // same slot, new generation
            Assert.Throws<InvalidOperationException>(() => _ = stale.Shape.Length);
            Assert.That(reuser.ToArray(), Is.EqualTo(new[] { 7f, 7f }));
        }
    }

    [Test]
    public void DefaultTensor_FailsWithClearMessage()
    {
        Tensor none = default;
        var error = Assert.Throws<InvalidOperationException>(() => _ = none.RequiresGrad);
        Assert.That(error!.Message, Does.Contain("default(Tensor)"));
        Assert.That(none.ToString(), Is.EqualTo("Tensor(default)"));
    }

    [Test]
    public void DisposedArena_HandlesThrowObjectDisposed()
    {
        var arena = new Arena();
        Tensor t = arena.Ones([2]);
        arena.Dispose();
        Assert.Throws<ObjectDisposedException>(() => t.ToArray());
        Assert.Throws<ObjectDisposedException>(() => arena.Ones([1]));
    }

    [Test]
    public void Scopes_EndedOutOfOrder_Throw()
    {
        using var arena = new Arena();
        ArenaScope outer = arena.Scope();
        ArenaScope inner = arena.Scope();
        Assert.Throws<InvalidOperationException>(outer.Dispose);
        inner.Dispose();
        outer.Dispose();
        Assert.That(arena.TensorCount, Is.Zero);
    }

    [Test]
    public void Scope_DisposedTwice_SecondCallDoesNothing_EvenWhenANewScopeIsOpen()
    {
        using var arena = new Arena();
        ArenaScope first = arena.Scope();
        first.Dispose();
        using (arena.Scope())
        {
            Tensor inside = arena.Ones([2]);
            first.Dispose(); // stale: must not end the scope that is open now
            Assert.That(inside.ToArray(), Is.EqualTo(new[] { 1f, 1f }));
        }
        Assert.That(arena.TensorCount, Is.Zero);
    }

    [Test]
    public void CapacityCap_RequestPastCap_ThrowsWithNumbers_AndLeavesArenaAsItWas()
    {
        using var arena = new Arena(new ArenaOptions { BlockBytes = 4096, MaxBytes = 8192 });
        Tensor kept = arena.Full([100], 3f, requiresGrad: true);
        long reserved = arena.ReservedBytes;
        int tensors = arena.TensorCount, tape = arena.TapeLength;
        var error = Assert.Throws<ArenaCapacityException>(() => arena.Zeros([10_000]));
        Assert.That(error!.RequestedBytes, Is.EqualTo(40_000));
        Assert.That(error.MaxBytes, Is.EqualTo(8192));
        Assert.That(error.Message, Does.Contain("40000 bytes").And.Contain("ArenaOptions.MaxBytes"));
        Assert.That(arena.ReservedBytes, Is.EqualTo(reserved));
        Assert.That(arena.TensorCount, Is.EqualTo(tensors));
        Assert.That(arena.TapeLength, Is.EqualTo(tape));
        // Still fully usable.
        Tensor loss = (kept * 2f).Sum();
        loss.Backward();
        Assert.That(kept.Grad!.Value.ToArray()[0], Is.EqualTo(2f));
        Assert.Throws<ArenaCapacityException>(() => _ = kept * arena.Zeros([5000]));
        Assert.That(arena.TapeLength, Is.EqualTo(tape + 2));
    }

    [Test]
    public void SteadyState_LoopInScope_AddsNoNativeBlocks()
    {
        using var arena = new Arena(new ArenaOptions { BlockBytes = 64 * 1024 });
        Tensor w = arena.Randn([64, 64], requiresGrad: true);
        void Step()
        {
            using (arena.Scope())
            {
                Tensor x = arena.Randn([8, 64]);
                x.MatMul(w).Tanh().MatMul(w).Square().Mean().Backward();
            }
        }
        for (int i = 0; i < 3; i++) Step();
        long reserved = arena.ReservedBytes;
        int blocks = arena.BlockCount;
        for (int i = 0; i < 100; i++) Step();
        Assert.That(arena.ReservedBytes, Is.EqualTo(reserved));
        Assert.That(arena.BlockCount, Is.EqualTo(blocks));
    }

    [Test]
    public void LargeTensor_GetsItsOwnBlock_AndValuesAre64ByteAligned()
    {
        using var arena = new Arena(new ArenaOptions { BlockBytes = 1024 });
        Tensor big = arena.Full([10_000], 1f);
        Tensor small = arena.Full([3], 2f);
        Assert.That(big.Sum().Item(), Is.EqualTo(10_000f));
        Assert.That(small.ToArray(), Is.EqualTo(new[] { 2f, 2f, 2f }));
        unsafe
        {
            fixed (float* p = big.AsSpanUnsafely()) Assert.That((long)p % 64, Is.EqualTo(0L));
            fixed (float* p = small.AsSpanUnsafely()) Assert.That((long)p % 64, Is.EqualTo(0L));
        }
    }

    [Test]
    public void SetRequiresGrad_OnTensorFromOuterScope_IsRefusedWithExplanation()
    {
        using var arena = new Arena();
        using (arena.Scope())
        {
            Tensor outer = arena.Ones([2]);
            using (arena.Scope())
            {
                var error = Assert.Throws<InvalidOperationException>(() => outer.SetRequiresGrad());
                Assert.That(error!.Message, Does.Contain("innermost open arena scope"));
                Assert.That(outer.RequiresGrad, Is.False);
            }
            outer.SetRequiresGrad();
            Assert.That(outer.RequiresGrad, Is.True);
        }
    }

    [Test]
    public void ManyTensorsThatRequireGrad_EachKeepsItsGradient_AcrossColumnGrowth()
    {
        // Attaches gradients while the table columns grow (a gradient slot once was written through a reference
        // taken before a column reallocated).
        using var arena = new Arena();
        var leaves = new Tensor[300];
        for (int i = 0; i < leaves.Length; i++) leaves[i] = arena.Full([2], i, requiresGrad: true);
        Tensor total = arena.Scalar(0f);
        for (int i = 0; i < leaves.Length; i++) total = total + (leaves[i] * (float)i).Sum();
        total.Backward();
        for (int i = 0; i < leaves.Length; i++)
            Assert.That(leaves[i].Grad!.Value.ToArray(), Is.EqualTo(new[] { (float)i, i }), $"leaf {i}");
    }

    [Test]
    public void TensorFromAnotherArena_IsRefused()
    {
        using var one = new Arena();
        using var two = new Arena();
        var error = Assert.Throws<ArgumentException>(() => _ = one.Ones([2]) + two.Ones([2]));
        Assert.That(error!.Message, Does.Contain("another arena"));
    }
}
