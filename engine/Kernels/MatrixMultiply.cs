using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ArenaGrad.Kernels;

/// <summary>Dense row-major matrix multiply. Deliberately simple (to be replaced by a packed GEMM):
/// NN/TN are i-k-j with a vectorised axpy over a row of C, NT is vectorised dot products over k.</summary>
internal static class MatrixMultiply
{
    /// <summary>c[m,n] = op(a) @ op(b) (or c += when accumulate); op(a) is [m,k] (a stored [m,k], or [k,m]
    /// when transposeA), op(b) is [k,n] (b stored [k,n], or [n,k] when transposeB). c must not alias a or b.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void Gemm(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool transposeA, bool transposeB, bool accumulate)
    {
        Check.NonNegative(m, nameof(m));
        Check.NonNegative(k, nameof(k));
        Check.NonNegative(n, nameof(n));
        Check.SameLength(checked(m * k), a.Length, "m*k", nameof(a));
        Check.SameLength(checked(k * n), b.Length, "k*n", nameof(b));
        Check.SameLength(checked(m * n), c.Length, "m*n", nameof(c));
        if (!accumulate)
        {
            c.Clear(); // from here on every case accumulates
        }

        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float br = ref MemoryMarshal.GetReference(b);
        ref float cr = ref MemoryMarshal.GetReference(c);
        for (int i = 0; i < m; i++)
        {
            ref float ci = ref Unsafe.Add(ref cr, (nint)i * n);
            if (!transposeB)
            {
                // c[i,:] += op(a)[i,p] * b[p,:]: contiguous rows of b and c.
                for (int p = 0; p < k; p++)
                {
                    float aip = transposeA ? Unsafe.Add(ref ar, (nint)p * m + i) : Unsafe.Add(ref ar, (nint)i * k + p);
                    Loops.Add(new ScalarLeftSource<MultiplyOperator>(default, aip, ref Unsafe.Add(ref br, (nint)p * n)), ref ci, (nuint)n);
                }
            }
            else if (!transposeA)
            {
                // c[i,j] += a[i,:] . b[j,:]: both rows contiguous over k.
                ref float ai = ref Unsafe.Add(ref ar, (nint)i * k);
                for (int j = 0; j < n; j++)
                {
                    Unsafe.Add(ref ci, j) += Loops.Sum(
                        new BinarySource<MultiplyOperator>(default, ref ai, ref Unsafe.Add(ref br, (nint)j * k)), (nuint)k);
                }
            }
            else
            {
                // TT: a's column is strided; scalar (rare in autograd: only a transposed-transposed backward).
                for (int j = 0; j < n; j++)
                {
                    ref float bj = ref Unsafe.Add(ref br, (nint)j * k);
                    float s = 0f;
                    for (int p = 0; p < k; p++)
                    {
                        s += Unsafe.Add(ref ar, (nint)p * m + i) * Unsafe.Add(ref bj, p);
                    }

                    Unsafe.Add(ref ci, j) += s;
                }
            }
        }
    }
}
