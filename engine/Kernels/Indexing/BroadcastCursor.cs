namespace ArenaGrad.Kernels;

/// <summary>Walks a shape in row-major order keeping up to three element offsets, each moving by its own strides (0
/// along a broadcast dim): the index and mask kernels' one loop driver for broadcast and partial-shape walks.</summary>
/// <remarks>Scalar and sequential, so every dtype and every instruction set takes the same path in the same order.</remarks>
internal ref struct BroadcastCursor
{
    private readonly ReadOnlySpan<int> _shape, _strides0, _strides1, _strides2;
    private readonly Span<int> _index;

    /// <summary>The current offsets.</summary>
    public int Offset0, Offset1, Offset2;

    /// <summary>A cursor at the first element; <paramref name="index"/> is rank-sized scratch (stackalloc), the
    /// stride spans are rank-sized (pass an unused one again where fewer than three offsets are needed).</summary>
    public BroadcastCursor(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides0, ReadOnlySpan<int> strides1, ReadOnlySpan<int> strides2,
        Span<int> index)
    {
        _shape = shape;
        _strides0 = strides0;
        _strides1 = strides1;
        _strides2 = strides2;
        _index = index[..shape.Length];
        _index.Clear();
        Offset0 = Offset1 = Offset2 = 0;
    }

    /// <summary>Moves to the next element (the last dim fastest).</summary>
    public void Next()
    {
        for (int d = _shape.Length - 1; d >= 0; d--)
        {
            Offset0 += _strides0[d];
            Offset1 += _strides1[d];
            Offset2 += _strides2[d];
            if (++_index[d] < _shape[d]) return;
            Offset0 -= _strides0[d] * _shape[d];
            Offset1 -= _strides1[d] * _shape[d];
            Offset2 -= _strides2[d] * _shape[d];
            _index[d] = 0;
        }
    }
}
