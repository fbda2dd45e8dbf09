using ArenaGrad.Memory;

namespace ArenaGrad;

/// <summary>How <c>torch.matmul</c> lines two tensors up: 1-D operands promoted to matrices, batch dims
/// broadcast, and where each batch's matrices start. Forward and backward walk the same plan.</summary>
internal ref struct MatMulPlan
{
    public int M, K, N;
    public int BatchCount;
    public int OutputRank;
    public Span<int> OutputShape;
    private Span<int> _batchShape;
    private Span<int> _aBatchStrides; // in matrices, 0 where a is broadcast
    private Span<int> _bBatchStrides;

    /// <summary>Plans a @ b, throwing PyTorch's messages on mismatched shapes.</summary>
    public MatMulPlan(ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> scratch)
    {
        if (a.Length == 0 || b.Length == 0)
            throw new ArgumentException(
                $"both arguments to matmul need to be at least 1D, but they are {a.Length}D and {b.Length}D");
        // 1-D a is a row vector [1,k]; 1-D b is a column vector [k,1]; the promoted dims are dropped from the result.
        M = a.Length == 1 ? 1 : a[^2];
        K = a[^1];
        int kb = b.Length == 1 ? b[0] : b[^2];
        N = b.Length == 1 ? 1 : b[^1];
        if (K != kb)
        {
            if (a.Length <= 2 && b.Length <= 2)
                throw new ArgumentException(a.Length == 1 && b.Length == 1
                    ? $"inconsistent tensor size, expected tensor [{K}] and src [{kb}] to have the same number of elements, but got {K} and {kb} elements respectively"
                    : $"mat1 and mat2 shapes cannot be multiplied ({ShapeMath.Matrix(M, K)} and {ShapeMath.Matrix(kb, N)})");
            throw new ArgumentException(
                $"Expected size for first two dimensions of batch2 tensor to be: [{BatchOf(a)}, {K}] but got: [{BatchOf(b)}, {kb}].");
        }
        ReadOnlySpan<int> aBatch = a.Length > 2 ? a[..^2] : default;
        ReadOnlySpan<int> bBatch = b.Length > 2 ? b[..^2] : default;
        int batchRank = Math.Max(aBatch.Length, bBatch.Length);
        _batchShape = scratch[..batchRank];
        _aBatchStrides = scratch.Slice(batchRank, batchRank);
        _bBatchStrides = scratch.Slice(2 * batchRank, batchRank);
        OutputShape = scratch.Slice(3 * batchRank, TensorLayout.MaxRank);
        ShapeMath.BroadcastShape(aBatch, bBatch, _batchShape);
        ShapeMath.BroadcastStrides(aBatch, _batchShape, _aBatchStrides);
        ShapeMath.BroadcastStrides(bBatch, _batchShape, _bBatchStrides);
        BatchCount = 1;
        foreach (int d in _batchShape) BatchCount *= d;
        _batchShape.CopyTo(OutputShape);
        OutputRank = batchRank;
        if (a.Length > 1) OutputShape[OutputRank++] = M;
        if (b.Length > 1) OutputShape[OutputRank++] = N;
    }

    private static int BatchOf(ReadOnlySpan<int> shape) => shape.Length > 2 ? shape[0] : 1;

    /// <summary>Matrix index of a and b for output batch <paramref name="batch"/>.</summary>
    public readonly void BatchOffsets(int batch, out int aMatrix, out int bMatrix)
    {
        aMatrix = 0;
        bMatrix = 0;
        for (int d = _batchShape.Length - 1; d >= 0; d--)
        {
            int index = batch % _batchShape[d];
            batch /= _batchShape[d];
            aMatrix += index * _aBatchStrides[d];
            bMatrix += index * _bBatchStrides[d];
        }
    }
}
