namespace ArenaGrad;

public sealed partial class Arena
{
    /// <summary>A snapshot of memory use and bookkeeping: reserved bytes, bytes in use, their high-water mark, live
    /// tensors, tape length and blocks. O(1); allocates nothing.</summary>
    /// <remarks>Read it on the thread that owns the arena (that thread may be changing what it reads);
    /// a frozen arena, which nothing changes, may be read from any thread, and a disposed one reads as all zeros.</remarks>
    /// <exception cref="InvalidOperationException">Another thread owns the arena, or it is in an <see cref="ArenaPool"/>.</exception>
    public ArenaStatistics Statistics
    {
        get
        {
            if (IsDisposed) return default;
            if (!IsFrozen) CheckUse();
            return new ArenaStatistics(_floats.ReservedBytes, _floats.UsedFloats * sizeof(float), _floats.PeakUsedFloats * sizeof(float),
                _slotCount, _tape.Count, _floats.BlockCount);
        }
    }

    /// <summary>Starts <see cref="ArenaStatistics.PeakBytesInUse"/> again from the bytes in use now (PyTorch's
    /// <c>reset_peak_memory_stats</c>), e.g. to measure one frame or one request.</summary>
    public void ResetPeakBytesInUse()
    {
        CheckUse();
        _floats.ResetPeak();
    }
}
