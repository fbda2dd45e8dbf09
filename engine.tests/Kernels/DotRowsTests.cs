using System;
using System.Runtime.Intrinsics;
using ArenaGrad.Kernels;
using NUnit.Framework;

namespace ArenaGrad.Tests.Kernels;

/// <summary>DotRows (the batch-1 Linear's matrix-vector product) against Loops.Sum one dot at a time, bit for bit.</summary>
public class DotRowsTests
{
    /// <summary>Values spread over many binades, so that any change in the order of the adds changes the bits.</summary>
    private static float[] Spread(Random rng, int n)
    {
        var values = new float[n];
        for (int i = 0; i < n; i++)
            values[i] = (float)((rng.NextDouble() * 2 - 1) * Math.Pow(2, rng.Next(-12, 13)));
        return values;
    }

    private static unsafe float OneDot(ReadOnlySpan<float> x, ReadOnlySpan<float> w)
    {
        fixed (float* xp = x, wp = w)
            return Loops.Sum(new BinarySource<MultiplyOperator>(default, xp, wp), (nuint)x.Length);
    }

    [Test]
    public void Multiply_EveryDepthTo80AndRowCountTo40_IsBitwiseOneDotAtATimeAndWritesOnlyItsRows()
    {
        var rng = new Random(80);
        for (int k = 0; k <= 80; k++)
        {
            for (int rows = 0; rows <= 40; rows++)
            {
                float[] x = Spread(rng, k), w = Spread(rng, rows * k), y0 = Spread(rng, rows + 2);
                foreach (bool accumulate in (ReadOnlySpan<bool>)[false, true])
                {
                    float[] y = (float[])y0.Clone();
                    // y[0] and y[rows + 1] are sentinels outside the span given.
                    DotRows.Multiply(x, w, y.AsSpan(1, rows), accumulate);
                    Assert.That(y[0], Is.EqualTo(y0[0]), $"k={k} rows={rows}: wrote before y");
                    Assert.That(y[rows + 1], Is.EqualTo(y0[rows + 1]), $"k={k} rows={rows}: wrote past y");
                    for (int j = 0; j < rows; j++)
                    {
                        float dot = OneDot(x, w.AsSpan(j * k, k));
                        float expected = accumulate ? y0[j + 1] + dot : dot;
                        Assert.That(BitConverter.SingleToInt32Bits(y[j + 1]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)),
                            $"k={k} rows={rows} accumulate={accumulate} y[{j}]: {y[j + 1]:R} vs {expected:R}");
                    }
                }
            }
        }
    }

    /// <summary>The sixteen-row pass against one dot at a time. It is built from AVX-512F shuffles, which have no software
    /// form, so it is called directly where the CPU runs AVX-512F; elsewhere (or with DOTNET_EnableAVX512=0) DotRows does
    /// not take it, and the same sixteen rows through the passes that do run must give the same bits.</summary>
    [Test]
    public void SixteenRowPass_IsBitwiseOneDotAtATime()
    {
        bool native = System.Runtime.Intrinsics.X86.Avx512F.IsSupported;
        var rng = new Random(16);
        foreach (int k in new[] { 1, 15, 16, 17, 32, 47, 64, 80 })
        {
            float[] x = Spread(rng, k), w = Spread(rng, 16 * k), rows = new float[16];
            if (native)
            {
                Vector512<float> sums = DotRows.Tails16(DotRows.Sixteen512(ref x[0], ref w[0], k), ref x[0], ref w[0], k);
                for (int j = 0; j < 16; j++) rows[j] = sums.GetElement(j);
            }
            else
            {
                DotRows.Multiply(x, w, rows, accumulate: false);
            }
            for (int j = 0; j < 16; j++)
                Assert.That(BitConverter.SingleToInt32Bits(rows[j]), Is.EqualTo(BitConverter.SingleToInt32Bits(OneDot(x, w.AsSpan(j * k, k)))),
                    $"k={k} row {j} ({(native ? "the sixteen-row pass" : "without AVX-512F")})");
        }
    }

    /// <summary>The Vector512 paths (eight and four rows per pass) run only on AVX-512 hardware; here they are called
    /// directly, in software where the CPU lacks it, and must give one-dot-at-a-time's bits.</summary>
    [Test]
    public void Vector512RowPasses_InSoftwareIfNeeded_AreBitwiseOneDotAtATime()
    {
        var rng = new Random(512);
        foreach (int k in new[] { 1, 15, 16, 17, 32, 47, 64, 80 })
        {
            float[] x = Spread(rng, k), w = Spread(rng, 8 * k);
            DotRows.Eight512(ref x[0], ref w[0], k, out Vector128<float> low, out Vector128<float> high);
            Vector128<float> eightLow = DotRows.Tails(low, ref x[0], ref w[0], k);
            Vector128<float> eightHigh = DotRows.Tails(high, ref x[0], ref w[4 * k], k);
            Vector128<float> four = DotRows.Tails(DotRows.Four512(ref x[0], ref w[0], k), ref x[0], ref w[0], k);
            for (int j = 0; j < 8; j++)
            {
                int expected = BitConverter.SingleToInt32Bits(OneDot(x, w.AsSpan(j * k, k)));
                float eight = j < 4 ? eightLow.GetElement(j) : eightHigh.GetElement(j - 4);
                Assert.That(BitConverter.SingleToInt32Bits(eight), Is.EqualTo(expected), $"k={k} row {j}: eight-row pass");
                if (j < 4) Assert.That(BitConverter.SingleToInt32Bits(four.GetElement(j)), Is.EqualTo(expected), $"k={k} row {j}: four-row pass");
            }
        }
    }
}
