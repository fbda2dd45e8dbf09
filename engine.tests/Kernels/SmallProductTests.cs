using System;
using System.Runtime.Intrinsics;
using ArenaGrad.Kernels;
using NUnit.Framework;

namespace ArenaGrad.Tests.Kernels;

/// <summary>SmallProduct (the unpacked NN/TN product) at each width, called directly so the Vector512 body is checked on
/// machines without AVX-512 too, against the plain i-k-j loop, bit for bit, writing only c.</summary>
public unsafe class SmallProductTests
{
    private static float[] Spread(Random rng, int n)
    {
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (float)((rng.NextDouble() * 2 - 1) * Math.Pow(2, rng.Next(-12, 13)));
        return values;
    }

    /// <summary>c[i,j] (= 0 |) then += op(a)[i,p]·b[p,j] for p in order, the product rounded before the add.</summary>
    private static float[] Reference(float[] a, float[] b, float[] c0, int m, int k, int n, bool transposeA, bool accumulate)
    {
        float[] c = accumulate ? (float[])c0.Clone() : new float[m * n];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++)
            {
                float aip = transposeA ? a[p * m + i] : a[i * k + p];
                for (int j = 0; j < n; j++)
                {
                    float product = aip * b[p * n + j];
                    c[i * n + j] += product;
                }
            }
        return c;
    }

    public static readonly string[] Widths = ["512", "256", "128", "scalar", "dispatch"];

    [TestCaseSource(nameof(Widths))]
    public void Multiply_EveryShapeTo9x9x40_IsBitwiseThePlainLoop(string width)
    {
        var rng = new Random(width.Length * 31);
        foreach (bool transposeA in (ReadOnlySpan<bool>)[false, true])
            foreach (bool accumulate in (ReadOnlySpan<bool>)[false, true])
                for (int m = 1; m <= 9; m++)
                    for (int k = 1; k <= 9; k++)
                        for (int n = 1; n <= 40; n++)
                        {
                            float[] a = Spread(rng, m * k), b = Spread(rng, k * n), c0 = Spread(rng, m * n + 2);
                            float[] c = (float[])c0.Clone();
                            fixed (float* ap = a, bp = b, cp = c)
                                Run(width, ap, bp, cp + 1, m, k, n, transposeA, accumulate);
                            string at = $"{width} m={m} k={k} n={n} transposeA={transposeA} accumulate={accumulate}";
                            Assert.That(c[0], Is.EqualTo(c0[0]), at + ": wrote before c");
                            Assert.That(c[^1], Is.EqualTo(c0[^1]), at + ": wrote after c");
                            float[] expected = Reference(a, b, c0[1..^1], m, k, n, transposeA, accumulate);
                            for (int i = 0; i < expected.Length; i++)
                                Assert.That(BitConverter.SingleToInt32Bits(c[i + 1]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected[i])), $"{at} [{i}]");
                        }
    }

    /// <summary>One width on the leading columns and the scalar body on the rest, as <see cref="SmallProduct.Multiply"/>
    /// does with the widths this machine accelerates (software emulation where it has none).</summary>
    private static void Run(string width, float* a, float* b, float* c, int m, int k, int n, bool transposeA, bool accumulate)
    {
        int j = width switch
        {
            "512" => SmallProduct.Columns<Vector512<float>, Lanes512>(a, b, c, m, k, n, transposeA, accumulate, 0),
            "256" => SmallProduct.Columns<Vector256<float>, Lanes256>(a, b, c, m, k, n, transposeA, accumulate, 0),
            "128" => SmallProduct.Columns<Vector128<float>, Lanes128>(a, b, c, m, k, n, transposeA, accumulate, 0),
            _ => 0,
        };
        if (width == "dispatch") SmallProduct.Multiply(a, b, c, m, k, n, transposeA, accumulate);
        else SmallProduct.Columns<float, ScalarLanes>(a, b, c, m, k, n, transposeA, accumulate, j);
    }
}
