using System.Runtime.CompilerServices;
using ArenaGrad.Testing;
using NUnit.Framework.Constraints;
using NUnit.Framework.Internal;

namespace ArenaGrad.Tests.Testing;

/// <summary>The allocation kit checked against delegates whose allocations are known: it must see 24 bytes per
/// call, never read a disturbed window as zero, and not blame one-off warm-up work on every call.</summary>
[NonParallelizable]
public sealed class AllocatesTests
{
    // Objects are stored here so they escape: the JIT may otherwise put a non-escaping object on the stack.
    private static object? s_sink;
    private static int s_lazyCalls;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AllocateOneObject() => s_sink = new object(); // 24 B on 64-bit: header, method table, one slot

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static object ReturnNewObject() => s_sink = new object();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int AllocateNothing() => Environment.TickCount & 1;

    private static string MessageOf(ConstraintResult result)
    {
        var writer = new TextMessageWriter();
        result.WriteMessageTo(writer);
        return writer.ToString();
    }

    [Test]
    public void Nothing_OnDelegateAllocating24BytesPerCall_FailsShowingBytesPerCallBatchesAndCalls()
    {
        ConstraintResult result = Allocates.Nothing.ApplyTo((Action)AllocateOneObject);
        string message = MessageOf(result);
        Assert.That(result.IsSuccess, Is.False, message);
        Assert.That(message, Does.Contain("Expected: no managed bytes allocated per call"));
        Assert.That(message, Does.Contain("But was:  24 B per call"));
        Assert.That(message, Does.Contain("10 batches of 100 calls, 1,000 calls measured"));
    }

    [Test]
    public void Nothing_OnFuncReturningANewObject_MeasuresTheCallsNotTheResult()
    {
        ConstraintResult result = Allocates.Nothing.ApplyTo(ReturnNewObject);
        Assert.That(result.IsSuccess, Is.False);
        Assert.That(MessageOf(result), Does.Contain("24 B per call"));
    }

    [Test]
    public void AtMost_OnDelegateAllocating24BytesPerCall_PassesAt24AndFailsAt8()
    {
        Assert.That(AllocateOneObject, Allocates.AtMost(24));
        ConstraintResult result = Allocates.AtMost(8).ApplyTo((Action)AllocateOneObject);
        Assert.That(result.IsSuccess, Is.False);
        Assert.That(MessageOf(result), Does.Contain("Expected: at most 8 B of managed allocation per call").And.Contain("24 B per call"));
    }

    [Test]
    public void Nothing_OnNonAllocatingActionAndFunc_Passes()
    {
        Assert.That(() => { _ = AllocateNothing(); }, Allocates.Nothing);
        Assert.That(() => AllocateNothing(), Allocates.Nothing);
    }

    [Test]
    public void Nothing_OnDelegateThatAllocatesOnlyInItsFirstCalls_PassesAfterWarmUp()
    {
        s_lazyCalls = 0;
        Action lazy = LazyInit;
        long before = GC.GetAllocatedBytesForCurrentThread();
        lazy();
        long firstCall = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(firstCall, Is.GreaterThan(0), "the first call allocates (a naive check around it would fail)");
        Assert.That(lazy, Allocates.Nothing);
        Assert.That(s_lazyCalls, Is.GreaterThan(1000));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LazyInit()
    {
        if (s_lazyCalls++ < 20) s_sink = new byte[64]; // a cache filled over the first calls
    }

    [Test]
    public void Nothing_WhenEveryBatchSeesAGarbageCollection_FailsAsUnreliableNotAsZero()
    {
        ConstraintResult result = Allocates.Nothing.WithWarmup(5).WithBatches(3, 5).ApplyTo((Action)(() => GC.Collect(0)));
        string message = MessageOf(result);
        Assert.That(result.IsSuccess, Is.False, message);
        Assert.That(message, Does.Contain("unreliable: only 0 of 12 batches of 5 calls ran without a garbage collection, 3 were needed"));
    }

    [Test]
    public void Nothing_OnAllocatorThatCollectsEveryCall_IsStillReportedWithItsBytes()
    {
        ConstraintResult result = Allocates.Nothing.WithWarmup(5).WithBatches(3, 5).ApplyTo((Action)(() =>
        {
            s_sink = new byte[1000]; // 24 B header and length + 1000 B
            GC.Collect(0);
        }));
        string message = MessageOf(result);
        Assert.That(result.IsSuccess, Is.False);
        Assert.That(message, Does.Contain("1,024 B per call (largest of 12 batches of 5 calls, 60 calls measured").And.Contain("a garbage collection ran through them"));
    }

    // Every Nth call allocates one 24 B object: more than once in a batch of 100 calls (2, 7, 99), less (101, 250),
    // and once in the 1,000 calls measured. Judging only the smallest batch passed all of these. The largest batch
    // holds ceil(100 / N) objects (for 7: 100 = 14 * 7 + 2, and ten batches shift the phase through every residue);
    // for 99 the batch that starts on the allocating call holds two, which ten batches may not reach.
    [TestCase(2, "12 B per call")]
    [TestCase(7, "3.60 B per call")]
    [TestCase(99, " B per call")]
    [TestCase(101, "0.24 B per call")]
    [TestCase(250, "0.24 B per call")]
    [TestCase(1000, "0.24 B per call")]
    public void Nothing_OnDelegateAllocatingEveryNthCall_Fails(int n, string largest)
    {
        var allocator = new EveryNthCall(n, bytes: 0);
        ConstraintResult result = Allocates.Nothing.ApplyTo((Action)allocator.Call);
        string message = MessageOf(result);
        Assert.That(result.IsSuccess, Is.False, message);
        Assert.That(message, Does.Contain(largest + " (largest of 10 batches of 100 calls"));
    }

    [Test]
    public void AtMost_OnDelegateAllocatingEveryNthCall_JudgesTheLargestBatch()
    {
        // 24 B every 7th call: at most 15 objects in a batch of 100 calls, 3.6 B per call.
        Assert.That(new EveryNthCall(7, bytes: 0).Call, Allocates.AtMost(4));
        ConstraintResult result = Allocates.AtMost(3).ApplyTo((Action)new EveryNthCall(7, bytes: 0).Call);
        Assert.That(result.IsSuccess, Is.False);
        Assert.That(MessageOf(result), Does.Contain("3.60 B per call (largest of 10 batches"));
        // 1,024 B every 250th call: 4.1 B per call on average, but a batch of 100 calls that holds one reads 10.24.
        Assert.That(Allocates.AtMost(8).ApplyTo((Action)new EveryNthCall(250, bytes: 1000).Call).IsSuccess, Is.False);
    }

    [Test]
    public void Nothing_OnRareAllocationThatTriggersACollection_FailsWithItsBytes()
    {
        // The batch holding the allocation is the one a collection runs through: setting such batches aside would pass.
        var allocator = new EveryNthCall(250, bytes: 1000, collect: true);
        ConstraintResult result = Allocates.Nothing.ApplyTo((Action)allocator.Call);
        string message = MessageOf(result);
        Assert.That(result.IsSuccess, Is.False, message);
        Assert.That(message, Does.Contain("10.24 B per call (largest of").And.Contain("a garbage collection ran through them"));
    }

    /// <summary>Allocates on every <c>n</c>th call: a 24 B object, or a byte array of <c>bytes</c> elements (24 B header
    /// and length), optionally followed by a gen-0 collection.</summary>
    private sealed class EveryNthCall(int n, int bytes, bool collect = false)
    {
        private int _calls;

        [MethodImpl(MethodImplOptions.NoInlining)]
        public void Call()
        {
            if (++_calls % n != 0) return;
            s_sink = bytes == 0 ? new object() : new byte[bytes];
            if (collect) GC.Collect(0);
        }
    }

    [Test]
    public void NoNativeGrowth_OnStepMakingABigTensorOutsideAnyScope_FailsWithTheGrowth()
    {
        using var arena = new Arena(new ArenaOptions { BlockBytes = 64 << 10 });
        ConstraintResult result = Allocates.NoNativeGrowth(arena).WithWarmup(3).WithBatches(2, 5)
            .ApplyTo((Action)(() => arena.Zeros([32 << 10])));  // 128 KiB: a new block every call
        string message = MessageOf(result);
        Assert.That(result.IsSuccess, Is.False, message);
        Assert.That(message, Does.Contain("Expected: no native growth of the arena"));
        Assert.That(message, Does.Contain("live tensors 3 -> 13 over 10 calls (2 batches of 5) after a 3-call warm-up"));
        Assert.That(message, Does.Contain("blocks 3 -> 13").And.Contain("(+1,310,720 B, 131,072 B per call)"));
    }

    [Test]
    public void NoNativeGrowth_OnTheSameStepInAScope_Passes()
    {
        using var arena = new Arena(new ArenaOptions { BlockBytes = 64 << 10 });
        Tensor w = arena.Ones([4], requiresGrad: true);
        Assert.That(() =>
        {
            using (arena.Scope()) (arena.Zeros([32 << 10]).Sum() * w).Sum().Backward();
        }, Allocates.NoNativeGrowth(arena).WithWarmup(3).WithBatches(2, 5));
    }

    [Test]
    public void NothingAndNoNativeGrowth_Combined_FailWhenEitherPartDoes()
    {
        using var arena = new Arena();
        Assert.That((Allocates.Nothing & Allocates.NoNativeGrowth(arena)).ApplyTo((Action)AllocateOneObject).IsSuccess, Is.False);
        Assert.That((Allocates.Nothing & Allocates.NoNativeGrowth(arena)).ApplyTo((Action)(() => arena.Zeros([4]))).IsSuccess, Is.False);
        Assert.That(() =>
        {
            using (arena.Scope()) _ = arena.Zeros([4]);
        }, Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    [Test]
    public void Allocates_CombinedWithAFunc_ThrowsSayingToPassAnAction()
    {
        using var arena = new Arena();
        // NUnit calls a Func<T> once and hands the combined constraints its result, not the delegate.
        Assert.That(() => Assert.That(() => 1, Allocates.Nothing & Allocates.NoNativeGrowth(arena)),
            Throws.ArgumentException.With.Message.Contains("Combined with & or |, pass an Action"));
    }

    [Test]
    public void Allocates_OnAValueThatIsNotADelegate_ThrowsSayingWhatItMeasures()
    {
        Assert.That(() => Allocates.Nothing.ApplyTo(42),
            Throws.ArgumentException.With.Message.StartsWith("Allocates constraints measure a delegate to call (an Action or a Func<T>").And.Message.Contains("was Int32"));
        Assert.That(() => Allocates.AtMost(-1), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => Allocates.Nothing.WithBatches(0, 10), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => Allocates.NoNativeGrowth(null!), Throws.ArgumentNullException);
    }
}
