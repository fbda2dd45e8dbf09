using System.Threading;

namespace ArenaGrad.Memory;

/// <summary>Process-wide count of the native memory every arena holds (value blocks, table columns, layout
/// chunks), so tests can see that disposal and the finalizer backstop give it all back.</summary>
/// <remarks>Updated only where memory is reserved or freed (block and column growth), never per op.</remarks>
internal static class NativeMemoryStats
{
    private static long s_liveBytes;
    private static long s_liveBlocks;

    /// <summary>Native bytes held by live (not yet freed) arenas.</summary>
    public static long LiveBytes => Interlocked.Read(ref s_liveBytes);

    /// <summary>Native allocations held by live arenas (a column that grows by reallocation counts once).</summary>
    public static long LiveBlocks => Interlocked.Read(ref s_liveBlocks);

    /// <summary>Counts <paramref name="bytes"/> more; <paramref name="newBlock"/> when they are a new allocation
    /// rather than the growth of an existing one.</summary>
    public static void Allocated(long bytes, bool newBlock = true)
    {
        Interlocked.Add(ref s_liveBytes, bytes);
        if (newBlock) Interlocked.Increment(ref s_liveBlocks);
    }

    /// <summary>Counts a freed allocation of <paramref name="bytes"/>.</summary>
    public static void Freed(long bytes)
    {
        Interlocked.Add(ref s_liveBytes, -bytes);
        Interlocked.Decrement(ref s_liveBlocks);
    }
}
