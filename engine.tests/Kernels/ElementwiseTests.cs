using System;
using System.Collections.Generic;
using ArenaGrad.Kernels;
using NUnit.Framework;

namespace ArenaGrad.Tests.Kernels;

public class ElementwiseTests
{
    private delegate void UnaryKernel(ReadOnlySpan<float> x, Span<float> y);

    private delegate void GradKernel(ReadOnlySpan<float> g, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst);

    private sealed record UnaryCase(UnaryKernel Run, Func<double, double> Reference, double Rel, float Lo, float Hi);

    private sealed record GradCase(GradKernel Run, Func<double, double, double, double> Reference, Func<double, double> Forward, float Lo, float Hi);

    private const double Tiny = 1e-37;

    private static readonly Dictionary<string, UnaryCase> UnaryCases = new()
    {
        ["Negate"] = new((x, y) => Elementwise.Unary(new NegateOperator(), x, y), v => -v, 0, -5, 5),
        ["Exp"] = new((x, y) => Elementwise.Unary(new ExpOperator(), x, y), Math.Exp, 1e-6, -90, 90),
        ["Log"] = new((x, y) => Elementwise.Unary(new LogOperator(), x, y), Math.Log, 1e-6, -1, 100),
        ["Tanh"] = new((x, y) => Elementwise.Unary(new TanhOperator(), x, y), Math.Tanh, 1e-6, -4, 4),
        ["Sigmoid"] = new((x, y) => Elementwise.Unary(new SigmoidOperator(), x, y), v => 1 / (1 + Math.Exp(-v)), 1e-6, -30, 30),
        ["Relu"] = new((x, y) => Elementwise.Unary(new ReluOperator(), x, y), v => double.IsNaN(v) ? v : Math.Max(v, 0), 0, -5, 5),
        ["Sqrt"] = new((x, y) => Elementwise.Unary(new SqrtOperator(), x, y), Math.Sqrt, 1e-7, -1, 100),
        ["Abs"] = new((x, y) => Elementwise.Unary(new AbsOperator(), x, y), Math.Abs, 0, -5, 5),
        ["Square"] = new((x, y) => Elementwise.Unary(new SquareOperator(), x, y), v => v * v, 1e-7, -5, 5),
        ["LeakyRelu"] = new((x, y) => Elementwise.Unary(new LeakyReluOperator(0.1f), x, y), v => v > 0 ? v : v * 0.1f, 1e-7, -5, 5),
        ["Clamp"] = new((x, y) => Elementwise.Unary(new ClampOperator(-0.5f, 0.7f), x, y), v => double.IsNaN(v) ? v : Math.Min(Math.Max(v, -0.5f), 0.7f), 0, -2, 2),
        ["AddScalar"] = new((x, y) => Elementwise.Unary(new AddScalarOperator(1.5f), x, y), v => v + 1.5, 1e-7, -5, 5),
        ["MultiplyScalar"] = new((x, y) => Elementwise.Unary(new MultiplyScalarOperator(-2.5f), x, y), v => v * -2.5, 1e-7, -5, 5),
        ["ReverseSubtractScalar"] = new((x, y) => Elementwise.Unary(new ReverseSubtractScalarOperator(0.75f), x, y), v => 0.75 - v, 1e-7, -5, 5),
        ["DivideScalar"] = new((x, y) => Elementwise.Unary(new DivideScalarOperator(3f), x, y), v => v / 3, 1e-7, -5, 5),
        ["ReverseDivideScalar"] = new((x, y) => Elementwise.Unary(new ReverseDivideScalarOperator(2f), x, y), v => 2 / v, 1e-7, -5, 5),
        ["Pow2"] = Pow(2f),
        ["Pow1"] = Pow(1f),
        ["Pow0"] = Pow(0f),
        ["PowHalf"] = Pow(0.5f),
        ["PowMinus1"] = Pow(-1f),
        ["Pow3"] = Pow(3f),
        ["PowMinus2"] = Pow(-2f),
        ["PowMinus3"] = Pow(-3f),
        ["Pow4"] = Pow(4f),
        ["Pow2Point5"] = Pow(2.5f),
        ["PowMinusHalf"] = Pow(-0.5f),
    };

    private static readonly Dictionary<string, GradCase> GradCases = new()
    {
        ["Exp"] = new((g, x, y, d) => Elementwise.AccumulateUnaryGrad(new ExpGradOperator(), g, x, y, d), (g, x, y) => g * y, Math.Exp, -5, 5),
        ["Log"] = new((g, x, y, d) => Elementwise.AccumulateUnaryGrad(new LogGradOperator(), g, x, y, d), (g, x, y) => g / x, Math.Log, 0.1f, 5),
        ["Tanh"] = new((g, x, y, d) => Elementwise.AccumulateUnaryGrad(new TanhGradOperator(), g, x, y, d), (g, x, y) => g * (1 - y * y), Math.Tanh, -2, 2),
        ["Sigmoid"] = new((g, x, y, d) => Elementwise.AccumulateUnaryGrad(new SigmoidGradOperator(), g, x, y, d), (g, x, y) => g * y * (1 - y), v => 1 / (1 + Math.Exp(-v)), -5, 5),
        ["Relu"] = new((g, x, y, d) => Elementwise.AccumulateUnaryGrad(new ReluGradOperator(), g, x, y, d), (g, x, y) => y > 0 ? g : 0, v => Math.Max(v, 0), -2, 2),
        ["Sqrt"] = new((g, x, y, d) => Elementwise.AccumulateUnaryGrad(new SqrtGradOperator(), g, x, y, d), (g, x, y) => g / (2 * y), Math.Sqrt, 0.1f, 5),
        ["Abs"] = new((g, x, y, d) => Elementwise.AccumulateUnaryGrad(new AbsGradOperator(), g, x, y, d), (g, x, y) => g * Math.Sign(x), Math.Abs, -2, 2),
        ["Square"] = new((g, x, y, d) => Elementwise.AccumulateUnaryGrad(new SquareGradOperator(), g, x, y, d), (g, x, y) => g * 2 * x, v => v * v, -2, 2),
        ["Pow3"] = new((g, x, y, d) => Elementwise.AccumulateUnaryGrad(new PowGradOperator(3f), g, x, y, d), (g, x, y) => g * 3 * x * x, v => v * v * v, -2, 2),
        ["Pow0"] = new((g, x, y, d) => Elementwise.AccumulateUnaryGrad(new PowGradOperator(0f), g, x, y, d), (g, x, y) => 0, v => 1, -2, 2),
        ["Pow1Point5"] = new((g, x, y, d) => Elementwise.AccumulateUnaryGrad(new PowGradOperator(1.5f), g, x, y, d), (g, x, y) => g * 1.5 * Math.Sqrt(x), v => Math.Pow(v, 1.5), 0.1f, 4),
        ["PowMinus1"] = new((g, x, y, d) => Elementwise.AccumulateUnaryGrad(new PowGradOperator(-1f), g, x, y, d), (g, x, y) => -g / (x * x), v => 1 / v, 0.2f, 4),
        ["LeakyRelu"] = new((g, x, y, d) => Elementwise.AccumulateUnaryGrad(new LeakyReluGradOperator(0.2f), g, x, y, d), (g, x, y) => x > 0 ? g : g * 0.2f, v => v > 0 ? v : v * 0.2f, -2, 2),
        ["Clamp"] = new((g, x, y, d) => Elementwise.AccumulateUnaryGrad(new ClampGradOperator(-0.5f, 0.5f), g, x, y, d), (g, x, y) => x >= -0.5 && x <= 0.5 ? g : 0, v => Math.Clamp(v, -0.5, 0.5), -1, 1),
        ["Negate"] = new((g, x, y, d) => Elementwise.AccumulateUnaryGrad(new NegateGradOperator(), g, x, y, d), (g, x, y) => -g, v => -v, -2, 2),
    };

    private static IEnumerable<string> UnaryNames => UnaryCases.Keys;

    private static IEnumerable<string> GradNames => GradCases.Keys;

    private static UnaryCase Pow(float e) => new(
        (x, y) => Elementwise.Unary(new PowOperator(e), x, y),
        v => e switch
        {
            0f => 1,
            1f => v,
            2f => v * v,
            0.5f => Math.Sqrt(v),
            -1f => 1 / v,
            -0.5f => 1 / Math.Sqrt(v), // PyTorch's rsqrt special case: -0 gives -inf (Math.Pow gives +inf)
            _ => Math.Pow(v, e),
        },
        2e-6,
        -3,
        3);

    [TestCaseSource(nameof(UnaryNames))]
    public void Unary_EveryOpWithSpecialValues_MatchesDoubleReference(string name)
    {
        UnaryCase c = UnaryCases[name];
        var rng = new Random(1);
        foreach (int n in new[] { 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100 })
        {
            float[] x = KernelAssert.Random(rng, n, c.Lo, c.Hi);
            // Plant the special values at varying positions so every lane / tail position sees them.
            for (int i = 0; i < n; i += 2)
            {
                x[i] = KernelAssert.Specials[(i / 2 + n) % KernelAssert.Specials.Length];
            }

            var y = new float[n];
            c.Run(x, y);
            for (int i = 0; i < n; i++)
            {
                KernelAssert.Close(y[i], c.Reference(x[i]), Tolerance(name, c, x[i]), Tiny, $"{name} n={n} x[{i}]={x[i]:R}");
            }
        }
    }

    [TestCase("Exp")]
    [TestCase("Tanh")]
    [TestCase("Sigmoid")]
    [TestCase("Relu")]
    [TestCase("Pow3")]
    public void Unary_EveryLengthUpTo256_MatchesReferenceOutOfPlaceAndInPlace(string name)
    {
        UnaryCase c = UnaryCases[name];
        var rng = new Random(2);
        for (int n = 0; n <= 256; n++)
        {
            float[] x = KernelAssert.Random(rng, n, c.Lo, c.Hi);
            var y = new float[n + 1];
            y[n] = 42f; // sentinel: must not be written past the end
            c.Run(x, y.AsSpan(0, n));
            float[] inPlace = (float[])x.Clone();
            c.Run(inPlace, inPlace);
            Assert.That(y[n], Is.EqualTo(42f), $"wrote past the end, n={n}");
            for (int i = 0; i < n; i++)
            {
                double expected = c.Reference(x[i]);
                KernelAssert.Close(y[i], expected, Tolerance(name, c, x[i]), Tiny, $"{name} n={n} i={i}");
                KernelAssert.Same(inPlace[i], y[i], $"{name} in place n={n} i={i}");
            }
        }
    }

    [Test]
    public void Tanh_DenseSweepAroundSeriesSwitchAndSaturation_MatchesDoubleReference()
    {
        var x = new float[4096];
        for (int i = 0; i < x.Length; i++)
        {
            // [-1.5, 1.5] plus a dense band around the series/exp switch at 0.0625 and the tail to 25.
            x[i] = i < 2048 ? -1.5f + 3f * i / 2048 : i < 3072 ? 0.06f + 0.005f * (i - 2048) / 1024 : 25f * (i - 3072) / 1024;
        }

        var y = new float[x.Length];
        Elementwise.Unary(new TanhOperator(), x, y);
        for (int i = 0; i < x.Length; i++)
        {
            KernelAssert.Close(y[i], Math.Tanh(x[i]), 1e-6, Tiny, $"tanh({x[i]:R})");
        }
    }

    [Test]
    public void Sigmoid_HugeMagnitudes_SaturateWithoutNaN()
    {
        float[] x = [-1e30f, -200f, -89f, 89f, 200f, 1e30f, float.NegativeInfinity, float.PositiveInfinity, -1e30f, -200f, -89f, 89f, 200f, 1e30f, 0f, 1f, -1f];
        var y = new float[x.Length];
        Elementwise.Unary(new SigmoidOperator(), x, y);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.That(float.IsNaN(y[i]), Is.False, $"sigmoid({x[i]}) is NaN");
            Assert.That(y[i], Is.InRange(0f, 1f));
        }
    }

    [Test]
    public void Pow_ZeroBaseAndSigns_FollowTorchConventions()
    {
        float[] x = [0f, -0f, -2f, 2f, 0f, -0f, -2f, 2f, 0f, -0f, -2f, 2f, 0f, -0f, -2f, 2f, -8f];
        var y = new float[x.Length];
        Elementwise.Unary(new PowOperator(3f), x, y);
        Assert.That(y[0], Is.EqualTo(0f));
        Assert.That(y[2], Is.EqualTo(-8f).Within(1e-5));
        Assert.That(y[16], Is.EqualTo(-512f).Within(1e-3));
        Elementwise.Unary(new PowOperator(-2f), x, y);
        Assert.That(y[0], Is.EqualTo(float.PositiveInfinity));
        Assert.That(y[2], Is.EqualTo(0.25f).Within(1e-7));
        Elementwise.Unary(new PowOperator(1.5f), x, y);
        Assert.That(float.IsNaN(y[2]), Is.True, "negative base, fractional exponent");
        Assert.That(y[3], Is.EqualTo(Math.Pow(2, 1.5)).Within(1e-5));
        Assert.That(y[1], Is.EqualTo(0f));
    }

    [TestCaseSource(nameof(GradNames))]
    public void AccumulateUnaryGrad_EveryOp_AddsDoubleReferenceOnceOverAllLengths(string name)
    {
        GradCase c = GradCases[name];
        var rng = new Random(3);
        for (int n = 0; n <= 70; n++)
        {
            float[] g = KernelAssert.Random(rng, n, -2, 2);
            float[] x = KernelAssert.Random(rng, n, c.Lo, c.Hi);
            var y = new float[n];
            for (int i = 0; i < n; i++)
            {
                y[i] = (float)c.Forward(x[i]);
            }

            float[] dst = KernelAssert.Random(rng, n, -1, 1);
            float[] old = (float[])dst.Clone();
            c.Run(g, x, y, dst);
            for (int i = 0; i < n; i++)
            {
                double expected = old[i] + c.Reference(g[i], x[i], y[i]);
                KernelAssert.Close(dst[i], expected, 2e-6, 2e-6, $"{name} grad n={n} i={i} x={x[i]:R}");
            }
        }
    }

    [Test]
    public void UnaryGrad_OverwritesEveryElementOverAllLengths_SameAsAccumulatingIntoZeros()
    {
        var rng = new Random(5);
        var op = new TanhGradOperator();
        for (int n = 0; n <= 70; n++)
        {
            float[] g = KernelAssert.Random(rng, n, -2, 2);
            float[] x = KernelAssert.Random(rng, n, -2, 2);
            float[] y = x.Select(v => MathF.Tanh(v)).ToArray();
            float[] written = Enumerable.Repeat(float.NaN, n).ToArray(); // any stale value must be overwritten
            var accumulated = new float[n];
            Elementwise.UnaryGrad(op, g, x, y, written);
            Elementwise.AccumulateUnaryGrad(op, g, x, y, accumulated);
            Assert.That(written, Is.EqualTo(accumulated), $"n={n}");
        }
    }

    [Test]
    public void Binary_EveryLengthUpTo256_MatchesScalarOpsIncludingInPlace()
    {
        var rng = new Random(4);
        for (int n = 0; n <= 256; n++)
        {
            float[] a = KernelAssert.Random(rng, n, -3, 3);
            float[] b = KernelAssert.Random(rng, n, 0.5f, 3);
            var sum = new float[n];
            var quot = new float[n];
            Elementwise.Binary(new AddOperator(), a, b, sum);
            Elementwise.Binary(new DivideOperator(), a, b, quot);
            float[] diffInPlace = (float[])a.Clone();
            Elementwise.Binary(new SubtractOperator(), diffInPlace, b, diffInPlace);
            float[] prodInPlace = (float[])b.Clone();
            Elementwise.Binary(new MultiplyOperator(), a, prodInPlace, prodInPlace);
            for (int i = 0; i < n; i++)
            {
                KernelAssert.Same(sum[i], a[i] + b[i], $"add n={n} i={i}");
                KernelAssert.Same(quot[i], a[i] / b[i], $"div n={n} i={i}");
                KernelAssert.Same(diffInPlace[i], a[i] - b[i], $"sub in place n={n} i={i}");
                KernelAssert.Same(prodInPlace[i], a[i] * b[i], $"mul in place n={n} i={i}");
            }
        }
    }

    [Test]
    public void BinaryScalarLeftAndRight_EveryLengthUpTo256_PutTheScalarOnTheRightSide()
    {
        var rng = new Random(5);
        for (int n = 0; n <= 256; n++)
        {
            float[] v = KernelAssert.Random(rng, n, 0.5f, 3);
            var right = new float[n];
            var left = new float[n];
            Elementwise.BinaryScalarRight(new SubtractOperator(), v, 1.25f, right);
            Elementwise.BinaryScalarLeft(new DivideOperator(), 1.25f, v, left);
            for (int i = 0; i < n; i++)
            {
                KernelAssert.Same(right[i], v[i] - 1.25f, $"v - s n={n} i={i}");
                KernelAssert.Same(left[i], 1.25f / v[i], $"s / v n={n} i={i}");
            }
        }
    }

    [Test]
    public void Unary_LengthMismatch_ThrowsWithExpectedAndActual()
    {
        var ex = Assert.Throws<ArgumentException>(() => Elementwise.Unary(new ExpOperator(), new float[5], new float[4]));
        Assert.That(ex!.Message, Does.Contain("5").And.Contain("4"));
    }

    [Test]
    public void Accumulate_EveryLengthUpTo256_AddsEachElementExactlyOnce()
    {
        var rng = new Random(6);
        for (int n = 0; n <= 256; n++)
        {
            float[] g = KernelAssert.Random(rng, n, -3, 3);
            float[] a = KernelAssert.Random(rng, n, -3, 3);
            float[] dst = KernelAssert.Random(rng, n + 1, -3, 3);
            float[] old = (float[])dst.Clone();
            Elementwise.Accumulate(g, dst.AsSpan(0, n));
            for (int i = 0; i < n; i++)
            {
                KernelAssert.Same(dst[i], old[i] + g[i], $"accumulate n={n} i={i}");
            }

            Assert.That(dst[n], Is.EqualTo(old[n]), "element past the end changed");

            Array.Copy(old, dst, n + 1);
            Elementwise.AccumulateScaled(g, -0.75f, dst.AsSpan(0, n));
            for (int i = 0; i < n; i++)
            {
                KernelAssert.Same(dst[i], old[i] + (-0.75f * g[i]), $"scaled n={n} i={i}");
            }

            Array.Copy(old, dst, n + 1);
            Elementwise.AccumulateBinary(new MultiplyOperator(), g, a, dst.AsSpan(0, n));
            for (int i = 0; i < n; i++)
            {
                KernelAssert.Same(dst[i], old[i] + g[i] * a[i], $"binary n={n} i={i}");
            }
        }
    }

    [Test]
    public void Accumulate_NegativeZeroInDstAndZeroContribution_KeepsSign()
    {
        for (int n = 1; n <= 40; n++)
        {
            var dst = new float[n];
            Array.Fill(dst, -0f);
            var g = new float[n];
            Array.Fill(g, -0f);
            Elementwise.Accumulate(g, dst);
            for (int i = 0; i < n; i++)
            {
                KernelAssert.Same(dst[i], -0f, $"n={n} i={i}");
            }
        }
    }

    [Test]
    public void BinaryBroadcast_RandomShapesAndBroadcastPatterns_MatchNaiveIndexing()
    {
        var rng = new Random(7);
        int[] dims = [1, 2, 3, 5, 17, 33];
        for (int trial = 0; trial < 400; trial++)
        {
            int rank = rng.Next(0, 5);
            var outShape = new int[rank];
            var aShape = new int[rank];
            var bShape = new int[rank];
            for (int k = 0; k < rank; k++)
            {
                outShape[k] = dims[rng.Next(dims.Length)];
                aShape[k] = rng.Next(3) == 0 ? 1 : outShape[k];
                bShape[k] = rng.Next(3) == 0 ? 1 : outShape[k];
            }

            int[] aStrides = BroadcastStrides(aShape);
            int[] bStrides = BroadcastStrides(bShape);
            float[] a = KernelAssert.Random(rng, KernelAssert.Count(aShape), -2, 2);
            float[] b = KernelAssert.Random(rng, KernelAssert.Count(bShape), 0.5f, 2);
            var y = new float[KernelAssert.Count(outShape)];
            Elementwise.BinaryBroadcast(new DivideOperator(), a, aStrides, b, bStrides, y, outShape);
            for (int i = 0; i < y.Length; i++)
            {
                float expected = a[KernelAssert.Offset(i, outShape, aStrides)] / b[KernelAssert.Offset(i, outShape, bStrides)];
                KernelAssert.Same(y[i], expected, $"trial {trial} out [{string.Join(",", outShape)}] a [{string.Join(",", aShape)}] b [{string.Join(",", bShape)}] i={i}");
            }
        }
    }

    [Test]
    public void BinaryBroadcast_LastStrideTwo_Throws()
    {
        Assert.Throws<ArgumentException>(() =>
            Elementwise.BinaryBroadcast(new AddOperator(), new float[6], [2], new float[3], [1], new float[3], [3]));
    }

    [Test]
    public void LayoutCopy_RandomPermutations_MatchNaiveGatherAndAccumulate()
    {
        var rng = new Random(8);
        int[] dims = [1, 2, 3, 4, 7, 17, 20];
        for (int trial = 0; trial < 200; trial++)
        {
            int rank = rng.Next(0, 5);
            var srcShape = new int[rank];
            for (int k = 0; k < rank; k++)
            {
                srcShape[k] = dims[rng.Next(dims.Length)];
            }

            int[] srcStrides = KernelAssert.Contiguous(srcShape);
            int[] perm = new int[rank];
            for (int k = 0; k < rank; k++)
            {
                perm[k] = k;
            }

            rng.Shuffle(perm);
            var shape = new int[rank];
            var strides = new int[rank];
            for (int k = 0; k < rank; k++)
            {
                shape[k] = srcShape[perm[k]];
                strides[k] = srcStrides[perm[k]];
            }

            float[] src = KernelAssert.Random(rng, KernelAssert.Count(srcShape), -2, 2);
            var dst = new float[src.Length];
            Layout.Copy(src, strides, dst, shape, accumulate: false);
            float[] acc = KernelAssert.Random(rng, src.Length, -2, 2);
            float[] old = (float[])acc.Clone();
            Layout.Copy(src, strides, acc, shape, accumulate: true);
            for (int i = 0; i < dst.Length; i++)
            {
                float v = src[KernelAssert.Offset(i, shape, strides)];
                KernelAssert.Same(dst[i], v, $"trial {trial} copy i={i}");
                KernelAssert.Same(acc[i], old[i] + v, $"trial {trial} accumulate i={i}");
            }
        }
    }

    [Test]
    public void LayoutCopy_SliceOfWiderRows_GathersTheSlice()
    {
        // A [3, 5] view with row stride 7 into a [3, 7] buffer: what concat's backward reads.
        float[] src = new float[21];
        for (int i = 0; i < src.Length; i++)
        {
            src[i] = i;
        }

        var dst = new float[15];
        Layout.Copy(src.AsSpan(2), [7, 1], dst, [3, 5], accumulate: false);
        Assert.That(dst, Is.EqualTo(new float[] { 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20 }));
    }

    private static int[] BroadcastStrides(int[] shape)
    {
        int[] s = KernelAssert.Contiguous(shape);
        for (int k = 0; k < shape.Length; k++)
        {
            if (shape[k] == 1)
            {
                s[k] = 0;
            }
        }

        return s;
    }

    private static double Tolerance(string name, UnaryCase c, float x)
    {
        if (!name.StartsWith("Pow", StringComparison.Ordinal))
        {
            return c.Rel;
        }

        // exp(e*log|x|) loses about |e*log|x|| ulp-units of relative accuracy.
        double spread = Math.Abs(Math.Log(Math.Abs((double)x)) * 4);
        return c.Rel * Math.Max(1, double.IsFinite(spread) ? spread : 1);
    }
}
