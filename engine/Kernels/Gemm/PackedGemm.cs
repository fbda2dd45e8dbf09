using System.Runtime.CompilerServices;

namespace ArenaGrad.Kernels.Gemm;

/// <summary>Blocking constants of the packed GEMM, named after the cache each block is sized for.</summary>
internal static class GemmBlocking
{
    /// <summary>KC: depth of one packed block. A B micro-panel (K × 32 floats = 32 KiB) stays in L1 while the
    /// micro-kernel sweeps an A block. Fixed for every vector width: it is the only blocking that changes an
    /// element's rounding (a block's sum is merged into C once), so it must not depend on the width.</summary>
    public const int K = 256;

    /// <summary>MC: rows of A packed at once (A block MC × KC = 120 KiB lives in L2). A multiple of every Rows.</summary>
    public const int M = 120;

    /// <summary>NC: columns of B packed at once (B block KC × NC = 3 MiB lives in L3).</summary>
    public const int N = 3072;
}

/// <summary>The BLIS GEMM: five loops around a register-blocked micro-kernel, over zero-padded packed panels.</summary>
/// <remarks>The packers read op(A) and op(B) through their strides, so the four transpose combinations run the
/// same micro-kernel and nothing is transposed in memory. Packing space is one pinned array per thread, grown
/// to the largest problem seen and then reused: no allocation per call once warm.</remarks>
internal static unsafe class PackedGemm
{
    [ThreadStatic] private static float[]? t_workspace;

    /// <summary>c[m,n] (= | +=) op(a)[m,k] @ op(b)[k,n]; m, k, n &gt; 0, c does not alias a or b.</summary>
    /// <remarks>op(a)[i, p] = a[i*rowA + p*colA] and op(b)[p, j] = b[p*rowB + j*colB]; row i of c starts at
    /// c + i*ldc. Explicit strides let a <see cref="GemmTeam"/> hand each thread a block of rows or columns.</remarks>
    [MethodImpl(Kernel.Compile)]
    public static void Run<TKernel>(float* a, nint rowA, nint colA, float* b, nint rowB, nint colB, float* c, nint ldc,
        int m, int k, int n, bool accumulate)
        where TKernel : IMicroKernel
    {
        int mr = TKernel.Rows, nr = TKernel.Columns;
        int blockN = Math.Min(GemmBlocking.N, RoundUp(n, nr));
        int blockK = Math.Min(GemmBlocking.K, k);
        int packedAFloats = GemmBlocking.M * blockK, packedBFloats = blockK * blockN;
        float[] workspace = Workspace(packedAFloats + packedBFloats + 16);
        fixed (float* pinned = workspace)
        {
            float* packedA = (float*)(((nint)pinned + 63) & ~(nint)63); // 64-byte aligned panels
            float* packedB = packedA + packedAFloats;
            float* edge = stackalloc float[12 * 32];
            for (int jc = 0; jc < n; jc += GemmBlocking.N)
            {
                int nc = Math.Min(GemmBlocking.N, n - jc);
                for (int pc = 0; pc < k; pc += GemmBlocking.K)
                {
                    int kc = Math.Min(GemmBlocking.K, k - pc);
                    bool overwrite = !accumulate && pc == 0;
                    PackB(b + pc * rowB + jc * colB, rowB, colB, kc, nc, nr, packedB);
                    for (int ic = 0; ic < m; ic += GemmBlocking.M)
                    {
                        int mc = Math.Min(GemmBlocking.M, m - ic);
                        PackA(a + ic * rowA + pc * colA, rowA, colA, mc, kc, mr, packedA);
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int columns = Math.Min(nr, nc - jr);
                            for (int ir = 0; ir < mc; ir += mr)
                            {
                                int rows = Math.Min(mr, mc - ir);
                                float* tile = c + (ic + ir) * ldc + jc + jr;
                                if (rows == mr && columns == nr)
                                {
                                    TKernel.Run(packedA + ir * kc, packedB + jr * kc, kc, tile, ldc, overwrite);
                                }
                                else
                                {
                                    // Edge tile: compute the whole padded tile aside, keep the part inside C.
                                    TKernel.Run(packedA + ir * kc, packedB + jr * kc, kc, edge, nr, overwrite: true);
                                    MergeEdge(edge, nr, tile, ldc, rows, columns, overwrite);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static float[] Workspace(int floats)
    {
        float[]? workspace = t_workspace;
        if (workspace is null || workspace.Length < floats)
        {
            t_workspace = workspace = GC.AllocateUninitializedArray<float>(floats, pinned: true);
        }
        return workspace;
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>Packs op(A)[0..mc, 0..kc] into micro-panels of <paramref name="mr"/> rows, p-major
    /// (panel r, step p holds rows r*mr .. r*mr+mr-1 of column p), zero-padding the last panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackA(float* a, nint rowStride, nint columnStride, int mc, int kc, int mr, float* packed)
    {
        for (int i0 = 0; i0 < mc; i0 += mr, packed += mr * kc)
        {
            int rows = Math.Min(mr, mc - i0);
            for (int r = 0; r < rows; r++)
            {
                float* source = a + (i0 + r) * rowStride;
                for (int p = 0; p < kc; p++) packed[p * mr + r] = source[p * columnStride];
            }
            for (int r = rows; r < mr; r++)
            {
                for (int p = 0; p < kc; p++) packed[p * mr + r] = 0f;
            }
        }
    }

    /// <summary>Packs op(B)[0..kc, 0..nc] into micro-panels of <paramref name="nr"/> columns, p-major,
    /// zero-padding the last panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackB(float* b, nint rowStride, nint columnStride, int kc, int nc, int nr, float* packed)
    {
        for (int j0 = 0; j0 < nc; j0 += nr, packed += nr * kc)
        {
            int columns = Math.Min(nr, nc - j0);
            if (columnStride == 1)
            {
                // Rows of op(B) are contiguous: copy a run of `columns` floats per p.
                for (int p = 0; p < kc; p++)
                {
                    float* source = b + p * rowStride + j0;
                    float* target = packed + p * nr;
                    new ReadOnlySpan<float>(source, columns).CopyTo(new Span<float>(target, columns));
                    if (columns < nr) new Span<float>(target + columns, nr - columns).Clear();
                }
            }
            else
            {
                for (int j = 0; j < columns; j++)
                {
                    float* source = b + (j0 + j) * columnStride;
                    for (int p = 0; p < kc; p++) packed[p * nr + j] = source[p * rowStride];
                }
                for (int j = columns; j < nr; j++)
                {
                    for (int p = 0; p < kc; p++) packed[p * nr + j] = 0f;
                }
            }
        }
    }

    private static void MergeEdge(float* tile, int tileStride, float* c, nint ldc, int rows, int columns, bool overwrite)
    {
        for (int r = 0; r < rows; r++)
        {
            float* source = tile + r * tileStride, target = c + r * ldc;
            for (int j = 0; j < columns; j++) target[j] = overwrite ? source[j] : target[j] + source[j];
        }
    }
}
