using System.Globalization;

namespace ArenaGrad;

/// <summary>A snapshot of an arena's memory and bookkeeping (<see cref="Arena.Statistics"/>), for budgets and HUDs:
/// taking one allocates nothing.</summary>
/// <remarks>Bytes are those of values and gradients (the native blocks); the tensor table and the tape take a few dozen
/// bytes per tensor and per recorded op besides.</remarks>
public readonly struct ArenaStatistics : IEquatable<ArenaStatistics>
{
    internal ArenaStatistics(long reservedBytes, long bytesInUse, long peakBytesInUse, int tensorCount, int tapeLength, int blockCount)
    {
        ReservedBytes = reservedBytes;
        BytesInUse = bytesInUse;
        PeakBytesInUse = peakBytesInUse;
        TensorCount = tensorCount;
        TapeLength = tapeLength;
        BlockCount = blockCount;
    }

    /// <summary>Native bytes reserved in blocks (kept and reused after scopes end; <see cref="Arena.ReservedBytes"/>).
    /// Counts against <see cref="ArenaOptions.MaxBytes"/>.</summary>
    public long ReservedBytes { get; }

    /// <summary>Bytes of the blocks in use now: every live tensor's values and gradient, 64-byte aligned, plus the unused
    /// tails of blocks that a later request did not fit in.</summary>
    public long BytesInUse { get; }

    /// <summary>The most <see cref="BytesInUse"/> has been since the arena was made, reset, or
    /// <see cref="Arena.ResetPeakBytesInUse"/> was called (PyTorch's <c>max_memory_allocated</c>).</summary>
    public long PeakBytesInUse { get; }

    /// <summary>Live tensor slots: user tensors, gradient views, saved buffers and borrowed views (<see cref="Arena.TensorCount"/>).</summary>
    public int TensorCount { get; }

    /// <summary>Instructions on the tape (<see cref="Arena.TapeLength"/>).</summary>
    public int TapeLength { get; }

    /// <summary>Native blocks reserved (<see cref="Arena.BlockCount"/>).</summary>
    public int BlockCount { get; }

    /// <inheritdoc/>
    public bool Equals(ArenaStatistics other) =>
        ReservedBytes == other.ReservedBytes && BytesInUse == other.BytesInUse && PeakBytesInUse == other.PeakBytesInUse &&
        TensorCount == other.TensorCount && TapeLength == other.TapeLength && BlockCount == other.BlockCount;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ArenaStatistics other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(ReservedBytes, BytesInUse, PeakBytesInUse, TensorCount, TapeLength, BlockCount);

    /// <summary>Whether both snapshots hold the same numbers.</summary>
    public static bool operator ==(ArenaStatistics left, ArenaStatistics right) => left.Equals(right);

    /// <summary>Whether the snapshots differ in any number.</summary>
    public static bool operator !=(ArenaStatistics left, ArenaStatistics right) => !left.Equals(right);

    /// <summary>The numbers as text (allocates: for logs, not for every frame).</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"ArenaStatistics {{ ReservedBytes = {ReservedBytes}, BytesInUse = {BytesInUse}, PeakBytesInUse = {PeakBytesInUse}, " +
        $"TensorCount = {TensorCount}, TapeLength = {TapeLength}, BlockCount = {BlockCount} }}");
}
