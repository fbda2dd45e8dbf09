using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

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

/// <summary>Where the packed GEMM takes op(B) from: the packer of its k-blocks and column blocks.</summary>
internal unsafe interface IPanelSource
{
    /// <summary>Packs op(B)[p0 .. p0+kc, j0 .. j0+nc] into micro-panels of <paramref name="nr"/> columns, p-major
    /// (panel q, step p at packed + q·nr·kc + p·nr), zero-padding the columns past nc in the last panel.</summary>
    void Pack(int p0, int kc, int j0, int nc, int nr, float* packed);
}

/// <summary>op(B)[p, j] = b[p·rowB + j·colB]: a matrix in memory.</summary>
internal readonly unsafe struct StridedPanels(float* b, nint rowB, nint colB) : IPanelSource
{
    private readonly float* _b = b;
    private readonly nint _rowB = rowB, _colB = colB;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Pack(int p0, int kc, int j0, int nc, int nr, float* packed) =>
        PackedGemm.PackB(_b + p0 * _rowB + j0 * _colB, _rowB, _colB, kc, nc, nr, packed);
}

/// <summary>The rows of a product one thread computes, and the team it packs B with.</summary>
/// <param name="Panels">The team's shared B blocks, or null to pack every block alone.</param>
/// <param name="Member">This thread's place in the team, 0 .. Members - 1: which share of each B block it packs.</param>
/// <param name="RowStart">First row of C this thread computes.</param>
/// <param name="RowEnd">Row after the last; whole micro-kernel tiles from RowStart, except at the end of C.</param>
internal readonly record struct GemmPart(SharedPanels? Panels, int Member, int RowStart, int RowEnd)
{
    /// <summary>All <paramref name="m"/> rows on one thread, packing alone.</summary>
    public static GemmPart Alone(int m) => new(null, 0, 0, m);
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
        where TKernel : IMicroKernel =>
        Run<TKernel, StridedPanels>(a, rowA, colA, new StridedPanels(b, rowB, colB), c, ldc, m, k, n, accumulate);

    /// <summary>The same product with op(b) given by a packer instead of strides: a convolution packs its unfolded
    /// images straight from the input (<see cref="Convolution.ConvColumns"/>), with the same panels and so the same bits
    /// as unfolding them first.</summary>
    [MethodImpl(Kernel.Compile)]
    public static void Run<TKernel, TPanels>(float* a, nint rowA, nint colA, TPanels b, float* c, nint ldc,
        int m, int k, int n, bool accumulate)
        where TKernel : IMicroKernel
        where TPanels : struct, IPanelSource =>
        Run<TKernel, TPanels>(a, rowA, colA, b, c, ldc, m, k, n, accumulate, GemmPart.Alone(m));

    /// <summary>Rows [<see cref="GemmPart.RowStart"/>, <see cref="GemmPart.RowEnd"/>) of the product, the B blocks packed
    /// alone or, with a team's <see cref="GemmPart.Panels"/>, together with the other members into shared blocks.</summary>
    /// <remarks>Every member of a team must call this for the same product (even one with no rows): each packs a share
    /// of every block and meets the others at its barrier. Each element's sum is the same micro-kernel chain over the same
    /// k-blocks whoever computes it, so the rows a thread takes never change a bit.</remarks>
    [MethodImpl(Kernel.Compile)]
    public static void Run<TKernel, TPanels>(float* a, nint rowA, nint colA, TPanels b, float* c, nint ldc,
        int m, int k, int n, bool accumulate, GemmPart part)
        where TKernel : IMicroKernel
        where TPanels : struct, IPanelSource
    {
        int mr = TKernel.Rows, nr = TKernel.Columns;
        int blockK = Math.Min(GemmBlocking.K, k);
        int packedAFloats = GemmBlocking.M * blockK, packedBFloats = PackedBFloats(k, n);
        SharedPanels? shared = part.Panels;
        int member = part.Member, members = shared?.Members ?? 1;
        int ownBOffset = RoundUp(packedAFloats, 16); // whole cache lines, so the B block is 64-byte aligned too
        float[] workspace = Workspace(ownBOffset + (shared is null ? packedBFloats : 0) + 16);
        fixed (float* pinned = workspace)
        {
            float* packedA = (float*)(((nint)pinned + 63) & ~(nint)63); // 64-byte aligned panels
            float* ownB = packedA + ownBOffset;
            float* edge = stackalloc float[12 * 32];
            int block = 0;
            for (int jc = 0; jc < n; jc += GemmBlocking.N)
            {
                int nc = Math.Min(GemmBlocking.N, n - jc);
                int panels = (nc + nr - 1) / nr;
                for (int pc = 0; pc < k; pc += GemmBlocking.K, block++)
                {
                    int kc = Math.Min(GemmBlocking.K, k - pc);
                    bool overwrite = !accumulate && pc == 0;
                    float* packedB = shared is null ? ownB : shared.Block(block, packedBFloats);
                    // This member's share of the block's micro-panels (all of them when packing alone).
                    int first = panels * member / members, last = panels * (member + 1) / members;
                    if (last > first)
                        b.Pack(pc, kc, jc + first * nr, Math.Min(nc, last * nr) - first * nr, nr, packedB + first * nr * kc);
                    shared?.Wait();
                    for (int ic = part.RowStart; ic < part.RowEnd; ic += GemmBlocking.M)
                    {
                        int mc = Math.Min(GemmBlocking.M, part.RowEnd - ic);
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
                                    PrefetchTile(tile, ldc, mr, nr);
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

    /// <summary>Floats of one packed B block of an [k, n] op(b), for every micro-kernel's column count (each divides
    /// 32): what a <see cref="SharedPanels"/> reserves per block.</summary>
    internal static int PackedBFloats(int k, int n) => Math.Min(GemmBlocking.K, k) * Math.Min(GemmBlocking.N, RoundUp(n, 32));

    /// <summary>c[m,n] (= | +=) op(a)[m,k] @ op(b)[k,n] with the widest micro-kernel the machine accelerates, rounding
    /// each multiply-add once unless <paramref name="roundOnce"/> is false and the CPU does not fuse (as
    /// <see cref="GemmProblem.Run()"/>); m, k, n &gt; 0.</summary>
    public static void RunWidest<TPanels>(float* a, nint rowA, nint colA, TPanels b, float* c, nint ldc, int m, int k, int n,
        bool accumulate, bool roundOnce)
        where TPanels : struct, IPanelSource
    {
        if (roundOnce || FusedMultiplyAdd.InHardware) RunWidest<FusedMultiplyAdd, TPanels>(a, rowA, colA, b, c, ldc, m, k, n, accumulate);
        else RunWidest<SeparateMultiplyAdd, TPanels>(a, rowA, colA, b, c, ldc, m, k, n, accumulate);
    }

    private static void RunWidest<TMultiplyAdd, TPanels>(float* a, nint rowA, nint colA, TPanels b, float* c, nint ldc, int m, int k, int n,
        bool accumulate)
        where TMultiplyAdd : IMultiplyAdd
        where TPanels : struct, IPanelSource
    {
        if (Vector512.IsHardwareAccelerated) Run<MicroKernel512<TMultiplyAdd>, TPanels>(a, rowA, colA, b, c, ldc, m, k, n, accumulate);
        else if (Vector256.IsHardwareAccelerated) Run<MicroKernel256<TMultiplyAdd>, TPanels>(a, rowA, colA, b, c, ldc, m, k, n, accumulate);
        else if (Vector128.IsHardwareAccelerated) Run<MicroKernel128<TMultiplyAdd>, TPanels>(a, rowA, colA, b, c, ldc, m, k, n, accumulate);
        else Run<MicroKernelScalar<TMultiplyAdd>, TPanels>(a, rowA, colA, b, c, ldc, m, k, n, accumulate);
    }

    /// <summary>Asks for the C tile's lines before the micro-kernel runs: its stores (and loads, when it adds) come
    /// after kc steps, by which time the lines are in L1. Without it they missed cache at the end of every tile (rows
    /// of C a page apart), about a tenth of the time in the packed loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(float* tile, nint ldc, int rows, int columns)
    {
        if (!Sse.IsSupported) return;
        for (int r = 0; r < rows; r++, tile += ldc)
        {
            Sse.Prefetch0(tile);
            Sse.Prefetch0(tile + columns - 1);
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
        PackPanels(a, rowStride, columnStride, mc, kc, mr, packed);
    }

    /// <summary>Packs op(B)[0..kc, 0..nc] into micro-panels of <paramref name="nr"/> columns, p-major,
    /// zero-padding the last panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void PackB(float* b, nint rowStride, nint columnStride, int kc, int nc, int nr, float* packed)
    {
        PackPanels(b, columnStride, rowStride, nc, kc, nr, packed);
    }

    /// <summary>Steps of lines side by side taken together by the copying packer: a few rows of the source read
    /// front to back, then the next few.</summary>
    private const int CopyStepsPerPass = 8;

    /// <summary>All micro-panels of <paramref name="width"/> lines over <paramref name="lineCount"/> lines: panel r
    /// at packed + r*width*kc holds lines r*width .. r*width+width-1 (see <see cref="PackPanel"/>).</summary>
    /// <remarks>Lines side by side in memory (B as stored, A transposed) are copied a few steps at a time across all
    /// panels, not panel by panel: panel by panel, every step of a 16-float panel is a new source row (a new page once
    /// rows are 4 KiB apart), the prefetchers never see a stream, and the copy cost 2-3 times the transposing packer.
    /// Either way every value lands in the same place.</remarks>
    [MethodImpl(Kernel.Compile)] // too big to inline into Run: without this the first calls would run tier-0 code
    private static void PackPanels(float* source, nint lineStride, nint stepStride, int lineCount, int kc, int width, float* packed)
    {
        if (lineStride == 1 && stepStride != 1)
        {
            for (int p0 = 0; p0 < kc; p0 += CopyStepsPerPass)
            {
                int p1 = Math.Min(kc, p0 + CopyStepsPerPass);
                float* panel = packed;
                for (int l0 = 0; l0 < lineCount; l0 += width, panel += width * kc)
                {
                    int lines = Math.Min(width, lineCount - l0);
                    for (int p = p0; p < p1; p++) CopyStep(source + l0 + p * stepStride, lines, width, panel + p * width);
                }
            }
            return;
        }
        for (int l0 = 0; l0 < lineCount; l0 += width, packed += width * kc)
        {
            PackPanel(source + l0 * lineStride, lineStride, stepStride, Math.Min(width, lineCount - l0), kc, width, packed);
        }
    }

    /// <summary>One micro-panel: packed[p*width + l] = source[l*lineStride + p*stepStride] for the <paramref name="lines"/>
    /// lines l (rows of A, columns of B) and steps p &lt; kc, 0 for lines l in [lines, width).</summary>
    /// <remarks>A line contiguous in p (A as stored, or B transposed) is a transpose: 8×8 (AVX) or 4×4 (SSE) blocks
    /// in registers. Lines side by side in memory (B as stored, A transposed) are a copy per step. Anything else, and
    /// machines without those instructions, go element by element. Every path moves the same values to the same
    /// places: the packed panel, and so every product, is the same on every path.</remarks>
    [MethodImpl(Kernel.Compile)] // too big to inline into Run: without this the first calls would run tier-0 code
    private static void PackPanel(float* source, nint lineStride, nint stepStride, int lines, int kc, int width, float* packed)
    {
        if (stepStride == 1)
        {
            int l0 = 0;
            if (Avx.IsSupported)
            {
                // A width under 8 (6 rows of A) still takes 8 lines at a time: each store spills two zeros into the
                // next step, which the next store takes (Transpose8 keeps the last step inside the panel).
                for (; l0 < width && (width - l0 >= 8 || width < 8); l0 += 8)
                    Transpose8(source + l0 * lineStride, lineStride, Math.Min(lines - l0, Math.Min(width - l0, 8)), kc, width, packed + l0);
            }
            if (Sse.IsSupported)
            {
                for (; l0 + 4 <= width; l0 += 4)
                    Transpose4(source + l0 * lineStride, lineStride, Math.Min(lines - l0, 4), kc, width, packed + l0);
            }
            for (; l0 < width; l0++) PackLine(source + l0 * lineStride, 1, l0 < lines, kc, width, packed + l0);
        }
        else if (lineStride == 1)
        {
            for (int p = 0; p < kc; p++) CopyStep(source + p * stepStride, lines, width, packed + p * width);
        }
        else
        {
            for (int l = 0; l < width; l++) PackLine(source + l * lineStride, stepStride, l < lines, kc, width, packed + l);
        }
    }

    /// <summary>Line l of a panel (packed already offset by l): packed[p*width] = source[p*stepStride], or 0 past
    /// the real lines.</summary>
    [MethodImpl(Kernel.Compile)] // too big to inline into Run: without this the first calls would run tier-0 code
    private static void PackLine(float* source, nint stepStride, bool real, int kc, int width, float* packed)
    {
        if (real)
        {
            for (int p = 0; p < kc; p++) packed[p * width] = source[p * stepStride];
        }
        else
        {
            for (int p = 0; p < kc; p++) packed[p * width] = 0f;
        }
    }

    /// <summary>One step of a panel whose lines lie side by side: packed[0..lines) = source[0..lines), then zeros up
    /// to width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyStep(float* source, int lines, int width, float* packed)
    {
        int l = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; l + 8 <= lines; l += 8) Vector256.Store(Vector256.Load(source + l), packed + l);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; l + 4 <= lines; l += 4) Vector128.Store(Vector128.Load(source + l), packed + l);
        }
        for (; l < lines; l++) packed[l] = source[l];
        for (; l < width; l++) packed[l] = 0f;
    }

    /// <summary>Up to 8 lines contiguous in p (lines &lt;= 0: all zero) into packed[p*width + 0..8), 8 steps per
    /// 8×8 register transpose, the last kc mod 8 steps element by element.</summary>
    /// <remarks>A width under 8 spills each store into the next step, which the next store overwrites; the last 8 steps
    /// then go element by element, so nothing is written past the panel, where another thread of a team may be packing
    /// the next one (<see cref="SharedPanels"/>).</remarks>
    [MethodImpl(Kernel.Compile)] // too big to inline into Run: without this the first calls would run tier-0 code
    private static void Transpose8(float* source, nint lineStride, int lines, int kc, int width, float* packed)
    {
        float* s0 = source, s1 = s0 + lineStride, s2 = s1 + lineStride, s3 = s2 + lineStride;
        float* s4 = s3 + lineStride, s5 = s4 + lineStride, s6 = s5 + lineStride, s7 = s6 + lineStride;
        int p = 0, vectorSteps = width < 8 ? kc - 1 : kc;
        for (; p + 8 <= vectorSteps; p += 8)
        {
            Vector256<float> r0 = lines > 0 ? Avx.LoadVector256(s0 + p) : default;
            Vector256<float> r1 = lines > 1 ? Avx.LoadVector256(s1 + p) : default;
            Vector256<float> r2 = lines > 2 ? Avx.LoadVector256(s2 + p) : default;
            Vector256<float> r3 = lines > 3 ? Avx.LoadVector256(s3 + p) : default;
            Vector256<float> r4 = lines > 4 ? Avx.LoadVector256(s4 + p) : default;
            Vector256<float> r5 = lines > 5 ? Avx.LoadVector256(s5 + p) : default;
            Vector256<float> r6 = lines > 6 ? Avx.LoadVector256(s6 + p) : default;
            Vector256<float> r7 = lines > 7 ? Avx.LoadVector256(s7 + p) : default;

            // Interleave pairs, then pairs of pairs, then swap 128-bit halves: column q of the 8×8 block.
            Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
            Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
            Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
            Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
            Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
            Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
            Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
            float* target = packed + p * width;
            Avx.Store(target, Avx.Permute2x128(u0, u4, 0x20)); target += width;
            Avx.Store(target, Avx.Permute2x128(u1, u5, 0x20)); target += width;
            Avx.Store(target, Avx.Permute2x128(u2, u6, 0x20)); target += width;
            Avx.Store(target, Avx.Permute2x128(u3, u7, 0x20)); target += width;
            Avx.Store(target, Avx.Permute2x128(u0, u4, 0x31)); target += width;
            Avx.Store(target, Avx.Permute2x128(u1, u5, 0x31)); target += width;
            Avx.Store(target, Avx.Permute2x128(u2, u6, 0x31)); target += width;
            Avx.Store(target, Avx.Permute2x128(u3, u7, 0x31));
        }
        int count = Math.Min(width, 8);
        for (; p < kc; p++)
        {
            for (int l = 0; l < count; l++) packed[p * width + l] = l < lines ? source[l * lineStride + p] : 0f;
        }
    }

    /// <summary>Up to 4 lines contiguous in p (lines &lt;= 0: all zero) into packed[p*width + 0..4), 4 steps per
    /// 4×4 register transpose, the last kc mod 4 steps element by element.</summary>
    [MethodImpl(Kernel.Compile)] // too big to inline into Run: without this the first calls would run tier-0 code
    private static void Transpose4(float* source, nint lineStride, int lines, int kc, int width, float* packed)
    {
        float* s0 = source, s1 = s0 + lineStride, s2 = s1 + lineStride, s3 = s2 + lineStride;
        int p = 0;
        for (; p + 4 <= kc; p += 4)
        {
            Vector128<float> r0 = lines > 0 ? Sse.LoadVector128(s0 + p) : default;
            Vector128<float> r1 = lines > 1 ? Sse.LoadVector128(s1 + p) : default;
            Vector128<float> r2 = lines > 2 ? Sse.LoadVector128(s2 + p) : default;
            Vector128<float> r3 = lines > 3 ? Sse.LoadVector128(s3 + p) : default;
            Vector128<float> t0 = Sse.UnpackLow(r0, r1), t1 = Sse.UnpackHigh(r0, r1);
            Vector128<float> t2 = Sse.UnpackLow(r2, r3), t3 = Sse.UnpackHigh(r2, r3);
            float* target = packed + p * width;
            Sse.Store(target, Sse.MoveLowToHigh(t0, t2)); target += width;
            Sse.Store(target, Sse.MoveHighToLow(t2, t0)); target += width;
            Sse.Store(target, Sse.MoveLowToHigh(t1, t3)); target += width;
            Sse.Store(target, Sse.MoveHighToLow(t3, t1));
        }
        for (; p < kc; p++)
        {
            for (int l = 0; l < 4; l++) packed[p * width + l] = l < lines ? source[l * lineStride + p] : 0f;
        }
    }

    [MethodImpl(Kernel.Compile)] // too big to inline into Run: without this the first calls would run tier-0 code
    private static void MergeEdge(float* tile, int tileStride, float* c, nint ldc, int rows, int columns, bool overwrite)
    {
        for (int r = 0; r < rows; r++)
        {
            float* source = tile + r * tileStride, target = c + r * ldc;
            for (int j = 0; j < columns; j++) target[j] = overwrite ? source[j] : target[j] + source[j];
        }
    }
}
