namespace ArenaGrad.Kernels;

/// <summary>Embedding lookup (rows of a [num, dim] table by Int32 index) and its backward, in index order: a row that
/// several indices pick sums their gradients in that order, so the bits are the same everywhere.</summary>
internal static class EmbeddingKernels
{
    /// <summary>y[i, :] = weight[index[i], :]. Every index is checked before anything is written (a replay reads the
    /// index afresh): PyTorch's <c>index out of range in self</c>.</summary>
    public static void Forward(ReadOnlySpan<float> weight, int num, int dim, ReadOnlySpan<int> index, Span<float> y)
    {
        foreach (int v in index) IndexKernels.CheckIndexSelect(v, num);
        for (int i = 0; i < index.Length; i++) weight.Slice(index[i] * dim, dim).CopyTo(y.Slice(i * dim, dim));
    }

    /// <summary>dweight[index[i], :] += g[i, :] for every i whose index is not <paramref name="paddingIndex"/> (-1: none).</summary>
    public static void Backward(ReadOnlySpan<float> g, int dim, ReadOnlySpan<int> index, int paddingIndex, Span<float> dWeight)
    {
        for (int i = 0; i < index.Length; i++)
            if (index[i] != paddingIndex) Elementwise.Accumulate(g.Slice(i * dim, dim), dWeight.Slice(index[i] * dim, dim));
    }
}
