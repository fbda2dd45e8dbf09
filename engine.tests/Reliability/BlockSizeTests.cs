using ArenaGrad.Memory;

namespace ArenaGrad.Tests.Reliability;

/// <summary>Block sizes the system cannot give are refused with a clear exception, never OutOfMemoryException;
/// a tensor bigger than a block gets a block of its own.</summary>
[NonParallelizable]
public sealed class BlockSizeTests
{
    [TestCase(long.MaxValue / 2)]
    [TestCase(long.MaxValue)]
    [TestCase(ArenaOptions.MaxBlockBytes + 1)]
    [TestCase(0L)]
    [TestCase(-1L)]
    public void Arena_WithBlockBytesOutOfRange_ThrowsArgumentOutOfRangeNamingTheLimit(long blockBytes)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Arena(new ArenaOptions { BlockBytes = blockBytes }));
        Assert.That(error!.Message, Does.Contain("ArenaOptions.BlockBytes must be between 1 and 8589934592").And.Contain($"but got {blockBytes}"));
    }

    [Test]
    public void BlockTheSystemRefuses_FallsBackToABlockOfExactlyTheRequest()
    {
        FloatStack.SimulatedSystemLimitBytes = 1 << 20;
        try
        {
            using var arena = new Arena(new ArenaOptions { BlockBytes = 1L << 30 });
            Tensor small = arena.Full([1000], 2f, requiresGrad: true);
            Assert.That(small.Sum().Item(), Is.EqualTo(2000f));
            Assert.That(arena.ReservedBytes, Is.LessThan(1 << 20), "exact-size blocks instead of 1 GiB ones");
        }
        finally
        {
            FloatStack.SimulatedSystemLimitBytes = 0;
        }
    }

    [Test]
    public void RequestTheSystemRefuses_ThrowsArenaCapacityException_AndLeavesArenaAsItWas()
    {
        FloatStack.SimulatedSystemLimitBytes = 1 << 20;
        try
        {
            using var arena = new Arena(new ArenaOptions { BlockBytes = 1L << 30 });
            Tensor kept = arena.Ones([4]);
            (int tensors, long reserved, int blocks) = (arena.TensorCount, arena.ReservedBytes, arena.BlockCount);
            var error = Assert.Throws<ArenaCapacityException>(() => arena.Zeros([1 << 20]));
            Assert.That(error!.Message, Does.StartWith("Arena capacity exceeded: the system could not provide a native block of 4194304 bytes"));
            Assert.That((arena.TensorCount, arena.ReservedBytes, arena.BlockCount), Is.EqualTo((tensors, reserved, blocks)));
            Assert.That(kept.ToArray(), Is.EqualTo(new[] { 1f, 1f, 1f, 1f }));
        }
        finally
        {
            FloatStack.SimulatedSystemLimitBytes = 0;
        }
    }

    [Test]
    public void TensorLargerThanABlock_GetsABlockOfItsOwn_ReusedAfterTheScope()
    {
        using var arena = new Arena(new ArenaOptions { BlockBytes = 4096 });
        Tensor small = arena.Ones([8]);
        int blocksAfterFirstRound = 0;
        long reservedAfterFirstRound = 0;
        for (int round = 0; round < 3; round++)
        {
            using (arena.Scope())
            {
                Tensor big = arena.Full([10_000], 0.5f, requiresGrad: true); // 80 KB with its gradient: 20 blocks' worth
                (big * small.Sum()).Sum().Backward();
                Assert.That(big.Grad!.Value.ToArray().Distinct(), Is.EqualTo(new[] { 8f }));
            }
            if (round == 0) (blocksAfterFirstRound, reservedAfterFirstRound) = (arena.BlockCount, arena.ReservedBytes);
            else Assert.That((arena.BlockCount, arena.ReservedBytes), Is.EqualTo((blocksAfterFirstRound, reservedAfterFirstRound)),
                "the big tensors' own blocks are made once and reused");
        }
        Assert.That(reservedAfterFirstRound, Is.GreaterThanOrEqualTo(2L * 10_000 * 2 * sizeof(float)), "big and big·s, each with its gradient");
    }
}
