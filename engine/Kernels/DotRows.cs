using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace ArenaGrad.Kernels;

/// <summary>Dot products of one row x with several rows of a matrix: the matrix-vector product of a batch-1 Linear
/// (y = W x), where each output is a dot over contiguous memory.</summary>
/// <remarks>Each dot is summed exactly as <see cref="Loops.Sum{TSrc}"/> sums x[i]·w[i]: 16 lane partial sums (a
/// product, then an add), joined ((s[j] + s[j+8]) + (s[j+4] + s[j+12])) pairwise, then the tail in index order. So
/// the results are those of a dot at a time, bit for bit, on every width. Rows go eight (Vector512) or four at a time:
/// they share the loads of x and run independent add chains, where one dot at a time waits on one; the last two
/// joins of four rows are one transpose of their 4-lane sums, so four outputs come out as one vector.</remarks>
internal static unsafe class DotRows
{
    /// <summary>y[j] (= | +=) x · w[j, :] for j in [0, y.Length); w is [y.Length, x.Length] row-major.</summary>
    [MethodImpl(Kernel.Compile)]
    public static void Multiply(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, bool accumulate)
    {
        int k = x.Length, rows = y.Length;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float wr = ref MemoryMarshal.GetReference(w);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int j = 0;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            for (; j + 16 <= rows; j += 16)
            {
                ref float w0 = ref Unsafe.Add(ref wr, (nint)j * k);
                Vector512<float> sums = Sixteen512(ref xr, ref w0, k);
                if ((k & 15) != 0) sums = Tails16(sums, ref xr, ref w0, k);
                if (accumulate) sums = Vector512.LoadUnsafe(ref Unsafe.Add(ref yr, j)) + sums;
                sums.StoreUnsafe(ref Unsafe.Add(ref yr, j));
            }
        }
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 8 <= rows; j += 8)
            {
                ref float w0 = ref Unsafe.Add(ref wr, (nint)j * k);
                Eight512(ref xr, ref w0, k, out Vector128<float> low, out Vector128<float> high);
                Store(Tails(low, ref xr, ref w0, k), ref Unsafe.Add(ref yr, j), accumulate);
                Store(Tails(high, ref xr, ref Unsafe.Add(ref w0, (nint)4 * k), k), ref Unsafe.Add(ref yr, j + 4), accumulate);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; j + 4 <= rows; j += 4)
            {
                ref float w0 = ref Unsafe.Add(ref wr, (nint)j * k);
                Vector128<float> sums = Vector512.IsHardwareAccelerated ? Four512(ref xr, ref w0, k)
                    : Vector256.IsHardwareAccelerated ? Four256(ref xr, ref w0, k)
                    : Four128(ref xr, ref w0, k);
                Store(Tails(sums, ref xr, ref w0, k), ref Unsafe.Add(ref yr, j), accumulate);
            }
        }
        fixed (float* xp = x, wp = w)
        {
            for (; j < rows; j++)
            {
                float total = Loops.Sum(new BinarySource<MultiplyOperator>(default, xp, wp + (nint)j * k), (nuint)k);
                Unsafe.Add(ref yr, j) = accumulate ? Unsafe.Add(ref yr, j) + total : total;
            }
        }
    }

    /// <summary>Dots shallower than one 16-lane block (k &lt; 16) that fit a transposed copy of w on the stack.</summary>
    internal static bool IsShallow(int k, int n) => k < 16 && k * n <= MaxShallowFloats;

    private const int MaxShallowFloats = 4096;

    /// <summary>c[i, j] (= | +=) x_i · w_j for every row x_i of the [m, k] matrix <paramref name="x"/> and row w_j of the
    /// [n, k] matrix <paramref name="w"/>, when <see cref="IsShallow"/>: a first layer on a few observations. With no whole
    /// 16-lane block, <see cref="Multiply"/>'s dot is +0, then + x[p]·w[p] in index order (each product rounded, then
    /// added), so vectors can run along j instead, over a transposed copy of w, with those very operations: the same
    /// bits without a horizontal join per output. <paramref name="widestLanes"/> (16, 8, 4 or 1) caps the vector width;
    /// tests call each.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void MultiplyShallow(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> c, int m, int k, int n,
        bool accumulate, int widestLanes)
    {
        float* transposed = stackalloc float[k * n]; // wᵀ: [k, n], so a run of outputs j reads contiguous floats
        fixed (float* xp = x, wp = w, cp = c)
        {
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++)
                    transposed[p * n + j] = wp[j * k + p];
            int done = 0;
            if (widestLanes >= 16) done = ShallowColumns<Lanes512, Vector512<float>>(xp, transposed, cp, m, k, n, accumulate, done);
            if (widestLanes >= 8) done = ShallowColumns<Lanes256, Vector256<float>>(xp, transposed, cp, m, k, n, accumulate, done);
            if (widestLanes >= 4) done = ShallowColumns<Lanes128, Vector128<float>>(xp, transposed, cp, m, k, n, accumulate, done);
            ShallowColumns<ScalarLanes, float>(xp, transposed, cp, m, k, n, accumulate, done);
        }
    }

    /// <summary>The outputs from <paramref name="start"/> that fill whole TV vectors, of every row; returns the first left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ShallowColumns<TLanes, TV>(float* x, float* wt, float* c, int m, int k, int n, bool accumulate, int start)
        where TLanes : ILanes<TV>
        where TV : struct
    {
        int width = TLanes.Count, end = start + (n - start) / width * width;
        for (int i = 0; i < m; i++)
        {
            float* xi = x + i * k, ci = c + i * n;
            for (int j = start; j < end; j += width)
            {
                TV total = TLanes.Create(0f); // the joined lanes of no block: +0
                for (int p = 0; p < k; p++)
                    total = TLanes.Add(total, TLanes.Multiply(TLanes.Create(xi[p]), TLanes.Load(wt + p * n + j)));
                TLanes.Store(accumulate ? TLanes.Add(TLanes.Load(ci + j), total) : total, ci + j);
            }
        }
        return end;
    }

    /// <summary>y[0..4) (= | +=) totals: one add per lane, as a scalar add would.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector128<float> totals, ref float y, bool accumulate)
    {
        if (accumulate) totals = Vector128.LoadUnsafe(ref y) + totals;
        totals.StoreUnsafe(ref y);
    }

    /// <summary>The 16-lane sums of sixteen rows, each folded to one float (before its tail), row j in lane j. The folds are
    /// <see cref="Quarter(Vector512{float})"/> and <see cref="Fold"/>'s adds, done on 512-bit vectors that each carry
    /// several rows: halves of rows j and j+4 (and j+8, j+12) are paired by 128-bit shuffles, so every add joins the
    /// same two partial sums as the one-row fold, and 16 rows take 15 adds instead of 40.</summary>
    /// <remarks>Needs AVX-512F (the shuffles); the caller checks <see cref="Avx512F.IsSupported"/>.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Sixteen512(ref float x, ref float w, int k)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        Vector512<float> s8 = default, s9 = default, s10 = default, s11 = default, s12 = default, s13 = default, s14 = default, s15 = default;
        nint blocks = k & ~15;
        for (nint i = 0; i < blocks; i += 16)
        {
            Vector512<float> xv = Vector512.LoadUnsafe(ref x, (nuint)i);
            ref float wi = ref Unsafe.Add(ref w, i);
            s0 += xv * Vector512.LoadUnsafe(ref wi);
            s1 += xv * Vector512.LoadUnsafe(ref wi, (nuint)k);
            s2 += xv * Vector512.LoadUnsafe(ref wi, (nuint)(2 * k));
            s3 += xv * Vector512.LoadUnsafe(ref wi, (nuint)(3 * k));
            s4 += xv * Vector512.LoadUnsafe(ref wi, (nuint)(4 * k));
            s5 += xv * Vector512.LoadUnsafe(ref wi, (nuint)(5 * k));
            s6 += xv * Vector512.LoadUnsafe(ref wi, (nuint)(6 * k));
            s7 += xv * Vector512.LoadUnsafe(ref wi, (nuint)(7 * k));
            s8 += xv * Vector512.LoadUnsafe(ref wi, (nuint)(8 * k));
            s9 += xv * Vector512.LoadUnsafe(ref wi, (nuint)(9 * k));
            s10 += xv * Vector512.LoadUnsafe(ref wi, (nuint)(10 * k));
            s11 += xv * Vector512.LoadUnsafe(ref wi, (nuint)(11 * k));
            s12 += xv * Vector512.LoadUnsafe(ref wi, (nuint)(12 * k));
            s13 += xv * Vector512.LoadUnsafe(ref wi, (nuint)(13 * k));
            s14 += xv * Vector512.LoadUnsafe(ref wi, (nuint)(14 * k));
            s15 += xv * Vector512.LoadUnsafe(ref wi, (nuint)(15 * k));
        }
        // p_j: 128-bit lane i holds the quarter of row 4i + j, so Fold's adds, lane by lane, give rows 4i .. 4i+3 in lane i.
        return Fold512(Quarters(s0, s4, s8, s12), Quarters(s1, s5, s9, s13), Quarters(s2, s6, s10, s14), Quarters(s3, s7, s11, s15));
    }

    /// <summary>The quarters (<see cref="Quarter(Vector512{float})"/>) of four rows' sums, row r in 128-bit lane r.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quarters(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        // [a.lo256 | b.lo256] + [a.hi256 | b.hi256]: lanes 0-7 are a's s[j] + s[j+8], lanes 8-15 b's.
        Vector512<float> ab = Avx512F.Shuffle4x128(a, b, 0x44) + Avx512F.Shuffle4x128(a, b, 0xEE);
        Vector512<float> cd = Avx512F.Shuffle4x128(c, d, 0x44) + Avx512F.Shuffle4x128(c, d, 0xEE);
        // 128-bit lanes (0, 2) + (1, 3) of each: (s[j] + s[j+8]) + (s[j+4] + s[j+12]) of a, b, c, d.
        return Avx512F.Shuffle4x128(ab, cd, 0x88) + Avx512F.Shuffle4x128(ab, cd, 0xDD);
    }

    /// <summary><see cref="Fold"/> in each 128-bit lane of four vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fold512(Vector512<float> q0, Vector512<float> q1, Vector512<float> q2, Vector512<float> q3)
    {
        Vector512<float> pairs01 = Avx512F.UnpackLow(q0, q1) + Avx512F.UnpackHigh(q0, q1);
        Vector512<float> pairs23 = Avx512F.UnpackLow(q2, q3) + Avx512F.UnpackHigh(q2, q3);
        Vector512<double> d01 = pairs01.AsDouble(), d23 = pairs23.AsDouble();
        return Avx512F.UnpackLow(d01, d23).AsSingle() + Avx512F.UnpackHigh(d01, d23).AsSingle(); // movlhps + movhlps per lane
    }

    /// <summary><see cref="Tails"/> for the sixteen rows of <see cref="Sixteen512"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static Vector512<float> Tails16(Vector512<float> totals, ref float x, ref float w, int k) =>
        Vector512.Create(
            Vector256.Create(Tails(totals.GetLower().GetLower(), ref x, ref w, k), Tails(totals.GetLower().GetUpper(), ref x, ref Unsafe.Add(ref w, 4 * k), k)),
            Vector256.Create(Tails(totals.GetUpper().GetLower(), ref x, ref Unsafe.Add(ref w, 8 * k), k),
                Tails(totals.GetUpper().GetUpper(), ref x, ref Unsafe.Add(ref w, 12 * k), k)));

    /// <summary>The 16-lane sums of eight rows, each folded to one float (before its tail): rows 0-3 and 4-7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Eight512(ref float x, ref float w, int k, out Vector128<float> low, out Vector128<float> high)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        Vector512<float> s4 = default, s5 = default, s6 = default, s7 = default;
        nint blocks = k & ~15;
        ref float w1 = ref Unsafe.Add(ref w, k), w2 = ref Unsafe.Add(ref w, 2 * k), w3 = ref Unsafe.Add(ref w, 3 * k);
        ref float w4 = ref Unsafe.Add(ref w, 4 * k), w5 = ref Unsafe.Add(ref w, 5 * k);
        ref float w6 = ref Unsafe.Add(ref w, 6 * k), w7 = ref Unsafe.Add(ref w, 7 * k);
        for (nint i = 0; i < blocks; i += 16)
        {
            Vector512<float> xv = Vector512.LoadUnsafe(ref x, (nuint)i);
            s0 += xv * Vector512.LoadUnsafe(ref w, (nuint)i);
            s1 += xv * Vector512.LoadUnsafe(ref w1, (nuint)i);
            s2 += xv * Vector512.LoadUnsafe(ref w2, (nuint)i);
            s3 += xv * Vector512.LoadUnsafe(ref w3, (nuint)i);
            s4 += xv * Vector512.LoadUnsafe(ref w4, (nuint)i);
            s5 += xv * Vector512.LoadUnsafe(ref w5, (nuint)i);
            s6 += xv * Vector512.LoadUnsafe(ref w6, (nuint)i);
            s7 += xv * Vector512.LoadUnsafe(ref w7, (nuint)i);
        }
        low = Fold(Quarter(s0), Quarter(s1), Quarter(s2), Quarter(s3));
        high = Fold(Quarter(s4), Quarter(s5), Quarter(s6), Quarter(s7));
    }

    /// <summary>The 16-lane sums of four rows, each folded to one float (before its tail).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Four512(ref float x, ref float w, int k)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        nint blocks = k & ~15;
        ref float w1 = ref Unsafe.Add(ref w, k), w2 = ref Unsafe.Add(ref w, 2 * k), w3 = ref Unsafe.Add(ref w, 3 * k);
        for (nint i = 0; i < blocks; i += 16)
        {
            Vector512<float> xv = Vector512.LoadUnsafe(ref x, (nuint)i);
            s0 += xv * Vector512.LoadUnsafe(ref w, (nuint)i);
            s1 += xv * Vector512.LoadUnsafe(ref w1, (nuint)i);
            s2 += xv * Vector512.LoadUnsafe(ref w2, (nuint)i);
            s3 += xv * Vector512.LoadUnsafe(ref w3, (nuint)i);
        }
        return Fold(Quarter(s0), Quarter(s1), Quarter(s2), Quarter(s3));
    }

    /// <summary>As <see cref="Four512"/> with lanes 0-7 and 8-15 of each row in two Vector256.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Four256(ref float x, ref float w, int k)
    {
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        Vector256<float> t0 = default, t1 = default, t2 = default, t3 = default;
        nint blocks = k & ~15;
        ref float w1 = ref Unsafe.Add(ref w, k), w2 = ref Unsafe.Add(ref w, 2 * k), w3 = ref Unsafe.Add(ref w, 3 * k);
        for (nint i = 0; i < blocks; i += 16)
        {
            Vector256<float> xa = Vector256.LoadUnsafe(ref x, (nuint)i), xb = Vector256.LoadUnsafe(ref x, (nuint)(i + 8));
            s0 += xa * Vector256.LoadUnsafe(ref w, (nuint)i);
            t0 += xb * Vector256.LoadUnsafe(ref w, (nuint)(i + 8));
            s1 += xa * Vector256.LoadUnsafe(ref w1, (nuint)i);
            t1 += xb * Vector256.LoadUnsafe(ref w1, (nuint)(i + 8));
            s2 += xa * Vector256.LoadUnsafe(ref w2, (nuint)i);
            t2 += xb * Vector256.LoadUnsafe(ref w2, (nuint)(i + 8));
            s3 += xa * Vector256.LoadUnsafe(ref w3, (nuint)i);
            t3 += xb * Vector256.LoadUnsafe(ref w3, (nuint)(i + 8));
        }
        return Fold(Quarter(s0 + t0), Quarter(s1 + t1), Quarter(s2 + t2), Quarter(s3 + t3));
    }

    /// <summary>As <see cref="Four512"/> with lanes 0-3, 4-7, 8-11 and 12-15 of each row in four Vector128, two rows
    /// per pass over x (sixteen accumulators would not fit in sixteen registers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Four128(ref float x, ref float w, int k) =>
        Fold(Two128(ref x, ref w, k, out Vector128<float> q1), q1, Two128(ref x, ref Unsafe.Add(ref w, 2 * k), k, out Vector128<float> q3), q3);

    /// <summary>The 4-lane sums ((s[j] + s[j+8]) + (s[j+4] + s[j+12])) of two rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Two128(ref float x, ref float w, int k, out Vector128<float> second)
    {
        Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector128<float> b0 = default, b1 = default, b2 = default, b3 = default;
        nint blocks = k & ~15;
        ref float v = ref Unsafe.Add(ref w, k);
        for (nint i = 0; i < blocks; i += 16)
        {
            Vector128<float> x0 = Vector128.LoadUnsafe(ref x, (nuint)i), x1 = Vector128.LoadUnsafe(ref x, (nuint)(i + 4));
            Vector128<float> x2 = Vector128.LoadUnsafe(ref x, (nuint)(i + 8)), x3 = Vector128.LoadUnsafe(ref x, (nuint)(i + 12));
            a0 += x0 * Vector128.LoadUnsafe(ref w, (nuint)i);
            b0 += x0 * Vector128.LoadUnsafe(ref v, (nuint)i);
            a1 += x1 * Vector128.LoadUnsafe(ref w, (nuint)(i + 4));
            b1 += x1 * Vector128.LoadUnsafe(ref v, (nuint)(i + 4));
            a2 += x2 * Vector128.LoadUnsafe(ref w, (nuint)(i + 8));
            b2 += x2 * Vector128.LoadUnsafe(ref v, (nuint)(i + 8));
            a3 += x3 * Vector128.LoadUnsafe(ref w, (nuint)(i + 12));
            b3 += x3 * Vector128.LoadUnsafe(ref v, (nuint)(i + 12));
        }
        second = (b0 + b2) + (b1 + b3);
        return (a0 + a2) + (a1 + a3);
    }

    /// <summary>Lane j of the result is (s[j] + s[j+8]) + (s[j+4] + s[j+12]) of the 16 lanes s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Quarter(Vector512<float> s) => Quarter(s.GetLower() + s.GetUpper());

    /// <summary>Lanes j + (j+8) already added: lane j of the result is half[j] + half[j+4].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Quarter(Vector256<float> half) => half.GetLower() + half.GetUpper();

    /// <summary>Lane r of the result is (q[0] + q[2]) + (q[1] + q[3]) of q = qr, as Loops.Sum joins a quarter: on x86 a
    /// 4x4 transpose done within the two adds (unpack, add, move halves, add) instead of four horizontal folds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Fold(Vector128<float> q0, Vector128<float> q1, Vector128<float> q2, Vector128<float> q3)
    {
        if (Sse.IsSupported)
        {
            // [q0[0]+q0[2], q1[0]+q1[2], q0[1]+q0[3], q1[1]+q1[3]] and the same for q2, q3.
            Vector128<float> pairs01 = Sse.UnpackLow(q0, q1) + Sse.UnpackHigh(q0, q1);
            Vector128<float> pairs23 = Sse.UnpackLow(q2, q3) + Sse.UnpackHigh(q2, q3);
            return Sse.MoveLowToHigh(pairs01, pairs23) + Sse.MoveHighToLow(pairs23, pairs01);
        }
        return Vector128.Create(One(q0), One(q1), One(q2), One(q3));
    }

    /// <summary>(q[0] + q[2]) + (q[1] + q[3]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float One(Vector128<float> q) => (q.GetElement(0) + q.GetElement(2)) + (q.GetElement(1) + q.GetElement(3));

    /// <summary>Adds the k mod 16 tail products of four rows (w, w + k, ...), each in index order, as Loops.Sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Tails(Vector128<float> totals, ref float x, ref float w, int k)
    {
        int start = k & ~15;
        if (start == k) return totals;
        return Vector128.Create(
            Tail(totals.GetElement(0), ref x, ref w, start, k),
            Tail(totals.GetElement(1), ref x, ref Unsafe.Add(ref w, k), start, k),
            Tail(totals.GetElement(2), ref x, ref Unsafe.Add(ref w, 2 * k), start, k),
            Tail(totals.GetElement(3), ref x, ref Unsafe.Add(ref w, 3 * k), start, k));
    }

    /// <summary>total + x[i]·w[i] for i in [start, k), in index order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail(float total, ref float x, ref float w, int start, int k)
    {
        for (int i = start; i < k; i++) total += Unsafe.Add(ref x, i) * Unsafe.Add(ref w, i);
        return total;
    }
}
