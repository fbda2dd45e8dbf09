using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace ArenaGrad.Kernels.Gemm;

/// <summary>The packed B blocks that a <see cref="GemmTeam"/>'s threads pack together and all read (BLIS's shared
/// B̃), and the barrier that says a block is whole.</summary>
/// <remarks>
/// For each k-block every member packs its share of the block's micro-panels into one buffer, waits at the barrier,
/// then multiplies its own rows of A against the whole block. Blocks alternate between two buffers, so one barrier per
/// block is enough: a member that starts packing block j + 1 has passed block j's barrier, which every member reaches
/// only after it has finished computing with block j - 1, the block that shared this buffer.
/// <para>The barrier spins, yielding the core while it waits, and never sleeps on a kernel object: a block's wait is
/// microseconds, and a call allocates nothing. The buffer grows (pinned) to the largest product seen, on the thread
/// that calls <see cref="Reserve"/>, before any member starts.</para>
/// </remarks>
internal sealed unsafe class SharedPanels
{
    private float[] _buffer = [];
    private int _blockFloats;
    private int _arrived;
    private int _generation;

    /// <summary>Threads that pack and read each block.</summary>
    public SharedPanels(int members) => Members = members;

    /// <summary>Threads that pack and read each block; each of them must reach every <see cref="Wait"/>.</summary>
    public int Members { get; }

    /// <summary>Makes room for two blocks of <paramref name="blockFloats"/> floats each (64-byte aligned). Call before
    /// the members start; it allocates only when a product needs more than any before it.</summary>
    public void Reserve(int blockFloats)
    {
        blockFloats = (blockFloats + 15) & ~15; // whole cache lines, so the second block stays 64-byte aligned
        if (_buffer.Length < 2 * blockFloats + 16)
            _buffer = GC.AllocateUninitializedArray<float>(2 * blockFloats + 16, pinned: true);
        _blockFloats = blockFloats;
    }

    /// <summary>Buffer <paramref name="index"/> &amp; 1 of the two, with at least the floats last reserved.</summary>
    public float* Block(int index, int floats)
    {
        Debug.Assert(floats <= _blockFloats, "Reserve was not called for this product");
        float* first = (float*)(((nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffer)) + 63) & ~(nint)63);
        return first + (index & 1) * _blockFloats;
    }

    /// <summary>Returns once every member has called it as often as this one: all shares of the current block are
    /// packed, and every member is done with the block before it.</summary>
    public void Wait()
    {
        int generation = Volatile.Read(ref _generation);
        if (Interlocked.Increment(ref _arrived) == Members)
        {
            _arrived = 0; // published by the generation's release below, before anyone can arrive at the next barrier
            Volatile.Write(ref _generation, generation + 1);
            return;
        }
        var spin = new SpinWait();
        while (Volatile.Read(ref _generation) == generation) spin.SpinOnce(sleep1Threshold: -1);
    }
}
