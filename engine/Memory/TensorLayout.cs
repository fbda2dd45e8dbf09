using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ArenaGrad.Memory;

/// <summary>Up to <see cref="TensorLayout.MaxRank"/> dimension sizes, stored inline.</summary>
[InlineArray(TensorLayout.MaxRank)]
internal struct Dims
{
    private int _element0;
}

/// <summary>Limits of a tensor's layout. Every tensor the engine makes is row-major contiguous, so its strides
/// follow from its shape (<see cref="ShapeMath.ContiguousStrides"/>) and are not stored.</summary>
internal static class TensorLayout
{
    /// <summary>The highest rank a tensor may have.</summary>
    public const int MaxRank = 8;
}

/// <summary>A tensor's yes/no facts, one bit each, in its <see cref="TensorHeader"/>.</summary>
[Flags]
internal enum TensorFlags : byte
{
    /// <summary>No flag set: a contiguous leaf would have <see cref="IsLeaf"/>.</summary>
    None = 0,

    /// <summary>Operations on it are recorded (PyTorch's requires_grad).</summary>
    RequiresGrad = 1,

    /// <summary>Made by the user, not by a recorded op.</summary>
    IsLeaf = 2,

    /// <summary>retain_grad() was called: its gradient outlives backward.</summary>
    RetainsGrad = 4,

    /// <summary>A view made under no-grad of a tensor that requires grad (in-place refused with grad on).</summary>
    NoGradView = 8,

    /// <summary>The gradient buffer holds a value (else .grad is None).</summary>
    GradientLive = 16,

    /// <summary>Its values are another tensor's memory (a view, or the view of a gradient buffer), not a block of its own.</summary>
    SharesMemory = 32,
}

/// <summary>The fields of one tensor that a handle check, an op and backward's walk read, in one 64-byte cache line:
/// the hot half of a row of the arena's tensor table.</summary>
/// <remarks>Making a tensor writes this line and a 16-byte <see cref="TensorDetails"/>, where it wrote fifteen columns
/// (each its own cache line and base pointer) before. The table stays columnar by access: cold fields that few paths
/// read (producer, versions, the gradient's view) are a column of their own.</remarks>
[StructLayout(LayoutKind.Sequential, Size = 64)]
internal struct TensorHeader
{
    /// <summary>Generation the slot had when its handle was made; a later tensor in the same slot has another.</summary>
    public ulong Generation;

    /// <summary>Address of the first element (a view shares its base's memory).</summary>
    public nint Values;

    /// <summary>Address of the gradient buffer, 0 if none.</summary>
    public nint Gradient;

    /// <summary>Number of elements.</summary>
    public int Length;

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public byte Rank;

    /// <summary>Element type; every dtype is stored in 4-byte elements.</summary>
    public DType DType;

    /// <summary>The tensor's flags.</summary>
    public TensorFlags Flags;

    private readonly byte _padding;

    /// <summary>Dimension sizes; the first <see cref="Rank"/> are used.</summary>
    public Dims Shape;

    /// <summary>Whether every flag in <paramref name="flag"/> is set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool Has(TensorFlags flag) => (Flags & flag) == flag;

    /// <summary>Sets or clears <paramref name="flag"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(TensorFlags flag, bool value) => Flags = value ? Flags | flag : Flags & ~flag;
}

/// <summary>The cold half of a row of the tensor table: what recording, backward's checks and <c>.grad</c> read.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TensorDetails
{
    /// <summary>Tape index of the instruction that made it, -1 for leaves.</summary>
    public int Producer;

    /// <summary>Slot whose version counter this tensor shares (views share their base's).</summary>
    public int VersionOwner;

    /// <summary>Bumped by in-place ops; checked by backward for saved inputs.</summary>
    public int Version;

    /// <summary>Slot viewing the gradient buffer (what .Grad returns), -1 if none yet.</summary>
    public int GradientSlot;
}

/// <summary>A column of the tensor table in fixed-size native chunks that never move, so that a
/// <see cref="Tensor.Shape"/> span (a row's <see cref="TensorHeader.Shape"/>) stays valid while more tensors are made.</summary>
/// <typeparam name="T">The row type.</typeparam>
internal unsafe struct ChunkedColumn<T> where T : unmanaged
{
    /// <summary>log2 of the rows per chunk: 1024 rows, 64 KiB of headers.</summary>
    public const int ChunkShift = 10;
    private const int ChunkSize = 1 << ChunkShift;

    private NativeList<nint> _chunks;

    /// <summary>Row <paramref name="index"/>; the caller made room with <see cref="EnsureCapacity"/>.</summary>
    public readonly ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref ((T*)_chunks[index >> ChunkShift])[index & (ChunkSize - 1)];
    }

    /// <summary>Makes rows 0 to <paramref name="count"/> - 1 addressable.</summary>
    public void EnsureCapacity(int count)
    {
        while (_chunks.Count * (long)ChunkSize < count)
        {
            // Cache-line aligned, so that a 64-byte header is one line.
            _chunks.Add((nint)NativeMemory.AlignedAlloc((nuint)ChunkSize * (nuint)sizeof(T), 64));
            NativeMemoryStats.Allocated((long)ChunkSize * sizeof(T));
        }
    }

    /// <summary>Frees every chunk.</summary>
    public void Free()
    {
        for (int i = 0; i < _chunks.Count; i++)
        {
            NativeMemory.AlignedFree((void*)_chunks[i]);
            NativeMemoryStats.Freed((long)ChunkSize * sizeof(T));
        }
        _chunks.Free();
    }
}
