using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ArenaGrad.Memory;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Embedding;

/// <summary>ArenaPool: rented arenas are fresh and owned by the renter, returned ones are reset, bounded and handed to
/// the next renter on any thread; misuse throws before anything changes.</summary>
[NonParallelizable] // the allocation test measures this thread, the trimming test reads process-wide native memory
public sealed class ArenaPoolTests
{
    [Test]
    public void Rent_GivesAFreshArenaOwnedByTheCallingThread()
    {
        using var pool = new ArenaPool();
        Arena arena = pool.Rent();
        Assert.That(arena.OwnerThreadId, Is.EqualTo(Environment.CurrentManagedThreadId));
        Assert.That(arena.TensorCount, Is.Zero);
        Assert.That(arena.IsGradEnabled, Is.True);
        Assert.That(arena.Options, Is.EqualTo(pool.Policy.ArenaOptions));
        pool.Return(arena);
    }

    [Test]
    public void Return_ResetsTensorsTapeGradModeAnomalyAndGenerator_SoTheNextRentalIsLikeANewArena()
    {
        var options = new ArenaOptions { Seed = 42 };
        using var pool = new ArenaPool(new ArenaPoolPolicy { ArenaOptions = options, MaximumRetained = 1 });
        Arena arena = pool.Rent();
        Tensor w = arena.Randn([3], requiresGrad: true);
        (w * w).Sum().Backward();
        arena.SetGradEnabled(false);       // left on purpose: Return turns grad mode back on
        arena.DetectAnomaly();             // likewise for anomaly mode
        _ = arena.Rand([5]);               // moves the generator
        pool.Return(arena);

        Arena again = pool.Rent();
        Assert.That(again, Is.SameAs(arena), "a pool keeping one arena hands the same one back");
        Assert.That(w.IsAlive, Is.False, "tensors made before Return are released");
        Assert.That(() => w.ToArray(), Throws.InvalidOperationException.With.Message.Contains("was released"));
        Assert.That((again.TensorCount, again.TapeLength, again.GradientBytes), Is.EqualTo((0, 0, 0L)));
        Assert.That(again.IsGradEnabled, Is.True);
        Assert.That(again.IsAnomalyEnabled, Is.False);
        Assert.That(again.LastBackwardInstructionCount, Is.Zero);
        using var fresh = new Arena(options);
        Assert.That(again.Randn([3]).ToArray(), Is.EqualTo(fresh.Randn([3]).ToArray()), "the generator is reseeded from the options");
        pool.Return(again);
    }

    [Test]
    public void Return_KeepsTheBlocks_SoTheNextRentalReservesNothing()
    {
        using var pool = new ArenaPool(new ArenaPoolPolicy { MaximumRetained = 1 });
        Arena arena = pool.Rent();
        arena.Zeros([1000]);
        long reserved = arena.ReservedBytes;
        pool.Return(arena);
        Arena again = pool.Rent();
        Assert.That(again.ReservedBytes, Is.EqualTo(reserved));
        again.Zeros([1000]);
        Assert.That(again.ReservedBytes, Is.EqualTo(reserved), "the kept block is reused");
        pool.Return(again);
    }

    [Test]
    public void Return_OfAnArenaOverTheBound_TrimsItsEmptyBlocksUntilItFits()
    {
        var policy = new ArenaPoolPolicy
        {
            ArenaOptions = new ArenaOptions { BlockBytes = 64 << 10 },
            MaxRetainedBytes = 200 << 10,
            MaximumRetained = 1,
        };
        using var pool = new ArenaPool(policy);
        Arena arena = pool.Rent();
        for (int i = 0; i < 10; i++) arena.Zeros([16 << 10]); // 64 KiB each: ten blocks
        Assert.That(arena.BlockCount, Is.EqualTo(10));
        long liveBefore = NativeMemoryStats.LiveBytes;
        pool.Return(arena);
        Arena again = pool.Rent();
        Assert.That(again, Is.SameAs(arena));
        Assert.That(again.ReservedBytes, Is.LessThanOrEqualTo(policy.MaxRetainedBytes));
        Assert.That(again.BlockCount, Is.EqualTo(3), "three 64 KiB blocks fit in 200 KiB");
        Assert.That(liveBefore - NativeMemoryStats.LiveBytes, Is.GreaterThanOrEqualTo(7L * (64 << 10)), "the trimmed blocks are freed");
        for (int i = 0; i < 3; i++) again.Zeros([16 << 10]);
        Assert.That(again.BlockCount, Is.EqualTo(3), "the kept blocks still work");
        pool.Return(again);
    }

    [Test]
    public void Return_OfAnArenaOverTheBound_WithoutTrimming_DisposesIt()
    {
        using var pool = new ArenaPool(new ArenaPoolPolicy { MaxRetainedBytes = 0, TrimOversized = false });
        Arena arena = pool.Rent();
        arena.Zeros([4]);
        pool.Return(arena);
        Assert.That(arena.IsDisposed, Is.True);
        Arena next = pool.Rent();
        Assert.That(next, Is.Not.SameAs(arena));
        pool.Return(next); // reserves nothing yet: kept
        Assert.That(next.IsDisposed, Is.False);
    }

    [Test]
    public void Return_WithAScopeOpen_ThrowsAndLeavesTheArenaRentedAndUnchanged()
    {
        using var pool = new ArenaPool();
        Arena arena = pool.Rent();
        Tensor kept = arena.Ones([2]);
        ArenaScope scope = arena.Scope();
        Tensor inside = arena.Zeros([3]);
        Assert.That(() => pool.Return(arena), Throws.InvalidOperationException.With.Message.EqualTo(
            "Reset (or returning the arena to its pool) is refused while an arena scope is open (1 open): dispose the scopes first, innermost first."));
        Assert.That(inside.ToArray(), Is.EqualTo(new float[3]), "nothing was released");
        scope.Dispose();
        Assert.That(kept.ToArray(), Is.EqualTo(new[] { 1f, 1f }));
        pool.Return(arena); // still rented: the retry works
        Assert.That(() => kept.ToArray(), Throws.InvalidOperationException.With.Message.StartWith("This arena was returned to its ArenaPool"));
    }

    [Test]
    public void Return_Twice_Throws()
    {
        using var pool = new ArenaPool();
        Arena arena = pool.Rent();
        pool.Return(arena);
        Assert.That(() => pool.Return(arena), Throws.ArgumentException.With.Message.StartWith(
            "This arena is not rented from this pool: it was never rented from it, or it was returned already."));
    }

    [Test]
    public void Return_OfAnArenaNotFromThisPool_Throws()
    {
        using var pool = new ArenaPool();
        using var other = new ArenaPool();
        using var own = new Arena();
        Assert.That(() => pool.Return(own), Throws.ArgumentException.With.Message.StartWith("This arena is not rented from this pool"));
        Arena foreign = other.Rent();
        Assert.That(() => pool.Return(foreign), Throws.ArgumentException.With.Message.StartWith(
            "This arena was rented from another ArenaPool: return it to that pool."));
        other.Return(foreign);
        Assert.That(() => pool.Return(null!), Throws.ArgumentNullException);
    }

    [Test]
    public void Return_OfADisposedArena_DropsIt()
    {
        using var pool = new ArenaPool(new ArenaPoolPolicy { MaximumRetained = 1 });
        Arena arena = pool.Rent();
        arena.Dispose();
        Assert.That(() => pool.Return(arena), Throws.Nothing);
        Arena next = pool.Rent();
        Assert.That(next, Is.Not.SameAs(arena));
        Assert.That(next.Zeros([2]).ToArray(), Is.EqualTo(new float[2]));
        pool.Return(next);
    }

    [Test]
    public void Return_OfAFrozenArena_ThrowsAndLeavesItRented()
    {
        using var pool = new ArenaPool();
        Arena arena = pool.Rent();
        arena.Freeze();
        Assert.That(() => pool.Return(arena), Throws.InvalidOperationException.With.Message.StartWith("This arena is frozen"));
        arena.Unfreeze();
        pool.Return(arena);
    }

    [Test]
    public void UsingAnArenaAfterReturningIt_ThrowsReturnedToPool()
    {
        using var pool = new ArenaPool();
        Arena arena = pool.Rent();
        pool.Return(arena);
        const string Expected = "This arena was returned to its ArenaPool: every tensor of it was released and another thread may rent it. " +
            "Rent an arena again (pool.Rent()) instead of keeping one after Return.";
        Assert.That(() => arena.Zeros([1]), Throws.InvalidOperationException.With.Message.EqualTo(Expected));
        Assert.That(() => arena.Scope(), Throws.InvalidOperationException.With.Message.EqualTo(Expected));
        Assert.That(Threads.OnOtherThread(() => arena.Zeros([1])), Is.TypeOf<InvalidOperationException>().With.Message.EqualTo(Expected));
        Arena again = pool.Rent();
        Assert.That(again, Is.SameAs(arena), "the stale uses did not take the arena from the pool");
        pool.Return(again);
    }

    [Test]
    public void Return_FromAThreadThatDoesNotOwnTheArena_ThrowsAndKeepsItRented()
    {
        using var pool = new ArenaPool();
        Arena arena = pool.Rent();
        Exception? thrown = Threads.OnOtherThread(() => pool.Return(arena));
        Assert.That(thrown, Is.TypeOf<InvalidOperationException>().With.Message.StartWith("This arena is owned by managed thread"));
        Assert.That(arena.Zeros([1]).ToArray(), Is.EqualTo(new[] { 0f }), "still rented by this thread");
        arena.ReleaseOwnership();
        Assert.That(Threads.OnOtherThread(() => pool.Return(arena)), Is.Null, "after a handover any thread may return it");
        Assert.That(pool.Rent(), Is.SameAs(arena));
    }

    [Test]
    public void MaximumRetained_ArenasReturnedBeyondIt_AreDisposed()
    {
        using var pool = new ArenaPool(new ArenaPoolPolicy { MaximumRetained = 2 });
        Arena[] arenas = [pool.Rent(), pool.Rent(), pool.Rent(), pool.Rent()];
        foreach (Arena arena in arenas) pool.Return(arena);
        Assert.That(arenas.Count(a => a.IsDisposed), Is.EqualTo(2));
        var rented = new[] { pool.Rent(), pool.Rent() };
        Assert.That(rented, Is.EquivalentTo(arenas.Where(a => !a.IsDisposed)), "the kept ones are rented out again");
        foreach (Arena arena in rented) pool.Return(arena);
    }

    [Test]
    public void Dispose_DisposesKeptArenas_AndArenasReturnedLater()
    {
        var pool = new ArenaPool();
        Arena kept = pool.Rent(), outstanding = pool.Rent();
        pool.Return(kept);
        pool.Dispose();
        Assert.That(kept.IsDisposed, Is.True);
        Assert.That(() => pool.Rent(), Throws.TypeOf<ObjectDisposedException>());
        pool.Return(outstanding);
        Assert.That(outstanding.IsDisposed, Is.True);
    }

    [Test]
    public void RentAndReturn_AfterWarmUp_AllocateNothing()
    {
        using var pool = new ArenaPool(new ArenaPoolPolicy { MaximumRetained = 1 });
        Arena first = pool.Rent();
        pool.Return(first);
        Assert.That(() => RentUseReturn(pool), Allocates.Nothing);
        Assert.That(pool.Rent(), Is.SameAs(first), "one arena served every call");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RentUseReturn(ArenaPool pool)
    {
        Arena arena = pool.Rent();
        Tensor w = arena.Ones([8], requiresGrad: true);
        (w * w).Sum().Backward();
        pool.Return(arena);
    }

    [Test]
    public void RentAndReturn_FromManyThreads_NeverGiveOneArenaToTwoRenters()
    {
        const int ThreadCount = 8, Iterations = 2000;
        using var pool = new ArenaPool(new ArenaPoolPolicy { MaximumRetained = 4, ArenaOptions = new ArenaOptions { BlockBytes = 4096 } });
        var held = new ConcurrentDictionary<Arena, int>(ReferenceEqualityComparer.Instance);
        var seen = new ConcurrentDictionary<Arena, bool>(ReferenceEqualityComparer.Instance);
        Threads.Run(ThreadCount, worker =>
        {
            for (int i = 0; i < Iterations; i++)
            {
                Arena arena = pool.Rent();
                if (!held.TryAdd(arena, worker)) throw new InvalidOperationException($"arena rented by thread {held[arena]} and {worker} at once");
                seen.TryAdd(arena, true);
                if (arena.TensorCount != 0 || !arena.IsGradEnabled) throw new InvalidOperationException("a rented arena was not reset");
                Tensor mine = arena.Full([64], worker + i);
                float sum = (mine * 2f).Sum().Item();
                if (sum != 128f * (worker + i)) throw new InvalidOperationException($"wrong sum {sum}");
                if (i % 3 == 0) arena.ReleaseOwnership(); // sometimes hand over first, as a job system would
                held.TryRemove(arena, out _);
                pool.Return(arena);
            }
        });
        Assert.That(held, Is.Empty);
        Assert.That(seen.Keys.Count(a => !a.IsDisposed), Is.LessThanOrEqualTo(4), "the pool keeps at most MaximumRetained");
    }
}
