using System;
using System.Collections.Generic;
using ArenaGrad.Kernels;
using NUnit.Framework;

namespace ArenaGrad.Tests.Kernels;

public class MatrixMultiplyTests
{
    private static readonly int[] Sizes = [1, 3, 17, 33, 65];

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    [TestCase(true, true)]
    public void Gemm_AwkwardSizes_MatchNaiveTripleLoopAssigningAndAccumulating(bool transposeA, bool transposeB)
    {
        var rng = new Random(20);
        foreach (int m in Sizes)
        {
            foreach (int k in Sizes)
            {
                foreach (int n in Sizes)
                {
                    float[] a = KernelAssert.Random(rng, m * k, -1, 1);
                    float[] b = KernelAssert.Random(rng, k * n, -1, 1);
                    float[] c0 = KernelAssert.Random(rng, m * n, -1, 1);
                    float[] assigned = (float[])c0.Clone();
                    float[] accumulated = (float[])c0.Clone();
                    MatrixMultiply.Gemm(a, b, assigned, m, k, n, transposeA, transposeB, accumulate: false);
                    MatrixMultiply.Gemm(a, b, accumulated, m, k, n, transposeA, transposeB, accumulate: true);
                    for (int i = 0; i < m; i++)
                    {
                        for (int j = 0; j < n; j++)
                        {
                            double s = 0;
                            for (int p = 0; p < k; p++)
                            {
                                float av = transposeA ? a[p * m + i] : a[i * k + p];
                                float bv = transposeB ? b[j * k + p] : b[p * n + j];
                                s += (double)av * bv;
                            }

                            string at = $"tA={transposeA} tB={transposeB} m={m} k={k} n={n} c[{i},{j}]";
                            KernelAssert.Close(assigned[i * n + j], s, 0, 1e-5 * k, at);
                            KernelAssert.Close(accumulated[i * n + j], c0[i * n + j] + s, 0, 1e-5 * (k + 1), "+= " + at);
                        }
                    }
                }
            }
        }
    }

    [Test]
    public void Gemm_EmptyInnerDimension_ZeroesOrLeavesC()
    {
        float[] c = [1f, 2f, 3f, 4f];
        MatrixMultiply.Gemm([], [], c, 2, 0, 2, false, false, accumulate: true);
        Assert.That(c, Is.EqualTo(new float[] { 1f, 2f, 3f, 4f }));
        MatrixMultiply.Gemm([], [], c, 2, 0, 2, false, false, accumulate: false);
        Assert.That(c, Is.EqualTo(new float[4]));
    }

    [Test]
    public void Gemm_WrongBufferLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => MatrixMultiply.Gemm(new float[6], new float[6], new float[5], 2, 3, 2, false, false, false));
    }

    /// <summary>Shapes 1..70 in every dimension (a seeded sample of the cube, plus its edges) for every transpose
    /// combination: each element equals, bit for bit, the packed kernel's documented order of operations (multiply-adds,
    /// fused where the machine fuses, in p order per block of <see cref="ArenaGrad.Kernels.Gemm.GemmBlocking.K"/>, each block's
    /// sum merged into C once), whatever the vector width, the tile the element falls in, and the path taken.</summary>
    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    [TestCase(true, true)]
    public void Gemm_Shapes1To70_BitwiseEqualToBlockedFusedReference(bool transposeA, bool transposeB)
    {
        var rng = new Random(70 + (transposeA ? 1 : 0) + (transposeB ? 2 : 0));
        var shapes = new List<(int M, int K, int N)> { (70, 70, 70), (1, 70, 70), (70, 1, 70), (70, 70, 1), (12, 64, 32), (13, 65, 33) };
        for (int s = 0; s < 60; s++) shapes.Add((rng.Next(1, 71), rng.Next(1, 71), rng.Next(1, 71)));
        foreach ((int m, int k, int n) in shapes)
        {
            CheckAgainstBlockedReference(rng, m, k, n, transposeA, transposeB);
        }
    }

    /// <summary>Past every block size: M past MC (120), K past KC (256, so three k-blocks), N past NC (3072).</summary>
    [TestCase(131, 600, 37, false, false)]
    [TestCase(131, 600, 37, true, true)]
    [TestCase(7, 5, 3100, false, true)]
    [TestCase(250, 300, 20, true, false)]
    public void Gemm_PastEveryBlockSize_BitwiseEqualToBlockedFusedReference(int m, int k, int n, bool transposeA, bool transposeB)
    {
        CheckAgainstBlockedReference(new Random(m * 31 + k), m, k, n, transposeA, transposeB);
    }

    [Test]
    public void Gemm_SpecialValues_PropagateOnlyToTheirRowAndColumn()
    {
        const int m = 20, k = 30, n = 40;
        var rng = new Random(5);
        float[] a = KernelAssert.Random(rng, m * k, -1, 1), b = KernelAssert.Random(rng, k * n, -1, 1), c = new float[m * n];
        a[3 * k + 4] = float.NaN;             // row 3 of C becomes NaN
        b[7 * n + 9] = float.PositiveInfinity; // column 9 of C becomes ±inf (or NaN on row 3)
        MatrixMultiply.Gemm(a, b, c, m, k, n, false, false, accumulate: false);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float v = c[i * n + j];
                if (i == 3) Assert.That(float.IsNaN(v), $"c[{i},{j}] = {v}");
                else if (j == 9) Assert.That(float.IsInfinity(v), $"c[{i},{j}] = {v}");
                else Assert.That(float.IsFinite(v), $"c[{i},{j}] = {v}");
            }
        }
    }

    private static void CheckAgainstBlockedReference(Random rng, int m, int k, int n, bool transposeA, bool transposeB)
    {
        float[] a = KernelAssert.Random(rng, m * k, -1, 1);
        float[] b = KernelAssert.Random(rng, k * n, -1, 1);
        float[] c0 = KernelAssert.Random(rng, m * n, -1, 1);
        float[] assigned = (float[])c0.Clone(), accumulated = (float[])c0.Clone();
        MatrixMultiply.Gemm(a, b, assigned, m, k, n, transposeA, transposeB, accumulate: false);
        MatrixMultiply.Gemm(a, b, accumulated, m, k, n, transposeA, transposeB, accumulate: true);
        bool packed = MatrixMultiply.UsesPackedGemm(m, k, n);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                string at = $"tA={transposeA} tB={transposeB} m={m} k={k} n={n} c[{i},{j}]";
                double exact = 0;
                for (int p = 0; p < k; p++) exact += (double)A(p) * B(p);
                if (packed)
                {
                    Assert.That(assigned[i * n + j], Is.EqualTo(Blocked(false)), at);
                    Assert.That(accumulated[i * n + j], Is.EqualTo(Blocked(true)), "+= " + at);
                }
                else
                {
                    KernelAssert.Close(assigned[i * n + j], exact, 0, 1e-5 * k, at);
                    KernelAssert.Close(accumulated[i * n + j], c0[i * n + j] + exact, 0, 1e-5 * (k + 1), "+= " + at);
                }

                float Blocked(bool accumulate)
                {
                    float c = c0[i * n + j];
                    for (int p0 = 0; p0 < k; p0 += ArenaGrad.Kernels.Gemm.GemmBlocking.K)
                    {
                        float sum = 0f;
                        for (int p = p0; p < Math.Min(k, p0 + ArenaGrad.Kernels.Gemm.GemmBlocking.K); p++) sum = MathF.FusedMultiplyAdd(A(p), B(p), sum);
                        c = p0 == 0 && !accumulate ? sum : c + sum;
                    }
                    return c;
                }

                float A(int p) => transposeA ? a[p * m + i] : a[i * k + p];
                float B(int p) => transposeB ? b[j * k + p] : b[p * n + j];
            }
        }
    }

    private static unsafe float OneDot(ReadOnlySpan<float> x, ReadOnlySpan<float> w)
    {
        fixed (float* xp = x, wp = w)
            return Loops.Sum(new BinarySource<MultiplyOperator>(default, xp, wp), (nuint)x.Length);
    }

    [Test]
    public void DotRows_EveryDepthAndRowCount_IsBitwiseOneDotAtATime()
    {
        var rng = new Random(31);
        for (int k = 0; k <= 70; k++)
        {
            for (int rows = 0; rows <= 9; rows++)
            {
                float[] x = KernelAssert.Random(rng, k, -2, 2), w = KernelAssert.Random(rng, rows * k, -2, 2);
                float[] y0 = KernelAssert.Random(rng, rows, -1, 1);
                foreach (bool accumulate in (ReadOnlySpan<bool>)[false, true])
                {
                    float[] y = (float[])y0.Clone();
                    DotRows.Multiply(x, w, y, accumulate);
                    for (int j = 0; j < rows; j++)
                    {
                        float dot = OneDot(x, w.AsSpan(j * k, k));
                        float expected = accumulate ? y0[j] + dot : dot;
                        Assert.That(BitConverter.SingleToInt32Bits(y[j]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)),
                            $"k={k} rows={rows} accumulate={accumulate} y[{j}]: {y[j]:R} vs {expected:R}");
                    }
                }
            }
        }
    }

    /// <summary>Every size 1..70 in each dimension in turn (the others odd and fixed), and every square 1..70: all
    /// tile remainders of every micro-kernel, the direct and packed paths and the switch between them.</summary>
    [Test]
    public void Gemm_EachDimensionFrom1To70_MatchesNaiveReferenceForEveryTranspose(
        [Values(false, true)] bool transposeA, [Values(false, true)] bool transposeB)
    {
        var rng = new Random(70 + (transposeA ? 2 : 0) + (transposeB ? 1 : 0));
        for (int d = 1; d <= 70; d++)
        {
            foreach ((int m, int k, int n) in (ReadOnlySpan<(int, int, int)>)[(d, 37, 29), (23, d, 41), (19, 43, d), (d, d, d)])
            {
                float[] a = KernelAssert.Random(rng, m * k, -1, 1), b = KernelAssert.Random(rng, k * n, -1, 1);
                float[] c = KernelAssert.Random(rng, m * n, -1, 1), c0 = (float[])c.Clone();
                MatrixMultiply.Gemm(a, b, c, m, k, n, transposeA, transposeB, accumulate: true);
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        double s = c0[i * n + j];
                        for (int p = 0; p < k; p++)
                            s += (double)(transposeA ? a[p * m + i] : a[i * k + p]) * (transposeB ? b[j * k + p] : b[p * n + j]);
                        KernelAssert.Close(c[i * n + j], s, 0, 1e-5 * (k + 1), $"tA={transposeA} tB={transposeB} m={m} k={k} n={n} c[{i},{j}]");
                    }
                }
            }
        }
    }
}
