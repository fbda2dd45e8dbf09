using System;
using ArenaGrad.Kernels;
using NUnit.Framework;

namespace ArenaGrad.Tests.Reliability;

/// <summary>Sums and means are cascade sums: error that grows with log n, and the same bits on every vector
/// width (the bit-for-bit tests compare with <see cref="CascadeReference"/>; .ci/run repeats them under
/// DOTNET_EnableAVX512=0, DOTNET_EnableAVX2=0 and DOTNET_EnableHWIntrinsic=0).</summary>
public class SumPrecisionTests
{
    private static float[] Random(int seed, int n, float lo, float hi)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (float)rng.NextDouble() * (hi - lo);
        return a;
    }

    private static void Same(float actual, float expected, string context) =>
        Assert.That(BitConverter.SingleToInt32Bits(actual), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)),
            $"{context}: expected {expected:R}, got {actual:R}");

    /// <summary>|actual - exact| &lt;= 1e-6 · log2(n) · Σ|x| (a cascade sum's bound, with room).</summary>
    private static void WithinCascadeBound(float actual, double exact, double magnitude, long n, string context)
    {
        double bound = 1e-6 * Math.Max(1, Math.Log2(n)) * magnitude;
        Assert.That(Math.Abs(actual - exact), Is.LessThanOrEqualTo(bound), $"{context}: got {actual:R}, exact {exact:R}");
    }

    [Test]
    public void Sum_LengthsAcrossLeavesAndLevels_MatchCascadeReferenceBitForBit()
    {
        float[] x = Random(1, 70_000, -10, 10);
        foreach (int n in (int[])[0, 1, 15, 16, 17, 255, 256, 257, 271, 511, 512, 513, 767, 1024, 1040, 4095, 4096, 4111, 65_536, 69_999])
        {
            Same(Reductions.Sum(x.AsSpan(0, n)), CascadeReference.Sum(x.AsSpan(0, n)), $"n={n}");
        }

        for (int n = 0; n <= 600; n++)
        {
            Same(Reductions.Sum(x.AsSpan(0, n)), CascadeReference.Sum(x.AsSpan(0, n)), $"n={n}");
        }
    }

    [Test]
    public void Dot_MatchesCascadeReferenceOfProductsBitForBit()
    {
        float[] a = Random(2, 5000, -2, 2), b = Random(3, 5000, -2, 2);
        foreach (int n in (int[])[0, 3, 16, 300, 4097, 5000])
        {
            var product = new float[n];
            for (int i = 0; i < n; i++) product[i] = a[i] * b[i];
            Same(Reductions.Dot(a.AsSpan(0, n), b.AsSpan(0, n)), CascadeReference.Sum(product), $"n={n}");
        }
    }

    [TestCase(3, 1, 2)]
    [TestCase(2, 100, 3)]
    [TestCase(1, 33, 130)]
    [TestCase(2, 257, 17)]
    [TestCase(1, 1000, 300)]
    [TestCase(4, 0, 5)]
    public void SumAxis_InnerAboveOne_MatchesColumnCascadeReferenceBitForBit(int outer, int dim, int inner)
    {
        float[] x = Random(4, outer * dim * inner, -10, 10);
        var y = new float[outer * inner];
        Reductions.SumAxis(x, outer, dim, inner, y);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
                Same(y[o * inner + i], CascadeReference.Column(d => x[(o * dim + d) * inner + i], dim), $"o={o} i={i}");
    }

    [Test]
    public void SumToShape_EveryBroadcastPattern_MatchesCascadeReferenceBitForBit()
    {
        // g [3, 40, 5, 9]; dst keeps the dims marked and sums the others.
        int[] gShape = [3, 40, 5, 9];
        float[] g = Random(5, 3 * 40 * 5 * 9, -4, 4);
        float G(int a, int b, int c, int d) => g[((a * 40 + b) * 5 + c) * 9 + d];
        foreach ((bool k0, bool k1, bool k2, bool k3) in ((bool, bool, bool, bool)[])[
                     (false, false, false, false), (false, false, false, true), (true, false, true, true),
                     (false, true, false, false), (true, false, true, false), (false, false, true, true)])
        {
            bool[] keep = [k0, k1, k2, k3];
            int[] dstShape = new int[4];
            for (int k = 0; k < 4; k++) dstShape[k] = keep[k] ? gShape[k] : 1;
            int[] strides = new int[4];
            for (int k = 3, s = 1; k >= 0; k--) { strides[k] = keep[k] ? s : 0; s *= dstShape[k]; }
            float[] dst = new float[dstShape[0] * dstShape[1] * dstShape[2] * dstShape[3]];
            Reductions.SumToShape(g, gShape, dst, strides, 1f);

            // Reference: last dim reduced -> each row is one cascade Sum and the rows join as a column;
            // last dim kept -> each element is a column cascade over the reduced rows (innermost fastest).
            int reducedRows = (k0 ? 1 : 3) * (k1 ? 1 : 40) * (k2 ? 1 : 5);
            for (int a = 0; a < dstShape[0]; a++)
                for (int b = 0; b < dstShape[1]; b++)
                    for (int c = 0; c < dstShape[2]; c++)
                        for (int d = 0; d < dstShape[3]; d++)
                        {
                            int A = a, B = b, C = c;
                            (int, int, int) RowIndex(int r)
                            {
                                int ra = A, rb = B, rc = C;
                                if (!k2) { rc = r % 5; r /= 5; }
                                if (!k1) { rb = r % 40; r /= 40; }
                                if (!k0) { ra = r % 3; }
                                return (ra, rb, rc);
                            }
                            float expected = k3
                                ? CascadeReference.Column(r => { var (ra, rb, rc) = RowIndex(r); return G(ra, rb, rc, d); }, reducedRows)
                                : CascadeReference.Column(r =>
                                {
                                    var (ra, rb, rc) = RowIndex(r);
                                    var row = new float[9];
                                    for (int j = 0; j < 9; j++) row[j] = G(ra, rb, rc, j);
                                    return CascadeReference.Sum(row);
                                }, reducedRows);
                            int at = a * strides[0] + b * strides[1] + c * strides[2] + d * strides[3];
                            Same(dst[at], expected, $"keep [{string.Join(",", keep)}] at [{a},{b},{c},{d}]");
                        }
        }
    }

    [Test]
    public void Mean_OfTwoToThe20CopiesOfPointOne_IsWithinTwoUlpOfPointOne()
    {
        // Before: 0.10006 (one float accumulator per lane). PyTorch 1.13: 0.10000001639127731.
        using var arena = new Arena();
        float mean = arena.Full([1 << 20], 0.1f).Mean().Item();
        Assert.That(Math.Abs(mean - 0.1f), Is.LessThanOrEqualTo(2 * (MathF.BitIncrement(0.1f) - 0.1f)), $"got {mean:R}");
    }

    [Test]
    public void SumAlongDim0_OfOnesTwoToThe25By2_IsExact()
    {
        // Before: 16777216 (rows added one at a time into one float). PyTorch 1.13: 33554432.
        using var arena = new Arena();
        float[] sums = arena.Ones([1 << 25, 2]).Sum(0).ToArray();
        Assert.That(sums, Is.EqualTo((float[])[33554432f, 33554432f]));
    }

    [TestCase(20)]
    [TestCase(24)]
    [TestCase(28)]
    public void SumAndMean_OfRandomTwoToTheK_AreWithinCascadeBoundOfDoubleSum(int log2n)
    {
        using var arena = new Arena();
        Tensor x = arena.Rand([1 << log2n]);
        double exact = 0;
        foreach (float v in x.AsSpanUnsafely()) exact += v;
        WithinCascadeBound(x.Sum().Item(), exact, exact, 1L << log2n, "sum");
        WithinCascadeBound(x.Mean().Item(), exact / (1 << log2n), exact / (1 << log2n), 1L << log2n, "mean");
    }

    [Test]
    public void SumAndMeanAlongDim_BothInnerCases_AreWithinCascadeBoundOfDoubleSums()
    {
        using var arena = new Arena();
        const int rows = 1 << 22, columns = 4;
        Tensor x = arena.Uniform([rows, columns], 0f, 1f);
        ReadOnlySpan<float> v = x.AsSpanUnsafely();
        var exact = new double[columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) exact[c] += v[r * columns + c];

        float[] sum0 = x.Sum(0).ToArray(), mean0 = x.Mean(0).ToArray();
        for (int c = 0; c < columns; c++)
        {
            WithinCascadeBound(sum0[c], exact[c], exact[c], rows, $"sum(0)[{c}]");
            WithinCascadeBound(mean0[c], exact[c] / rows, exact[c] / rows, rows, $"mean(0)[{c}]");
        }

        // inner == 1: the same data transposed, summed along its last dim.
        float[] sum1 = x.Transpose(0, 1).Sum(1).ToArray();
        for (int c = 0; c < columns; c++) WithinCascadeBound(sum1[c], exact[c], exact[c], rows, $"sum(1)[{c}]");
    }

    [Test]
    public void BroadcastGradient_SummedOverTwoToThe22Rows_IsWithinCascadeBound()
    {
        // x [4] broadcast against c [2^22, 4]: x.grad = Σ_rows c, reduced by SumToShape.
        using var arena = new Arena();
        const int rows = 1 << 22;
        Tensor x = arena.Ones([4], requiresGrad: true);
        Tensor c = arena.Full([rows, 4], 0.1f);
        (x * c).Sum().Backward();
        double exact = rows * (double)0.1f;
        foreach (float g in x.Grad!.Value.ToArray()) WithinCascadeBound(g, exact, exact, rows, "x.grad");

        // Last dim reduced: s [1] against c viewed as [2^24]: one cascade over the whole run.
        Tensor s = arena.Ones([1], requiresGrad: true);
        (s * c.Reshape(-1)).Sum().Backward();
        WithinCascadeBound(s.Grad!.Value.Item(), 4 * exact, 4 * exact, 4L * rows, "s.grad");
    }

    [Test]
    public void LinearBiasGradient_SummedOverTwoToThe22Rows_IsWithinCascadeBound()
    {
        using var arena = new Arena();
        const int rows = 1 << 22;
        Tensor x = arena.Zeros([rows, 2]);
        Tensor w = arena.Zeros([2, 2]);
        Tensor b = arena.Zeros([2], requiresGrad: true);
        Tensor c = arena.Uniform([rows, 2], 0f, 1f);
        (Functional.Linear(x, w, b) * c).Sum().Backward();
        ReadOnlySpan<float> cv = c.AsSpanUnsafely();
        double e0 = 0, e1 = 0;
        for (int r = 0; r < rows; r++) { e0 += cv[2 * r]; e1 += cv[2 * r + 1]; }
        float[] db = b.Grad!.Value.ToArray();
        WithinCascadeBound(db[0], e0, e0, rows, "db[0]");
        WithinCascadeBound(db[1], e1, e1, rows, "db[1]");
    }

    [Test]
    public void SoftmaxAlongStridedDim_OneLargeTermThenManySmallOnes_KeepsTheSmallOnes()
    {
        // Along dim 0 of [1 + 2^22, 2]: row 0 is 0, the others ln(2^-25), so Σ exp = 1 + 2^22·2^-25 = 1.125.
        // Adding the small terms one at a time to 1 rounds each away (softmax[0] = 1 instead of 0.889), and
        // backward's Σ g·y with g = 1 stalls the same way at y[0] (dx = y·(1 - Σ y) far from 0).
        using var arena = new Arena();
        const int rows = (1 << 22) + 1;
        float small = MathF.Log(MathF.ScaleB(1f, -25));
        Tensor x = arena.Full([rows, 2], small, requiresGrad: true);
        using (arena.NoGrad()) x.AsSpanUnsafely()[..2].Clear();
        double e = Math.Exp(small), total = 1 + (rows - 1) * e;
        Tensor y = x.Softmax(0);
        float[] head = y.AsSpanUnsafely()[..4].ToArray();
        WithinCascadeBound(head[0], 1 / total, 1 / total, rows, "softmax[0, 0]");
        WithinCascadeBound(head[1], 1 / total, 1 / total, rows, "softmax[0, 1]");
        WithinCascadeBound(head[2], e / total, e / total, rows, "softmax[1, 0]");

        y.Backward(arena.Ones([rows, 2]));
        float worst = 0;
        foreach (float d in x.Grad!.Value.AsSpanUnsafely()) worst = Math.Max(worst, Math.Abs(d));
        Assert.That(worst, Is.LessThan(1e-5f), "dx = y·(1 - Σ y) should vanish");
    }
}
