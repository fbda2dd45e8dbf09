using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ArenaGrad.Kernels.Gemm;

namespace ArenaGrad.Kernels;

/// <summary>Dense row-major matrix multiply: the packed BLIS-style GEMM (<see cref="PackedGemm"/>) for every
/// problem big enough to repay packing, and direct loops for the rest (a row times a matrix, tiny products).</summary>
internal static unsafe class MatrixMultiply
{
    /// <summary>Below this many multiply-adds packing costs more than it saves.</summary>
    private const long PackedMinimumWork = 8 * 1024;

    /// <summary>With fewer rows than this, packing B costs more than the product (a rollout's batch of 4 through a
    /// 64 × 64 layer: 1.1 µs direct against 2.2 µs packed on a Zen 4), and most of a 12-row AVX-512 tile would be
    /// padding. A constant, not the tile height of the running width, so every instruction set takes the same path
    /// and rounds the same way.</summary>
    private const int PackedMinimumRows = 8;

    /// <summary>Whether an [m,k] @ [k,n] product runs the packed GEMM (which merges each 256-deep block's sum into C)
    /// rather than the direct loops; shapes alone decide, so every instruction set rounds a product the same way.</summary>
    internal static bool UsesPackedGemm(int m, int k, int n) =>
        m >= PackedMinimumRows && n >= 4 && (long)m * n * k >= PackedMinimumWork;

    /// <summary>c[m,n] = op(a) @ op(b) (or c += when accumulate); op(a) is [m,k] (a stored [m,k], or [k,m]
    /// when transposeA), op(b) is [k,n] (b stored [k,n], or [n,k] when transposeB). c must not alias a or b.</summary>
    /// <remarks>NoInlining as well as fully optimized: inlined into a backward rule, the loops ran 1.5-3x slower.
    /// A <paramref name="team"/> shares large packed products between threads, with the same bits as one thread, and
    /// says whether products round once (without one they do: the deterministic default).</remarks>
    [MethodImpl(Kernel.Compile | MethodImplOptions.NoInlining)]
    internal static void Gemm(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool transposeA, bool transposeB, bool accumulate,
        GemmTeam? team = null)
    {
        Check.NonNegative(m, nameof(m));
        Check.NonNegative(k, nameof(k));
        Check.NonNegative(n, nameof(n));
        Check.SameLength(checked(m * k), a.Length, "m*k", nameof(a));
        Check.SameLength(checked(k * n), b.Length, "k*n", nameof(b));
        Check.SameLength(checked(m * n), c.Length, "m*n", nameof(c));
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) c.Clear(); // an empty sum is 0
            return;
        }
        if (UsesPackedGemm(m, k, n))
        {
            fixed (float* ap = a, bp = b, cp = c)
            {
                var problem = new GemmProblem(ap, bp, cp, m, k, n, transposeA, transposeB, accumulate, team?.RoundOnce ?? true);
                if (team is null) problem.Run();
                else team.Run(problem);
            }
            return;
        }
        GemmDirect(a, b, c, m, k, n, transposeA, transposeB, accumulate);
    }

    /// <summary>Unpacked loops for small products: NT as dot products over k, four rows of b at a time
    /// (<see cref="DotRows"/>), NN/TN with a row block of C in registers (<see cref="SmallProduct"/>), TT in scalars.</summary>
    [MethodImpl(Kernel.Compile)] // not inlined into Gemm: without this the first calls would run tier-0 code
    private static void GemmDirect(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool transposeA, bool transposeB, bool accumulate)
    {
        if (transposeB && !transposeA)
        {
            // c[i,:] (= | +=) b · a[i,:]: a batch-1 Linear is one such matrix-vector product.
            if (DotRows.IsShallow(k, n))
            {
                DotRows.MultiplyShallow(a, b, c, m, k, n, accumulate,
                    Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : Vector128.IsHardwareAccelerated ? 4 : 1);
                return;
            }
            for (int i = 0; i < m; i++)
                DotRows.Multiply(a.Slice(i * k, k), b, c.Slice(i * n, n), accumulate);
            return;
        }

        fixed (float* ap = a, bp = b, cp = c)
        {
            if (!transposeB)
            {
                // NN and TN: a row block of c in registers over k (SmallProduct).
                SmallProduct.Multiply(ap, bp, cp, m, k, n, transposeA, accumulate);
                return;
            }

            // TT: a's column is strided; scalar (rare in autograd: only a transposed-transposed backward).
            if (!accumulate) c.Clear();
            for (int i = 0; i < m; i++)
            {
                float* ci = cp + (nint)i * n;
                for (int j = 0; j < n; j++)
                {
                    float* bj = bp + (nint)j * k;
                    float s = 0f;
                    for (int p = 0; p < k; p++) s += ap[(nint)p * m + i] * bj[p];
                    ci[j] += s;
                }
            }
        }
    }
}
