using System;
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
}
