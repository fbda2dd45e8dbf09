using CommunityToolkit.HighPerformance;

namespace ArenaGrad;

// Values in and out of spans, without allocating: for game state, buffers and interop.
public readonly partial struct Tensor
{
    /// <summary>Copies <paramref name="source"/> into this tensor's values, row-major (<c>copy_</c> from host memory).
    /// The same in-place rules as <see cref="CopyFrom(Tensor)"/>: refused on a leaf that requires grad while grad mode
    /// is on, and on a view borrowed from a frozen arena; bumps the version counter. Allocates nothing.</summary>
    /// <exception cref="ArgumentException"><paramref name="source"/>'s length is not <see cref="Count"/>.</exception>
    /// <exception cref="InvalidOperationException">An in-place change is refused (PyTorch's message).</exception>
    public Tensor CopyFrom(ReadOnlySpan<float> source)
    {
        Arena arena = Arena;
        arena.RequireFloat(_slot);
        ThrowUnlessLength(arena, source.Length);
        BeginInPlace(arena);
        source.CopyTo(arena.Values(_slot)); // memmove: a span over this tensor's own values is fine
        return this;
    }

    /// <summary>Copies <paramref name="source"/> into an Int32 tensor's values, row-major, with the same rules as
    /// <see cref="CopyFrom(ReadOnlySpan{float})"/>: how a captured step's targets or actions change between replays.
    /// Allocates nothing.</summary>
    /// <exception cref="ArgumentException">The tensor is not Int32, or <paramref name="source"/>'s length is not
    /// <see cref="Count"/>.</exception>
    public Tensor CopyFrom(ReadOnlySpan<int> source)
    {
        Arena arena = Arena;
        arena.RequireDType(_slot, DType.Int32);
        ThrowUnlessLength(arena, source.Length);
        BeginInPlace(arena);
        source.CopyTo(arena.IntValues(_slot));
        return this;
    }

    /// <summary>Copies <paramref name="source"/> into a Bool tensor's values, row-major, with the same rules as
    /// <see cref="CopyFrom(ReadOnlySpan{float})"/>. Allocates nothing.</summary>
    /// <exception cref="ArgumentException">The tensor is not Bool, or <paramref name="source"/>'s length is not
    /// <see cref="Count"/>.</exception>
    public Tensor CopyFrom(ReadOnlySpan<bool> source)
    {
        Arena arena = Arena;
        arena.RequireDType(_slot, DType.Bool);
        ThrowUnlessLength(arena, source.Length);
        BeginInPlace(arena);
        Span<int> values = arena.IntValues(_slot);
        for (int i = 0; i < source.Length; i++) values[i] = source[i] ? 1 : 0;
        return this;
    }

    private void ThrowUnlessLength(Arena arena, int length, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(length))] string? source = null)
    {
        if (length != arena.LengthOf(_slot))
            throw new ArgumentException(
                $"CopyFrom expects {arena.LengthOf(_slot)} elements (shape {ShapeMath.Format(arena.ShapeOf(_slot))}), but the span has {length}.",
                nameof(source));
    }

    /// <summary>The values of a 2-D tensor in place, as rows × columns (<c>Span2D[row, column]</c>).</summary>
    /// <remarks>Unsafe in the way <see cref="AsSpanUnsafely"/> is: writes bypass autograd, version counters and the
    /// read-only rule of borrowed views; the span is valid until the tensor is released; and it does not keep the arena
    /// alive. Prefer <see cref="AsReadOnlySpan2DUnsafely"/> to read.</remarks>
    /// <exception cref="InvalidOperationException">The tensor is not 2-D.</exception>
    public unsafe Span2D<float> AsSpan2DUnsafely()
    {
        Arena arena = Arena;
        ThrowUnless2D(arena, nameof(AsSpan2DUnsafely));
        arena.ThrowIfCapturing(Capture.CaptureRefusal.HostRead, "AsSpan2DUnsafely()");
        ReadOnlySpan<int> shape = arena.ShapeOf(_slot);
        return new Span2D<float>((void*)arena.ValuesAddress(_slot), shape[0], shape[1], 0);
    }

    /// <summary>The values of a 2-D tensor, read-only, as rows × columns (<c>ReadOnlySpan2D[row, column]</c>).</summary>
    /// <remarks>Valid until the tensor is released; it does not keep the arena alive (see <see cref="AsSpanUnsafely"/>).</remarks>
    /// <exception cref="InvalidOperationException">The tensor is not 2-D.</exception>
    public unsafe ReadOnlySpan2D<float> AsReadOnlySpan2DUnsafely()
    {
        Arena arena = Arena;
        ThrowUnless2D(arena, nameof(AsReadOnlySpan2DUnsafely));
        arena.ThrowIfCapturing(Capture.CaptureRefusal.HostRead, "AsReadOnlySpan2DUnsafely()");
        ReadOnlySpan<int> shape = arena.ShapeOf(_slot);
        return new ReadOnlySpan2D<float>((void*)arena.ValuesAddress(_slot), shape[0], shape[1], 0);
    }

    private void ThrowUnless2D(Arena arena, string method)
    {
        arena.RequireFloat(_slot);
        int rank = arena.RankOf(_slot);
        if (rank != 2)
            throw new InvalidOperationException(
                $"{method} expects a 2-D tensor, but got a {rank}-D tensor of shape {ShapeMath.Format(arena.ShapeOf(_slot))}. " +
                "Reshape it to 2-D first (e.g. Reshape(-1, lastDim)), or use AsSpanUnsafely for any shape.");
    }
}
