using System;
using ArenaGrad.Kernels;
using NUnit.Framework;

namespace ArenaGrad.Tests.Kernels;

public class ReductionsTests
{
    private static readonly int[] Sizes = [1, 2, 3, 5, 16, 17, 33];

    [Test]
    public void Sum_EveryLengthUpTo300_EqualsTheDocumentedCascadeOrderBitForBit()
    {
        var rng = new Random(10);
        for (int n = 0; n <= 300; n++)
        {
            float[] x = KernelAssert.Random(rng, n, -10, 10);
            double exact = 0;
            foreach (float v in x)
            {
                exact += v;
            }

            float sum = Reductions.Sum(x);
            KernelAssert.Same(sum, ArenaGrad.Tests.Reliability.CascadeReference.Sum(x), $"n={n}");
            KernelAssert.Close(sum, exact, 0, 1e-5 * n, $"n={n} vs double");
        }
    }

    [Test]
    public void Dot_EveryLengthUpTo100_MatchesDoubleReference()
    {
        var rng = new Random(11);
        for (int n = 0; n <= 100; n++)
        {
            float[] a = KernelAssert.Random(rng, n, -2, 2);
            float[] b = KernelAssert.Random(rng, n, -2, 2);
            double exact = 0;
            for (int i = 0; i < n; i++)
            {
                exact += (double)a[i] * b[i];
            }

            KernelAssert.Close(Reductions.Dot(a, b), exact, 0, 1e-5 * (n + 1), $"n={n}");
        }
    }

    [Test]
    public void Max_EveryLengthUpTo256_FindsMaxAnywhereAndPropagatesNaN()
    {
        var rng = new Random(12);
        for (int n = 1; n <= 256; n++)
        {
            float[] x = KernelAssert.Random(rng, n, -10, -1);
            int at = rng.Next(n);
            x[at] = 5f;
            Assert.That(Reductions.Max(x), Is.EqualTo(5f), $"n={n} max at {at}");
            x[rng.Next(n)] = float.NaN;
            Assert.That(float.IsNaN(Reductions.Max(x)), Is.True, $"n={n} NaN not propagated");
        }

        Assert.Throws<ArgumentException>(() => Reductions.Max([]));
    }

    [Test]
    public void SumAxisAndMaxAxis_RandomShapes_MatchNaiveLoops()
    {
        var rng = new Random(13);
        foreach (int outer in Sizes)
        {
            foreach (int dim in Sizes)
            {
                foreach (int inner in Sizes)
                {
                    float[] x = KernelAssert.Random(rng, outer * dim * inner, -4, 4);
                    var sum = new float[outer * inner];
                    var max = new float[outer * inner];
                    Reductions.SumAxis(x, outer, dim, inner, sum);
                    Reductions.MaxAxis(x, outer, dim, inner, max);
                    for (int o = 0; o < outer; o++)
                    {
                        for (int i = 0; i < inner; i++)
                        {
                            double s = 0;
                            float m = float.NegativeInfinity;
                            for (int d = 0; d < dim; d++)
                            {
                                float v = x[((o * dim) + d) * inner + i];
                                s += v;
                                m = Math.Max(m, v);
                            }

                            string at = $"[{outer},{dim},{inner}] o={o} i={i}";
                            KernelAssert.Close(sum[o * inner + i], s, 0, 1e-5 * dim, "sum " + at);
                            Assert.That(max[o * inner + i], Is.EqualTo(m), "max " + at);
                        }
                    }
                }
            }
        }
    }

    [Test]
    public void MaxAxisGrad_WithTies_SplitsGradientEvenly()
    {
        var rng = new Random(14);
        foreach (int outer in Sizes)
        {
            foreach (int dim in Sizes)
            {
                foreach (int inner in new[] { 1, 3, 17 })
                {
                    // Small integers so ties are common.
                    var x = new float[outer * dim * inner];
                    for (int i = 0; i < x.Length; i++)
                    {
                        x[i] = rng.Next(4);
                    }

                    var max = new float[outer * inner];
                    Reductions.MaxAxis(x, outer, dim, inner, max);
                    float[] g = KernelAssert.Random(rng, max.Length, -2, 2);
                    float[] dx = KernelAssert.Random(rng, x.Length, -1, 1);
                    float[] expected = (float[])dx.Clone();
                    for (int o = 0; o < outer; o++)
                    {
                        for (int i = 0; i < inner; i++)
                        {
                            int count = 0;
                            for (int d = 0; d < dim; d++)
                            {
                                count += x[((o * dim) + d) * inner + i] == max[o * inner + i] ? 1 : 0;
                            }

                            for (int d = 0; d < dim; d++)
                            {
                                int at = ((o * dim) + d) * inner + i;
                                if (x[at] == max[o * inner + i])
                                {
                                    expected[at] += g[o * inner + i] / count;
                                }
                            }
                        }
                    }

                    Reductions.MaxAxisGrad(x, max, g, outer, dim, inner, dx, amax: true);
                    Assert.That(dx, Is.EqualTo(expected).Within(1e-6), $"[{outer},{dim},{inner}]");
                }
            }
        }
    }

    [Test]
    public void BroadcastAxisAccumulate_RandomShapes_AddsDividedGradientToEveryPosition()
    {
        var rng = new Random(15);
        foreach (int outer in Sizes)
        {
            foreach (int dim in Sizes)
            {
                foreach (int inner in Sizes)
                {
                    float[] g = KernelAssert.Random(rng, outer * inner, -2, 2);
                    float[] dx = KernelAssert.Random(rng, outer * dim * inner, -2, 2);
                    float[] old = (float[])dx.Clone();
                    Reductions.BroadcastAxisAccumulate(g, outer, dim, inner, 4f, dx);
                    for (int j = 0; j < dx.Length; j++)
                    {
                        int o = j / (dim * inner);
                        int i = j % inner;
                        KernelAssert.Same(dx[j], old[j] + g[o * inner + i] / 4f, $"[{outer},{dim},{inner}] j={j}");
                    }
                }
            }
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Softmax_RandomShapes_MatchesDoubleReferenceAndWorksInPlace(bool log)
    {
        var rng = new Random(16);
        foreach (int outer in new[] { 1, 3 })
        {
            foreach (int dim in Sizes)
            {
                foreach (int inner in new[] { 1, 2, 17 })
                {
                    float[] x = KernelAssert.Random(rng, outer * dim * inner, -30, 30);
                    x[0] = 80f; // large values must not overflow (max is subtracted)
                    var y = new float[x.Length];
                    Reductions.Softmax(x, outer, dim, inner, y, log);
                    float[] inPlace = (float[])x.Clone();
                    Reductions.Softmax(inPlace, outer, dim, inner, inPlace, log);
                    for (int o = 0; o < outer; o++)
                    {
                        for (int i = 0; i < inner; i++)
                        {
                            double m = double.NegativeInfinity;
                            for (int d = 0; d < dim; d++)
                            {
                                m = Math.Max(m, x[((o * dim) + d) * inner + i]);
                            }

                            double s = 0;
                            for (int d = 0; d < dim; d++)
                            {
                                s += Math.Exp(x[((o * dim) + d) * inner + i] - m);
                            }

                            for (int d = 0; d < dim; d++)
                            {
                                int at = ((o * dim) + d) * inner + i;
                                double expected = log ? x[at] - m - Math.Log(s) : Math.Exp(x[at] - m) / s;
                                string where = $"log={log} [{outer},{dim},{inner}] at={at}";
                                KernelAssert.Close(y[at], expected, 2e-6, 1e-6, where);
                                KernelAssert.Same(inPlace[at], y[at], "in place " + where);
                            }
                        }
                    }
                }
            }
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void SoftmaxGradAccumulate_RandomShapes_MatchesDoubleReference(bool log)
    {
        var rng = new Random(17);
        foreach (int outer in new[] { 1, 3 })
        {
            foreach (int dim in Sizes)
            {
                foreach (int inner in new[] { 1, 2, 17 })
                {
                    float[] x = KernelAssert.Random(rng, outer * dim * inner, -3, 3);
                    var y = new float[x.Length];
                    Reductions.Softmax(x, outer, dim, inner, y, log);
                    float[] g = KernelAssert.Random(rng, x.Length, -1, 1);
                    float[] dx = KernelAssert.Random(rng, x.Length, -1, 1);
                    float[] old = (float[])dx.Clone();
                    Reductions.SoftmaxGradAccumulate(y, g, outer, dim, inner, dx, log);
                    for (int o = 0; o < outer; o++)
                    {
                        for (int i = 0; i < inner; i++)
                        {
                            double s = 0;
                            for (int d = 0; d < dim; d++)
                            {
                                int at = ((o * dim) + d) * inner + i;
                                s += log ? g[at] : (double)g[at] * y[at];
                            }

                            for (int d = 0; d < dim; d++)
                            {
                                int at = ((o * dim) + d) * inner + i;
                                double expected = old[at] + (log ? g[at] - Math.Exp(y[at]) * s : y[at] * (g[at] - s));
                                KernelAssert.Close(dx[at], expected, 1e-6, 2e-6, $"log={log} [{outer},{dim},{inner}] at={at}");
                            }
                        }
                    }
                }
            }
        }
    }

    [Test]
    public void SumToShape_RandomBroadcastPatterns_MatchNaiveScatterAdd()
    {
        var rng = new Random(18);
        int[] dims = [1, 2, 3, 5, 17, 33];
        for (int trial = 0; trial < 400; trial++)
        {
            int rank = rng.Next(0, 5);
            var gShape = new int[rank];
            var dstShape = new int[rank];
            for (int k = 0; k < rank; k++)
            {
                gShape[k] = dims[rng.Next(dims.Length)];
                dstShape[k] = rng.Next(2) == 0 ? 1 : gShape[k];
            }

            int[] strides = KernelAssert.Contiguous(dstShape);
            for (int k = 0; k < rank; k++)
            {
                strides[k] = dstShape[k] == 1 ? 0 : strides[k];
            }

            // Sometimes a transposed dst (last stride > 1) to exercise the strided row path.
            if (rank >= 2 && trial % 5 == 0)
            {
                (gShape[^1], gShape[^2]) = (gShape[^2], gShape[^1]);
                (dstShape[^1], dstShape[^2]) = (dstShape[^2], dstShape[^1]);
                (strides[^1], strides[^2]) = (strides[^2], strides[^1]);
            }

            float[] g = KernelAssert.Random(rng, KernelAssert.Count(gShape), -2, 2);
            float[] dst = KernelAssert.Random(rng, KernelAssert.Count(dstShape), -2, 2);
            var expected = new double[dst.Length];
            for (int j = 0; j < dst.Length; j++)
            {
                expected[j] = dst[j];
            }

            for (int i = 0; i < g.Length; i++)
            {
                expected[KernelAssert.Offset(i, gShape, strides)] += 0.5 * g[i];
            }

            Reductions.SumToShape(g, gShape, dst, strides, 0.5f);
            for (int j = 0; j < dst.Length; j++)
            {
                KernelAssert.Close(dst[j], expected[j], 1e-6, 1e-5 * (1 + g.Length / dst.Length), $"trial {trial} g [{string.Join(",", gShape)}] strides [{string.Join(",", strides)}] j={j}");
            }
        }
    }
}
