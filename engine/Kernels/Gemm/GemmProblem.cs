using System.Runtime.CompilerServices;

namespace ArenaGrad.Kernels.Gemm;

/// <summary>One packed product c (= | +=) op(a) @ op(b), addressed through strides, so that a block of its rows or
/// columns is again a <see cref="GemmProblem"/> over the same memory.</summary>
/// <remarks>Every output element is computed by the micro-kernel from zero over the same k-blocks in the same
/// order, whatever block it falls in: splitting a problem changes who computes an element, never its bits.</remarks>
internal readonly unsafe struct GemmProblem
{
    public readonly float* A, B, C;
    public readonly nint RowA, ColumnA, RowB, ColumnB, RowC;
    public readonly int M, K, N;
    public readonly bool Accumulate;

    /// <summary>A dense row-major product: op(a) is [m,k] (a stored [m,k], or [k,m] when transposeA), op(b) is
    /// [k,n] (b stored [k,n], or [n,k] when transposeB), c is [m,n].</summary>
    public GemmProblem(float* a, float* b, float* c, int m, int k, int n, bool transposeA, bool transposeB, bool accumulate)
        : this(a, transposeA ? 1 : k, transposeA ? m : 1, b, transposeB ? 1 : n, transposeB ? k : 1, c, n, m, k, n, accumulate)
    {
    }

    private GemmProblem(float* a, nint rowA, nint columnA, float* b, nint rowB, nint columnB, float* c, nint rowC,
        int m, int k, int n, bool accumulate)
    {
        A = a; RowA = rowA; ColumnA = columnA;
        B = b; RowB = rowB; ColumnB = columnB;
        C = c; RowC = rowC;
        M = m; K = k; N = n;
        Accumulate = accumulate;
    }

    /// <summary>Rows [start, end) of the product.</summary>
    public GemmProblem Rows(int start, int end) =>
        new(A + start * RowA, RowA, ColumnA, B, RowB, ColumnB, C + start * RowC, RowC, end - start, K, N, Accumulate);

    /// <summary>Columns [start, end) of the product.</summary>
    public GemmProblem Columns(int start, int end) =>
        new(A, RowA, ColumnA, B + start * ColumnB, RowB, ColumnB, C + start, RowC, M, K, end - start, Accumulate);

    /// <summary>Runs the product on this thread with the widest micro-kernel the machine accelerates.</summary>
    [MethodImpl(Kernel.Compile | MethodImplOptions.NoInlining)]
    public void Run()
    {
        if (M == 0 || N == 0) return;
        if (Vector512.IsHardwareAccelerated) Run<MicroKernel512>();
        else if (Vector256.IsHardwareAccelerated) Run<MicroKernel256>();
        else if (Vector128.IsHardwareAccelerated) Run<MicroKernel128>();
        else Run<MicroKernelScalar>();
    }

    private void Run<TKernel>() where TKernel : IMicroKernel =>
        PackedGemm.Run<TKernel>(A, RowA, ColumnA, B, RowB, ColumnB, C, RowC, M, K, N, Accumulate);
}
