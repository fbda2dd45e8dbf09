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
        Assert.That(message, Does.Contain("1,024 B per call (smallest of 12 batches of 5 calls, 60 calls measured").And.Contain("a garbage collection ran through them"));
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
