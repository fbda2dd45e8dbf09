using System.Runtime.CompilerServices;
using ArenaGrad.Memory;

namespace ArenaGrad.Tests.Reliability;

/// <summary>An arena that is never disposed gives its native memory back when the garbage collector finalizes it.</summary>
[NonParallelizable]
public sealed class FinalizerTests
{
    private const int Arenas = 100;
    private const int BlockBytes = 64 << 10;

    private static void CollectEverything()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeUndisposedArenas()
    {
        for (int i = 0; i < Arenas; i++)
        {
            var arena = new Arena(new ArenaOptions { BlockBytes = BlockBytes });
            Tensor w = arena.Randn([16, 16], requiresGrad: true);
            (w * w).Sum().Backward(); // tape, gradients, every column in use
        }
    }

    [Test]
    public void UndisposedArenas_AfterCollection_HaveFreedTheirNativeMemory()
    {
        CollectEverything();
        long bytesBefore = NativeMemoryStats.LiveBytes, blocksBefore = NativeMemoryStats.LiveBlocks;

        MakeUndisposedArenas();
        Assert.That(NativeMemoryStats.LiveBytes - bytesBefore, Is.GreaterThanOrEqualTo((long)Arenas * BlockBytes), "each arena holds a value block");
        Assert.That(NativeMemoryStats.LiveBlocks - blocksBefore, Is.GreaterThanOrEqualTo(Arenas * 5L), "and its table columns and tape");

        CollectEverything();
        Assert.That(NativeMemoryStats.LiveBytes, Is.LessThanOrEqualTo(bytesBefore));
        Assert.That(NativeMemoryStats.LiveBlocks, Is.LessThanOrEqualTo(blocksBefore));
    }

    [Test]
    public void DisposedArena_FreesEverythingAtOnce_AndIsNotFinalizedAgain()
    {
        CollectEverything();
        long bytesBefore = NativeMemoryStats.LiveBytes, blocksBefore = NativeMemoryStats.LiveBlocks;
        var arena = new Arena(new ArenaOptions { BlockBytes = BlockBytes });
        using (arena.Scope()) (arena.Ones([100], requiresGrad: true) * 2f).Sum().Backward();
        Assert.That(NativeMemoryStats.LiveBytes, Is.GreaterThan(bytesBefore));
        arena.Dispose();
        Assert.That(NativeMemoryStats.LiveBytes, Is.EqualTo(bytesBefore));
        Assert.That(NativeMemoryStats.LiveBlocks, Is.EqualTo(blocksBefore));
        GC.KeepAlive(arena);
        CollectEverything(); // a second free would drive the counters below where they started
        Assert.That(NativeMemoryStats.LiveBytes, Is.EqualTo(bytesBefore));
        Assert.That(NativeMemoryStats.LiveBlocks, Is.EqualTo(blocksBefore));
    }
}
