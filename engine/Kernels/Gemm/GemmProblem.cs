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

    /// <summary>Whether every multiply-add rounds once (fused), even where the CPU must do it in software; else a CPU
    /// without fused multiply-add rounds twice, faster, with other bits (<see cref="ArenaOptions.Deterministic"/>).</summary>
    public readonly bool RoundOnce;

    /// <summary>A dense row-major product: op(a) is [m,k] (a stored [m,k], or [k,m] when transposeA), op(b) is
    /// [k,n] (b stored [k,n], or [n,k] when transposeB), c is [m,n].</summary>
    public GemmProblem(float* a, float* b, float* c, int m, int k, int n, bool transposeA, bool transposeB, bool accumulate, bool roundOnce = true)
        : this(a, transposeA ? 1 : k, transposeA ? m : 1, b, transposeB ? 1 : n, transposeB ? k : 1, c, n, m, k, n, accumulate, roundOnce)
    {
    }

    private GemmProblem(float* a, nint rowA, nint columnA, float* b, nint rowB, nint columnB, float* c, nint rowC,
        int m, int k, int n, bool accumulate, bool roundOnce)
    {
        A = a; RowA = rowA; ColumnA = columnA;
        B = b; RowB = rowB; ColumnB = columnB;
        C = c; RowC = rowC;
        M = m; K = k; N = n;
        Accumulate = accumulate;
        RoundOnce = roundOnce;
    }

    /// <summary>Rows [start, end) of the product.</summary>
    public GemmProblem Rows(int start, int end) =>
        new(A + start * RowA, RowA, ColumnA, B, RowB, ColumnB, C + start * RowC, RowC, end - start, K, N, Accumulate, RoundOnce);

    /// <summary>Columns [start, end) of the product.</summary>
    public GemmProblem Columns(int start, int end) =>
        new(A, RowA, ColumnA, B + start * ColumnB, RowB, ColumnB, C + start, RowC, M, K, end - start, Accumulate, RoundOnce);

    /// <summary>Whether this product takes the thin path (<see cref="ThinGemm"/>) rather than packed panels.</summary>
    public bool IsThin => ThinGemm.Applies(K, N, transposedB: ColumnB != 1);

    /// <summary>Runs the product on this thread with the widest micro-kernel the machine accelerates.</summary>
    [MethodImpl(Kernel.Compile | MethodImplOptions.NoInlining)]
    public void Run() => Run(GemmPart.Alone(M));

    /// <summary>Runs <paramref name="part"/>'s rows of the packed product on this thread, packing B with its team
    /// (<see cref="PackedGemm.Run{TKernel, TPanels}(float*, nint, nint, TPanels, float*, nint, int, int, int, bool, GemmPart)"/>);
    /// a product alone may take the thin path instead.</summary>
    [MethodImpl(Kernel.Compile | MethodImplOptions.NoInlining)]
    public void Run(GemmPart part)
    {
        if (M == 0 || N == 0) return;
        if (RoundOnce || FusedMultiplyAdd.InHardware) RunWith<FusedMultiplyAdd>(part);
        else RunWith<SeparateMultiplyAdd>(part);
    }

    private void RunWith<TMultiplyAdd>(GemmPart part) where TMultiplyAdd : IMultiplyAdd
    {
        if (part.Panels is null && IsThin)
        {
            ThinGemm.Run<TMultiplyAdd>(this); // the same bits as the packed kernels, without packing a thin side
            return;
        }
        if (Vector512.IsHardwareAccelerated) RunKernel<MicroKernel512<TMultiplyAdd>>(part);
        else if (Vector256.IsHardwareAccelerated) RunKernel<MicroKernel256<TMultiplyAdd>>(part);
        else if (Vector128.IsHardwareAccelerated) RunKernel<MicroKernel128<TMultiplyAdd>>(part);
        else RunKernel<MicroKernelScalar<TMultiplyAdd>>(part);
    }

    private void RunKernel<TKernel>(GemmPart part) where TKernel : IMicroKernel =>
        PackedGemm.Run<TKernel, StridedPanels>(A, RowA, ColumnA, new StridedPanels(B, RowB, ColumnB), C, RowC, M, K, N, Accumulate, part);
}
