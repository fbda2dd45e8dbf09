namespace ArenaGrad.Kernels;

/// <summary>index_select, gather and scatter_add over 4-byte elements (any dtype moves as floats' bits), and their
/// backward scatter-adds. Plain loops in a fixed order: a gradient that several indices send to one element is summed
/// in index order, so the bits are the same everywhere (no atomics, no vectors).</summary>
/// <remarks>Every index is checked against its dim here as well as by the eager op, because a captured replay reads
/// index tensors afresh: a value changed with CopyFrom between replays throws PyTorch's message instead of reading
/// another row.</remarks>
internal static class IndexKernels
{
    /// <summary>index_select: y[o, i, r] = x[o, index[i], r] for x viewed as [outer, size, inner].</summary>
    public static void IndexSelect(ReadOnlySpan<float> x, ReadOnlySpan<int> index, int outer, int size, int inner, Span<float> y)
    {
        int count = index.Length;
        for (int i = 0; i < count; i++) CheckIndexSelect(index[i], size);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < count; i++)
                x.Slice((o * size + index[i]) * inner, inner).CopyTo(y.Slice((o * count + i) * inner, inner));
    }

    /// <summary>index_select backward (index_add into zeros): dx[o, index[i], r] += g[o, i, r], i ascending.</summary>
    public static void IndexSelectBackward(ReadOnlySpan<float> g, ReadOnlySpan<int> index, int outer, int size, int inner, Span<float> dx)
    {
        int count = index.Length;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < count; i++)
                Elementwise.Accumulate(g.Slice((o * count + i) * inner, inner), dx.Slice((o * size + index[i]) * inner, inner));
    }

    /// <summary>The message of index_select and embedding for an index outside [0, size).</summary>
    public static void CheckIndexSelect(int index, int size)
    {
        if ((uint)index >= (uint)size) throw new ArgumentOutOfRangeException(nameof(index), index, "index out of range in self");
    }

    /// <summary>The message of gather and scatter_add for an index outside [0, size).</summary>
    public static void CheckScatterGather(int index, int dim, int size)
    {
        if ((uint)index >= (uint)size)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"index {index} is out of bounds for dimension {dim} with size {size}");
    }

    /// <summary>gather: y[p] = x[p with p[dim] replaced by index[p]] for every position p of the index's shape.
    /// <paramref name="xStrides"/> are x's contiguous strides.</summary>
    public static void Gather(ReadOnlySpan<float> x, ReadOnlySpan<int> xShape, ReadOnlySpan<int> xStrides, ReadOnlySpan<int> index,
        ReadOnlySpan<int> indexShape, int dim, Span<float> y)
    {
        CheckAll(index, dim, xShape.Length == 0 ? 1 : xShape[dim]);
        if (index.IsEmpty) return; // an empty index may have any rank (PyTorch checks no shapes then)
        Span<int> walk = stackalloc int[Math.Max(indexShape.Length, 1)];
        Span<int> strides = stackalloc int[Math.Max(indexShape.Length, 1)];
        int dimStride = OtherDimStrides(xStrides, dim, strides);
        var cursor = new BroadcastCursor(indexShape, strides, strides, strides, walk);
        for (int i = 0; i < index.Length; i++, cursor.Next()) y[i] = x[cursor.Offset0 + index[i] * dimStride];
    }

    /// <summary>gather backward: dx[p with p[dim] = index[p]] += g[p], positions in row-major order.</summary>
    public static void GatherBackward(ReadOnlySpan<float> g, ReadOnlySpan<int> xStrides, ReadOnlySpan<int> index, ReadOnlySpan<int> indexShape,
        int dim, Span<float> dx)
    {
        if (index.IsEmpty) return; // an empty index may have any rank (PyTorch checks no shapes then)
        Span<int> walk = stackalloc int[Math.Max(indexShape.Length, 1)];
        Span<int> strides = stackalloc int[Math.Max(indexShape.Length, 1)];
        int dimStride = OtherDimStrides(xStrides, dim, strides);
        var cursor = new BroadcastCursor(indexShape, strides, strides, strides, walk);
        for (int i = 0; i < index.Length; i++, cursor.Next()) dx[cursor.Offset0 + index[i] * dimStride] += g[i];
    }

    /// <summary>scatter_add into y (already a copy of self): y[p with p[dim] = index[p]] += source[p] for every position
    /// p of the index's shape, in row-major order. Strides are self's and source's contiguous strides.</summary>
    public static void ScatterAdd(Span<float> y, ReadOnlySpan<int> yShape, ReadOnlySpan<int> yStrides, ReadOnlySpan<int> index,
        ReadOnlySpan<int> indexShape, ReadOnlySpan<float> source, ReadOnlySpan<int> sourceStrides, int dim)
    {
        CheckAll(index, dim, yShape.Length == 0 ? 1 : yShape[dim]);
        if (index.IsEmpty) return; // an empty index may have any rank (PyTorch checks no shapes then)
        Span<int> walk = stackalloc int[Math.Max(indexShape.Length, 1)];
        Span<int> strides = stackalloc int[Math.Max(indexShape.Length, 1)];
        int dimStride = OtherDimStrides(yStrides, dim, strides);
        var cursor = new BroadcastCursor(indexShape, strides, sourceStrides, strides, walk);
        for (int i = 0; i < index.Length; i++, cursor.Next()) y[cursor.Offset0 + index[i] * dimStride] += source[cursor.Offset1];
    }

    /// <summary>scatter_add backward for the source: dsource[p] += g[p with p[dim] = index[p]] over the index's positions.</summary>
    public static void ScatterAddSourceBackward(ReadOnlySpan<float> g, ReadOnlySpan<int> yStrides, ReadOnlySpan<int> index,
        ReadOnlySpan<int> indexShape, ReadOnlySpan<int> sourceStrides, int dim, Span<float> dsource)
    {
        if (index.IsEmpty) return; // an empty index may have any rank (PyTorch checks no shapes then)
        Span<int> walk = stackalloc int[Math.Max(indexShape.Length, 1)];
        Span<int> strides = stackalloc int[Math.Max(indexShape.Length, 1)];
        int dimStride = OtherDimStrides(yStrides, dim, strides);
        var cursor = new BroadcastCursor(indexShape, strides, sourceStrides, strides, walk);
        for (int i = 0; i < index.Length; i++, cursor.Next()) dsource[cursor.Offset1] += g[cursor.Offset0 + index[i] * dimStride];
    }

    /// <summary>Checks every index of gather or scatter_add against its dim's size.</summary>
    public static void CheckAll(ReadOnlySpan<int> index, int dim, int size)
    {
        foreach (int i in index) CheckScatterGather(i, dim, size);
    }

    /// <summary>Copies <paramref name="xStrides"/> with dim's stride set to 0; returns dim's stride (1 for a 0-d tensor).</summary>
    private static int OtherDimStrides(ReadOnlySpan<int> xStrides, int dim, Span<int> strides)
    {
        if (xStrides.Length == 0) return 1;
        xStrides.CopyTo(strides);
        int dimStride = strides[dim];
        strides[dim] = 0;
        return dimStride;
    }
}
