using System.Runtime.CompilerServices;

namespace ArenaGrad.Kernels.Gemm;

/// <summary>Products with a thin side, no deeper than one k-block: a depth or a width of C of at most
/// <see cref="ThinSide"/> (a network's first layer on 4 observations, its gradient, an output layer of 2 actions).
/// Each row of C is computed directly, vectors along its columns, four rows at a time, with no packing and no padded
/// tiles; the packed GEMM would spend most of its time packing and merging edge tiles there (24.7 against 2-3 µs for
/// a [64,128] @ [128,4] weight gradient on a Zen 4).</summary>
/// <remarks>Every element is the micro-kernels' chain: an accumulator from zero, the products added in order
/// p = 0, 1, ... with the same <see cref="IMultiplyAdd"/>, merged into C once. With one k-block that is exactly what
/// <see cref="PackedGemm"/> computes, so which of the two runs a product never changes a bit, on any width.</remarks>
internal static unsafe class ThinGemm
{
    /// <summary>A depth (k) or a width of C (n) up to this is thin.</summary>
    public const int ThinSide = 8;

    /// <summary>Floats of a transposed B copied onto the stack so that its rows are contiguous (16 KiB).</summary>
    private const int MaxGatheredB = 4096;

    /// <summary>Whether <see cref="Run{TMultiplyAdd}(in GemmProblem)"/> takes a product of these sizes.</summary>
    public static bool Applies(int k, int n, bool transposedB) =>
        k <= GemmBlocking.K && (k <= ThinSide || n <= ThinSide) && (!transposedB || k * n <= MaxGatheredB);

    /// <summary>Computes <paramref name="problem"/> with the widest vectors the machine accelerates.</summary>
    public static void Run<TMultiplyAdd>(in GemmProblem problem)
        where TMultiplyAdd : IMultiplyAdd
    {
        int widest = Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : Vector128.IsHardwareAccelerated ? 4 : 1;
        Run<TMultiplyAdd>(problem, widest);
    }

    /// <summary>Computes <paramref name="problem"/> with vectors of at most <paramref name="widestLanes"/> floats (16, 8,
    /// 4 or 1); narrower vectors then the scalar path take the columns left over. Tests call each width directly.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void Run<TMultiplyAdd>(in GemmProblem problem, int widestLanes)
        where TMultiplyAdd : IMultiplyAdd
    {
        int k = problem.K, n = problem.N;
        float* b = problem.B;
        nint ldb = problem.RowB;
        if (problem.ColumnB != 1)
        {
            // op(b) is a transposed matrix: rows of op(b) are strided, so gather them (k · n ≤ MaxGatheredB floats).
            float* gathered = stackalloc float[k * n];
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++)
                    gathered[p * n + j] = problem.B[p * problem.RowB + j * problem.ColumnB];
            b = gathered;
            ldb = n;
        }
        if (problem.RowA == 1 && n < 8)
        {
            // A narrow C over a transposed A (a weight gradient of a layer with few inputs): op(a)'s columns are
            // contiguous, so vectors run down C's columns instead, several columns and vectors at a time.
            int row = 0;
            if (widestLanes >= 16) row = DownColumns<Lanes512, Vector512<float>, TMultiplyAdd>(problem, b, ldb, row);
            if (widestLanes >= 8) row = DownColumns<Lanes256, Vector256<float>, TMultiplyAdd>(problem, b, ldb, row);
            if (widestLanes >= 4) row = DownColumns<Lanes128, Vector128<float>, TMultiplyAdd>(problem, b, ldb, row);
            DownColumns<ScalarLanes, float, TMultiplyAdd>(problem, b, ldb, row);
            return;
        }
        int done = 0;
        if (widestLanes >= 16) done = Columns<Lanes512, Vector512<float>, TMultiplyAdd>(problem, b, ldb, done);
        if (widestLanes >= 8) done = Columns<Lanes256, Vector256<float>, TMultiplyAdd>(problem, b, ldb, done);
        if (widestLanes >= 4) done = Columns<Lanes128, Vector128<float>, TMultiplyAdd>(problem, b, ldb, done);
        Columns<ScalarLanes, float, TMultiplyAdd>(problem, b, ldb, done);
    }

    /// <summary>The columns from <paramref name="start"/> that fill whole TV vectors, of every row; returns the first
    /// column left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Columns<TLanes, TV, TMultiplyAdd>(in GemmProblem problem, float* b, nint ldb, int start)
        where TLanes : ILanes<TV>
        where TV : struct
        where TMultiplyAdd : IMultiplyAdd
    {
        int width = TLanes.Count, end = start + (problem.N - start) / width * width;
        if (end == start) return start;
        int m = problem.M, k = problem.K;
        nint rowA = problem.RowA, columnA = problem.ColumnA, rowC = problem.RowC;
        bool overwrite = !problem.Accumulate;
        int i = 0;
        // Four rows at a time: four independent add chains per column vector, so a deep thin product (a weight
        // gradient summed over 128 rows into 4 columns) is not bound by the latency of one chain.
        for (; i + 4 <= m; i += 4)
        {
            float* a = problem.A + i * rowA;
            float* c = problem.C + i * rowC;
            for (int j = start; j < end; j += width)
            {
                TV s0 = default, s1 = default, s2 = default, s3 = default;
                for (int p = 0; p < k; p++)
                {
                    TV bp = TLanes.Load(b + p * ldb + j);
                    float* ap = a + p * columnA;
                    s0 = MultiplyAdd<TV, TMultiplyAdd>(TLanes.Create(ap[0]), bp, s0);
                    s1 = MultiplyAdd<TV, TMultiplyAdd>(TLanes.Create(ap[rowA]), bp, s1);
                    s2 = MultiplyAdd<TV, TMultiplyAdd>(TLanes.Create(ap[2 * rowA]), bp, s2);
                    s3 = MultiplyAdd<TV, TMultiplyAdd>(TLanes.Create(ap[3 * rowA]), bp, s3);
                }
                Merge<TLanes, TV>(c + j, s0, overwrite);
                Merge<TLanes, TV>(c + rowC + j, s1, overwrite);
                Merge<TLanes, TV>(c + 2 * rowC + j, s2, overwrite);
                Merge<TLanes, TV>(c + 3 * rowC + j, s3, overwrite);
            }
        }
        for (; i < m; i++)
        {
            float* a = problem.A + i * rowA;
            for (int j = start; j < end; j += width)
            {
                TV s = default;
                for (int p = 0; p < k; p++)
                    s = MultiplyAdd<TV, TMultiplyAdd>(TLanes.Create(a[p * columnA]), TLanes.Load(b + p * ldb + j), s);
                Merge<TLanes, TV>(problem.C + i * rowC + j, s, overwrite);
            }
        }
        return end;
    }

    /// <summary>Rows from <paramref name="start"/> that fill whole TV vectors, every column, for a transposed A (op(a)'s
    /// column p is contiguous): each vector holds one column of C over TV.Count rows, two vectors and up to four columns
    /// at a time (eight independent chains). Returns the first row left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DownColumns<TLanes, TV, TMultiplyAdd>(in GemmProblem problem, float* b, nint ldb, int start)
        where TLanes : ILanes<TV>
        where TV : struct
        where TMultiplyAdd : IMultiplyAdd
    {
        int width = TLanes.Count, end = start + (problem.M - start) / width * width;
        if (end == start) return start;
        int k = problem.K, n = problem.N;
        nint columnA = problem.ColumnA, rowC = problem.RowC;
        bool overwrite = !problem.Accumulate;
        float* sums = stackalloc float[16];
        for (int i = start; i < end; i += width)
        {
            for (int j = 0; j < n; j += 4)
            {
                int columns = Math.Min(4, n - j);
                TV s0 = default, s1 = default, s2 = default, s3 = default;
                for (int p = 0; p < k; p++)
                {
                    TV ap = TLanes.Load(problem.A + p * columnA + i);
                    float* bp = b + p * ldb + j;
                    s0 = MultiplyAdd<TV, TMultiplyAdd>(ap, TLanes.Create(bp[0]), s0);
                    if (columns > 1) s1 = MultiplyAdd<TV, TMultiplyAdd>(ap, TLanes.Create(bp[1]), s1);
                    if (columns > 2) s2 = MultiplyAdd<TV, TMultiplyAdd>(ap, TLanes.Create(bp[2]), s2);
                    if (columns > 3) s3 = MultiplyAdd<TV, TMultiplyAdd>(ap, TLanes.Create(bp[3]), s3);
                }
                // Column c of C over rows i .. i + width: scattered with the same one add per element as Merge.
                TLanes.Store(s0, sums);
                MergeColumn(problem.C + i * rowC + j, rowC, sums, width, overwrite);
                if (columns > 1) { TLanes.Store(s1, sums); MergeColumn(problem.C + i * rowC + j + 1, rowC, sums, width, overwrite); }
                if (columns > 2) { TLanes.Store(s2, sums); MergeColumn(problem.C + i * rowC + j + 2, rowC, sums, width, overwrite); }
                if (columns > 3) { TLanes.Store(s3, sums); MergeColumn(problem.C + i * rowC + j + 3, rowC, sums, width, overwrite); }
            }
        }
        return end;
    }

    private static void MergeColumn(float* c, nint rowC, float* sums, int count, bool overwrite)
    {
        for (int r = 0; r < count; r++, c += rowC) *c = overwrite ? sums[r] : *c + sums[r];
    }

    /// <summary>C = sum, or C + sum: the micro-kernels' one merge per element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Merge<TLanes, TV>(float* c, TV sum, bool overwrite)
        where TLanes : ILanes<TV>
        where TV : struct =>
        TLanes.Store(overwrite ? sum : TLanes.Add(TLanes.Load(c), sum), c);

    /// <summary><typeparamref name="TMultiplyAdd"/>'s a·b + c at the width of TV (the type tests fold at JIT time).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV MultiplyAdd<TV, TMultiplyAdd>(TV a, TV b, TV c)
        where TV : struct
        where TMultiplyAdd : IMultiplyAdd
    {
        if (typeof(TV) == typeof(Vector512<float>))
        {
            Vector512<float> r = TMultiplyAdd.Of(Unsafe.As<TV, Vector512<float>>(ref a), Unsafe.As<TV, Vector512<float>>(ref b), Unsafe.As<TV, Vector512<float>>(ref c));
            return Unsafe.As<Vector512<float>, TV>(ref r);
        }
        if (typeof(TV) == typeof(Vector256<float>))
        {
            Vector256<float> r = TMultiplyAdd.Of(Unsafe.As<TV, Vector256<float>>(ref a), Unsafe.As<TV, Vector256<float>>(ref b), Unsafe.As<TV, Vector256<float>>(ref c));
            return Unsafe.As<Vector256<float>, TV>(ref r);
        }
        if (typeof(TV) == typeof(Vector128<float>))
        {
            Vector128<float> r = TMultiplyAdd.Of(Unsafe.As<TV, Vector128<float>>(ref a), Unsafe.As<TV, Vector128<float>>(ref b), Unsafe.As<TV, Vector128<float>>(ref c));
            return Unsafe.As<Vector128<float>, TV>(ref r);
        }
        float s = TMultiplyAdd.Of(Unsafe.As<TV, float>(ref a), Unsafe.As<TV, float>(ref b), Unsafe.As<TV, float>(ref c));
        return Unsafe.As<float, TV>(ref s);
    }
}
