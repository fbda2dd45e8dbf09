using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ArenaGrad.Kernels;

/// <summary>c[m,n] (= | +=) op(a) @ b for products too small to pack (attention's 16 × 16 heads, a rollout's few rows):
/// a block of one row of c held in registers while p runs over k, each step c += op(a)[i,p] · b[p,j] rounded twice
/// (never fused) in p order, so every width and the scalar tail give the bits of the plain i-k-j loop.</summary>
/// <remarks>Written once over <see cref="ILanes{TV}"/>; <see cref="Multiply"/> runs the widest accelerated width on
/// the leading columns and narrower ones on what is left. An axpy per (i, p) through the loop drivers cost about
/// 10 ns of call overhead each, 2.8 µs for a 16 × 16 × 16 product.</remarks>
internal static unsafe class SmallProduct
{
    /// <summary>c[m,n] (= | +=) op(a) @ b, op(a) [m,k] (a stored [m,k], or [k,m] when <paramref name="transposeA"/>),
    /// b [k,n] row-major; c must not alias a or b.</summary>
    [MethodImpl(Kernel.Compile)]
    public static void Multiply(float* a, float* b, float* c, int m, int k, int n, bool transposeA, bool accumulate)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated) j = Columns<Vector512<float>, Lanes512>(a, b, c, m, k, n, transposeA, accumulate, j);
        if (Vector256.IsHardwareAccelerated) j = Columns<Vector256<float>, Lanes256>(a, b, c, m, k, n, transposeA, accumulate, j);
        if (Vector128.IsHardwareAccelerated) j = Columns<Vector128<float>, Lanes128>(a, b, c, m, k, n, transposeA, accumulate, j);
        Columns<float, ScalarLanes>(a, b, c, m, k, n, transposeA, accumulate, j);
    }

    /// <summary>Columns from <paramref name="j"/> on, two vectors then one at a time, every row; returns the first
    /// column left (fewer than one vector's worth).</summary>
    [MethodImpl(Kernel.Compile)]
    internal static int Columns<TV, TLanes>(float* a, float* b, float* c, int m, int k, int n, bool transposeA, bool accumulate, int j)
        where TV : struct
        where TLanes : ILanes<TV>
    {
        int width = TLanes.Count;
        nint rowStride = transposeA ? 1 : k, depthStride = transposeA ? m : 1; // op(a)[i,p] = a[i·rowStride + p·depthStride]
        for (; j + 2 * width <= n; j += 2 * width)
        {
            for (int i = 0; i < m; i++)
            {
                float* ci = c + (nint)i * n + j, ai = a + i * rowStride, bp = b + j;
                TV c0 = accumulate ? TLanes.Load(ci) : TLanes.Create(0f);
                TV c1 = accumulate ? TLanes.Load(ci + width) : TLanes.Create(0f);
                for (int p = 0; p < k; p++, bp += n)
                {
                    TV aip = TLanes.Create(ai[p * depthStride]);
                    c0 = TLanes.MultiplyAdd(aip, TLanes.Load(bp), c0);
                    c1 = TLanes.MultiplyAdd(aip, TLanes.Load(bp + width), c1);
                }
                TLanes.Store(c0, ci);
                TLanes.Store(c1, ci + width);
            }
        }
        for (; j + width <= n; j += width)
        {
            for (int i = 0; i < m; i++)
            {
                float* ci = c + (nint)i * n + j, ai = a + i * rowStride, bp = b + j;
                TV c0 = accumulate ? TLanes.Load(ci) : TLanes.Create(0f);
                for (int p = 0; p < k; p++, bp += n)
                    c0 = TLanes.MultiplyAdd(TLanes.Create(ai[p * depthStride]), TLanes.Load(bp), c0);
                TLanes.Store(c0, ci);
            }
        }
        return j;
    }
}
