using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Embedding;

/// <summary>arena.Statistics: one allocation-free snapshot of what a game budgets: reserved bytes, bytes in use and
/// their high-water mark, live tensors, tape length and blocks.</summary>
[NonParallelizable]
public sealed class ArenaStatisticsTests
{
    [Test]
    public void Statistics_OfANewArena_AreAllZero()
    {
        using var arena = new Arena();
        Assert.That(arena.Statistics, Is.EqualTo(default(ArenaStatistics)));
    }

    [Test]
    public void Statistics_AgreeWithTheArenasCounters()
    {
        using var arena = new Arena();
        Tensor w = arena.Ones([10], requiresGrad: true);
        Tensor loss = (w * w).Sum();
        ArenaStatistics s = arena.Statistics;
        Assert.That((s.ReservedBytes, s.TensorCount, s.TapeLength, s.BlockCount),
            Is.EqualTo((arena.ReservedBytes, arena.TensorCount, arena.TapeLength, arena.BlockCount)));
        Assert.That((s.TensorCount, s.TapeLength, s.BlockCount), Is.EqualTo((4, 2, 1)),
            "w and its grad view, w*w, the sum (an op's result gets a grad view only from retain_grad)");
        loss.Backward();
        Assert.That(arena.Statistics.TapeLength, Is.EqualTo(2), "backward keeps the tape (nothing is freed until the scope ends)");
    }

    [Test]
    public void BytesInUse_CountsAlignedValuesAndGradients_AndFallsWhenAScopeEnds_WhileThePeakStays()
    {
        using var arena = new Arena();
        arena.Zeros([10]);                                   // 10 floats, rounded up to 16: 64 bytes
        Assert.That(arena.Statistics.BytesInUse, Is.EqualTo(64));
        arena.Zeros([10], requiresGrad: true);               // values and gradient: 128 bytes more
        Assert.That(arena.Statistics.BytesInUse, Is.EqualTo(192));
        using (arena.Scope())
        {
            arena.Zeros([100]);                              // 112 floats: 448 bytes
            Assert.That(arena.Statistics.BytesInUse, Is.EqualTo(640));
        }
        ArenaStatistics after = arena.Statistics;
        Assert.That((after.BytesInUse, after.PeakBytesInUse), Is.EqualTo((192L, 640L)));
        arena.ResetPeakBytesInUse();
        Assert.That(arena.Statistics.PeakBytesInUse, Is.EqualTo(192));
        using (arena.Scope()) arena.Zeros([16]);
        Assert.That(arena.Statistics.PeakBytesInUse, Is.EqualTo(256));
        arena.Reset();
        Assert.That((arena.Statistics.BytesInUse, arena.Statistics.PeakBytesInUse), Is.EqualTo((0L, 0L)), "Reset starts the mark again");
        Assert.That(arena.Statistics.ReservedBytes, Is.EqualTo(arena.Options.BlockBytes), "the block is kept");
    }

    [Test]
    public void BytesInUse_AcrossBlocks_CountsTheTailsOfBlocksBelowTheTop_AndScopesRewindIt()
    {
        using var arena = new Arena(new ArenaOptions { BlockBytes = 1024 });  // 256 floats per block
        arena.Zeros([200]);                                  // 208 floats in block 0
        arena.Zeros([100]);                                  // does not fit: block 1 (block 0's tail of 48 floats is skipped)
        Assert.That(arena.Statistics.BytesInUse, Is.EqualTo(1024 + 112 * 4));
        using (arena.Scope())
        {
            arena.Zeros([2000]);                             // bigger than a block: a block of its own, 2000 floats
            arena.Zeros([16]);                               // the big block is full: a new 256-float block
            Assert.That(arena.Statistics.BytesInUse, Is.EqualTo(1024 + 1024 + 2000 * 4 + 16 * 4));
            Assert.That(arena.Statistics.BlockCount, Is.EqualTo(4));
        }
        Assert.That(arena.Statistics.BytesInUse, Is.EqualTo(1024 + 112 * 4), "the scope's blocks are free again");
        Assert.That(arena.Statistics.PeakBytesInUse, Is.EqualTo(1024 + 1024 + 2000 * 4 + 16 * 4));
        using (arena.Scope())
        {
            arena.Zeros([16]);                               // fits in block 1
            arena.Zeros([2000]);                             // the kept big block is reused
            Assert.That(arena.Statistics.BytesInUse, Is.EqualTo(1024 + 1024 + 2000 * 4));
            Assert.That(arena.Statistics.BlockCount, Is.EqualTo(4), "no new block");
        }
        arena.Reset();
        arena.Zeros([300]);                                  // too big for block 0 and for the next kept block: a new one of 304 floats
        Assert.That(arena.Statistics.BytesInUse, Is.EqualTo(1024 + 304 * 4));
        Assert.That(arena.Statistics.BlockCount, Is.EqualTo(5));
    }

    [Test]
    public void PeakBytesInUse_SeesScratchReleasedInsideAnOp()
    {
        using var arena = new Arena();
        Tensor x = arena.Randn([64, 64], requiresGrad: true);
        long before = arena.Statistics.BytesInUse;
        using (arena.Scope()) Functional.CrossEntropy(x, Enumerable.Range(0, 64).Select(i => i % 64).ToArray()).Backward();
        ArenaStatistics s = arena.Statistics;
        Assert.That(s.BytesInUse, Is.EqualTo(before));
        Assert.That(s.PeakBytesInUse, Is.GreaterThan(before + 64 * 64 * 4), "the step's tensors (and backward's scratch) counted at their peak");
    }

    [Test]
    public void ReadingStatistics_AllocatesNothing()
    {
        using var arena = new Arena(new ArenaOptions { BlockBytes = 1024 });
        for (int i = 0; i < 8; i++) arena.Zeros([200]);       // several blocks to walk
        ArenaStatistics s = default;
        Assert.That(() => { s = arena.Statistics; }, Allocates.Nothing);
        Assert.That(s.BlockCount, Is.EqualTo(8));
    }

    [Test]
    public void Statistics_OfAFrozenArena_CanBeReadFromAnyThread_OfADisposedOneAreZero()
    {
        var arena = new Arena();
        arena.Ones([4]);
        ArenaStatistics mine = arena.Statistics;
        arena.Freeze();
        ArenaStatistics theirs = default;
        Assert.That(Threads.OnOtherThread(() => theirs = arena.Statistics), Is.Null);
        Assert.That(theirs, Is.EqualTo(mine));
        arena.Dispose();
        Assert.That(arena.Statistics, Is.EqualTo(default(ArenaStatistics)));
    }

    [Test]
    public void Statistics_OfAnArenaOwnedByAnotherThread_Throw()
    {
        using var arena = new Arena();
        Assert.That(Threads.OnOtherThread(() => _ = arena.Statistics), Is.TypeOf<InvalidOperationException>());
    }

    [Test]
    public void ToString_ListsEveryNumber()
    {
        var s = new ArenaStatistics(4096, 128, 256, 3, 1, 1);
        Assert.That(s.ToString(), Is.EqualTo(
            "ArenaStatistics { ReservedBytes = 4096, BytesInUse = 128, PeakBytesInUse = 256, TensorCount = 3, TapeLength = 1, BlockCount = 1 }"));
        Assert.That(s == new ArenaStatistics(4096, 128, 256, 3, 1, 1) && s != default, Is.True);
    }
}
