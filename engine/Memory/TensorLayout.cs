using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ArenaGrad.Memory;

/// <summary>Up to <see cref="TensorLayout.MaxRank"/> dimension sizes or strides, stored inline.</summary>
[InlineArray(TensorLayout.MaxRank)]
internal struct Dims
{
    private int _element0;
}

/// <summary>Shape and strides (in elements) of one tensor slot.</summary>
internal struct TensorLayout
{
    /// <summary>The highest rank a tensor may have.</summary>
    public const int MaxRank = 8;

    /// <summary>Dimension sizes; the first <see cref="Rank"/> are used.</summary>
    public Dims Shape;

    /// <summary>Element strides; row-major contiguous for every tensor the engine makes today.</summary>
    public Dims Strides;

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Rank;
}

/// <summary>The layout column of the tensor table, in fixed-size native chunks that never move, so that a
/// <see cref="Tensor.Shape"/> span stays valid while more tensors are made.</summary>
internal unsafe struct LayoutColumn
{
    private const int ChunkShift = 10; // 1024 layouts (~70 KiB) per chunk
    private const int ChunkSize = 1 << ChunkShift;

    private NativeList<nint> _chunks;

    /// <summary>The layout of slot <paramref name="index"/>, allocating its chunk on first use.</summary>
    public ref TensorLayout this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            int chunk = index >> ChunkShift;
            if (chunk >= _chunks.Count) AddChunks(chunk);
            return ref ((TensorLayout*)_chunks[chunk])[index & (ChunkSize - 1)];
        }
    }

    /// <summary>Allocates the chunks that hold layouts 0 to <paramref name="count"/> - 1.</summary>
    public void EnsureCapacity(int count)
    {
        if (count > 0 && ((count - 1) >> ChunkShift) >= _chunks.Count) AddChunks((count - 1) >> ChunkShift);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AddChunks(int lastChunk)
    {
        while (_chunks.Count <= lastChunk)
        {
            _chunks.Add((nint)NativeMemory.Alloc((nuint)ChunkSize, (nuint)sizeof(TensorLayout)));
            NativeMemoryStats.Allocated((long)ChunkSize * sizeof(TensorLayout));
        }
    }

    /// <summary>Frees every chunk.</summary>
    public void Free()
    {
        for (int i = 0; i < _chunks.Count; i++)
        {
            NativeMemory.Free((void*)_chunks[i]);
            NativeMemoryStats.Freed((long)ChunkSize * sizeof(TensorLayout));
        }
        _chunks.Free();
    }
}
