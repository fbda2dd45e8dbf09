using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ArenaGrad.Kernels;

/// <summary>Dot products of one row x with several rows of a matrix: the matrix-vector product of a batch-1 Linear
/// (y = W x), where each output is a dot over contiguous memory.</summary>
/// <remarks>Each dot is summed exactly as <see cref="Loops.Sum{TSrc}"/> sums x[i]·w[i]: 16 lane partial sums (a
/// product, then an add), joined ((s[j] + s[j+8]) + (s[j+4] + s[j+12])) pairwise, then the tail in index order. So
/// the results are those of a dot at a time, bit for bit, on every width; four rows at a time share the loads of x
/// and run four independent add chains, where one dot at a time waits on one.</remarks>
internal static class DotRows
{
    /// <summary>y[j] (= | +=) x · w[j, :] for j in [0, y.Length); w is [y.Length, x.Length] row-major.</summary>
    [MethodImpl(Kernel.Compile)]
    public static void Multiply(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, bool accumulate)
    {
        int k = x.Length, rows = y.Length;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float wr = ref MemoryMarshal.GetReference(w);
        int j = 0;
        if (Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated)
        {
            for (; j + 4 <= rows; j += 4)
            {
                ref float w0 = ref Unsafe.Add(ref wr, (nint)j * k);
                Vector128<float> sums = Vector512.IsHardwareAccelerated
                    ? Four512(ref xr, ref w0, k)
                    : Four256(ref xr, ref w0, k);
                for (int r = 0; r < 4; r++)
                {
                    float total = Tail(sums.GetElement(r), ref xr, ref Unsafe.Add(ref w0, (nint)r * k), k);
                    y[j + r] = accumulate ? y[j + r] + total : total;
                }
            }
        }
        for (; j < rows; j++)
        {
            float total = Loops.Sum(new BinarySource<MultiplyOperator>(default, ref xr, ref Unsafe.Add(ref wr, (nint)j * k)), (nuint)k);
            y[j] = accumulate ? y[j] + total : total;
        }
    }

    /// <summary>The 16-lane sums of four rows, each folded to one float (before its tail).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Four512(ref float x, ref float w, int k)
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
        return Vector128.Create(Fold(s0.GetLower() + s0.GetUpper()), Fold(s1.GetLower() + s1.GetUpper()),
            Fold(s2.GetLower() + s2.GetUpper()), Fold(s3.GetLower() + s3.GetUpper()));
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
        return Vector128.Create(Fold(s0 + t0), Fold(s1 + t1), Fold(s2 + t2), Fold(s3 + t3));
    }

    /// <summary>Lanes j + (j+8) already added: ((q0 + q2) + (q1 + q3)) of q = lower + upper, as Loops.Sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Fold(Vector256<float> half)
    {
        Vector128<float> quarter = half.GetLower() + half.GetUpper();
        return (quarter.GetElement(0) + quarter.GetElement(2)) + (quarter.GetElement(1) + quarter.GetElement(3));
    }

    /// <summary>Adds the k mod 16 tail products in index order, as Loops.Sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail(float total, ref float x, ref float w, int k)
    {
        for (int i = k & ~15; i < k; i++) total += Unsafe.Add(ref x, i) * Unsafe.Add(ref w, i);
        return total;
    }
}
