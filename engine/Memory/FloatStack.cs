using System.Runtime.InteropServices;

namespace ArenaGrad.Memory;

/// <summary>A position in a <see cref="FloatStack"/>: everything allocated after it is released by
/// <see cref="FloatStack.Rewind"/>. <paramref name="FloatsBelow"/> is the capacity of the blocks below
/// <paramref name="Block"/>, so that the floats in use are known in O(1).</summary>
internal readonly record struct FloatStackMark(int Block, long Offset, long FloatsBelow);

/// <summary>Stack (bump) allocator of 64-byte-aligned float buffers in native blocks.</summary>
/// <remarks>
/// Blocks are never moved or freed until <see cref="Free"/>, so a pointer handed out stays valid until a
/// rewind passes it. Rewinding is O(1); the blocks above the mark are kept and reused, which is how a
/// training loop reaches a steady state with no new native blocks.
/// </remarks>
internal unsafe struct FloatStack
{
    private const int AlignmentFloats = 16; // 64 bytes: one cache line, one Vector512

    private NativeList<Block> _blocks;
    private int _block;    // block the next allocation tries first
    private long _offset;  // floats used in that block
    private long _floatsBelow; // capacity of the blocks below _block (in use, tails included)
    private readonly long _blockFloats;
    private readonly long _maxBytes;
    private long _nextSerial;      // creation number of the next block (see RewindAndReleaseBlocksSince)
    private int _failCountdown;    // fault injection: the allocation that brings this to 0 throws (0 = off)

    /// <summary>Native bytes reserved in blocks so far.</summary>
    public long ReservedBytes { get; private set; }

    /// <summary>Number of native blocks reserved so far.</summary>
    public readonly int BlockCount => _blocks.Count;

    /// <summary>Floats in use below the current top (the unused tails of blocks below it included).</summary>
    public readonly long UsedFloats => _floatsBelow + _offset;

    private struct Block
    {
        public float* Start;
        public long Capacity; // in floats
        public long Serial;   // creation order: blocks made after an op began are released if the op fails
    }

    /// <summary>The creation number the next new block will get; pass it to <see cref="RewindAndReleaseBlocksSince"/>.</summary>
    public readonly long NextBlockSerial => _nextSerial;

    /// <summary>Test hook: the <paramref name="nth"/> allocation from now on (1 = the next one) throws
    /// <see cref="ArenaCapacityException"/> as if the cap were reached; 0 turns it off.</summary>
    public void FailAllocation(int nth) => _failCountdown = nth;

    /// <summary>Creates an empty stack whose blocks hold at least <paramref name="blockBytes"/> and whose total
    /// stays under <paramref name="maxBytes"/>.</summary>
    public FloatStack(long blockBytes, long maxBytes)
    {
        _blockFloats = Math.Max(AlignmentFloats, blockBytes / sizeof(float));
        _maxBytes = maxBytes;
    }

    /// <summary>The current top, to rewind to later.</summary>
    public readonly FloatStackMark Mark => new(_block, _offset, _floatsBelow);

    /// <summary>Releases everything allocated after <paramref name="mark"/>.</summary>
    public void Rewind(FloatStackMark mark)
    {
        NotePeak(); // use only grows between rewinds, so its maximum is seen just before one
        _block = mark.Block;
        _offset = mark.Offset;
        _floatsBelow = mark.FloatsBelow; // blocks below the mark's block have not moved since (new ones go above the top)
    }

    /// <summary>Reserves <paramref name="count"/> floats (uninitialised, 64-byte aligned).</summary>
    /// <exception cref="ArenaCapacityException">The reservation would pass the arena's cap; nothing changed.</exception>
    public float* Allocate(long count)
    {
        if (_failCountdown != 0 && --_failCountdown == 0) throw new ArenaCapacityException(count * sizeof(float), 0, _maxBytes);
        long rounded = (count + AlignmentFloats - 1) & ~(long)(AlignmentFloats - 1);
        if (_block < _blocks.Count && _offset + rounded <= _blocks[_block].Capacity)
        {
            float* p = _blocks[_block].Start + _offset;
            _offset += rounded;
            return p;
        }
        // The current block is full: move to the next kept block if it is big enough, else insert a new one
        // right after the current one (blocks above the top are free, so their order does not matter).
        int next = _block < _blocks.Count ? _block + 1 : _block;
        if (next < _blocks.Count && _blocks[next].Capacity >= rounded)
        {
            _floatsBelow += _blocks[_block].Capacity; // next < Count means next == _block + 1: the current block goes below
            _block = next;
            _offset = rounded;
            return _blocks[next].Start;
        }
        long capacity = Math.Max(_blockFloats, rounded);
        long bytes = capacity * sizeof(float);
        if (ReservedBytes + bytes > _maxBytes)
        {
            // Fall back to a block of exactly what was asked before giving up.
            capacity = rounded;
            bytes = capacity * sizeof(float);
            if (ReservedBytes + bytes > _maxBytes)
                throw new ArenaCapacityException(count * sizeof(float), _maxBytes - ReservedBytes, _maxBytes);
        }
        float* start = TryAllocateBlock(bytes);
        if (start == null && capacity > rounded)
        {
            // The system refused a full block: a block of exactly what was asked may still fit.
            capacity = rounded;
            bytes = capacity * sizeof(float);
            start = TryAllocateBlock(bytes);
        }
        if (start == null) throw ArenaCapacityException.SystemRefused(bytes, ReservedBytes, _maxBytes);
        var block = new Block { Start = start, Capacity = capacity, Serial = _nextSerial++ };
        NativeMemoryStats.Allocated(bytes);
        if (next != _block) _floatsBelow += _blocks[_block].Capacity; // leaving the current block (read before the insert)
        _blocks.Add(block);
        // Move the new block to position `next` so that it becomes the current one.
        for (int i = _blocks.Count - 1; i > next; i--) _blocks[i] = _blocks[i - 1];
        _blocks[next] = block;
        ReservedBytes += bytes;
        _block = next;
        _offset = rounded;
        return block.Start;
    }

    /// <summary>Test hook: block requests above this many bytes fail as if the system had refused them (0 = off).</summary>
    internal static long SimulatedSystemLimitBytes;

    /// <summary>A new 64-byte-aligned native block, or null when the system cannot provide it (so that the
    /// caller reports an <see cref="ArenaCapacityException"/>, never an <see cref="OutOfMemoryException"/>).</summary>
    private static float* TryAllocateBlock(long bytes)
    {
        if (SimulatedSystemLimitBytes > 0 && bytes > SimulatedSystemLimitBytes) return null;
        try
        {
            return (float*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        }
        catch (OutOfMemoryException)
        {
            return null;
        }
    }

    /// <summary>Rewinds to <paramref name="mark"/> and frees the blocks made since <see cref="NextBlockSerial"/> was
    /// <paramref name="serial"/>, so that a failed op leaves <see cref="ReservedBytes"/> as it was too.</summary>
    /// <remarks>Blocks made after the mark were inserted above the mark's block, so the blocks at and below it
    /// keep their positions and the mark stays valid.</remarks>
    public void RewindAndReleaseBlocksSince(FloatStackMark mark, long serial)
    {
        Rewind(mark);
        if (_nextSerial == serial) return;
        int kept = 0;
        for (int i = 0; i < _blocks.Count; i++)
        {
            Block block = _blocks[i];
            if (block.Serial >= serial)
            {
                NativeMemory.AlignedFree(block.Start);
                NativeMemoryStats.Freed(block.Capacity * sizeof(float));
                ReservedBytes -= block.Capacity * sizeof(float);
            }
            else _blocks[kept++] = block;
        }
        _blocks.Count = kept;
        _nextSerial = serial;
    }

    private long _peakUsedFloats;

    /// <summary>The most floats ever in use below the top (since the last <see cref="ResetPeak"/>).</summary>
    public readonly long PeakUsedFloats => Math.Max(_peakUsedFloats, UsedFloats);

    /// <summary>Starts the high-water mark again from what is in use now.</summary>
    public void ResetPeak() => _peakUsedFloats = UsedFloats;

    private void NotePeak()
    {
        long used = UsedFloats;
        if (used > _peakUsedFloats) _peakUsedFloats = used;
    }

    /// <summary>Frees blocks above the top (they hold nothing), last first, until <see cref="ReservedBytes"/> is at
    /// most <paramref name="maxBytes"/> or no free block is left.</summary>
    public void TrimFreeBlocks(long maxBytes)
    {
        int firstFree = _offset == 0 ? _block : _block + 1;
        while (ReservedBytes > maxBytes && _blocks.Count > firstFree)
        {
            Block block = _blocks[_blocks.Count - 1];
            NativeMemory.AlignedFree(block.Start);
            NativeMemoryStats.Freed(block.Capacity * sizeof(float));
            ReservedBytes -= block.Capacity * sizeof(float);
            _blocks.Count--;
        }
    }

    /// <summary>Frees every block.</summary>
    public void Free()
    {
        for (int i = 0; i < _blocks.Count; i++)
        {
            NativeMemory.AlignedFree(_blocks[i].Start);
            NativeMemoryStats.Freed(_blocks[i].Capacity * sizeof(float));
        }
        _blocks.Free();
        _block = 0;
        _offset = 0;
        _floatsBelow = 0;
        ReservedBytes = 0;
    }
}
