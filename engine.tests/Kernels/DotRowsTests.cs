using System;
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
    public void Multiply_EveryDepthTo80AndRowCountTo20_IsBitwiseOneDotAtATimeAndWritesOnlyItsRows()
    {
        var rng = new Random(80);
        for (int k = 0; k <= 80; k++)
        {
            for (int rows = 0; rows <= 20; rows++)
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
}
