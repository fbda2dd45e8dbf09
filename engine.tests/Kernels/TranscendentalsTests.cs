using System;
using System.Runtime.Intrinsics;
using ArenaGrad.Kernels;
using NUnit.Framework;

namespace ArenaGrad.Tests.Kernels;

/// <summary>The engine's own exp, log, tanh and sigmoid: the ulp bounds stated in their docs, over the whole float
/// range (every 251st bit pattern, both signs, every binade, plus the specials and thresholds), and the same bits
/// on the scalar path and every vector width. CI runs this under each instruction-set setting, so the kernels
/// (Elementwise.Unary picks the widest accelerated width) are held to the scalar routine at every width.</summary>
public sealed class TranscendentalsTests
{
    private delegate float Scalar(float x);

    private sealed record Function(
        Scalar Run,
        Func<Vector128<float>, Vector128<float>> Run128,
        Func<Vector256<float>, Vector256<float>> Run256,
        Func<Vector512<float>, Vector512<float>> Run512,
        Action<float[], float[]> Kernel,
        Func<double, double> Reference,
        double MaxUlp);

    // The bounds stated in Transcendentals' docs (largest errors over all 2^32 inputs: exp 0.990, log 0.852,
    // tanh 2.475, sigmoid 2.402 ulp).
    private static Function Of(string name) => name switch
    {
        "Exp" => new(Transcendentals.Exp, Transcendentals.Exp, Transcendentals.Exp, Transcendentals.Exp,
            (x, y) => Elementwise.Unary(new ExpOperator(), x, y), Math.Exp, 1.0),
        "Log" => new(Transcendentals.Log, Transcendentals.Log, Transcendentals.Log, Transcendentals.Log,
            (x, y) => Elementwise.Unary(new LogOperator(), x, y), Math.Log, 1.0),
        "Tanh" => new(Transcendentals.Tanh, Transcendentals.Tanh, Transcendentals.Tanh, Transcendentals.Tanh,
            (x, y) => Elementwise.Unary(new TanhOperator(), x, y), Math.Tanh, 3.0),
        "Sigmoid" => new(Transcendentals.Sigmoid, Transcendentals.Sigmoid, Transcendentals.Sigmoid, Transcendentals.Sigmoid,
            (x, y) => Elementwise.Unary(new SigmoidOperator(), x, y), v => 1 / (1 + Math.Exp(-v)), 2.5),
        _ => throw new ArgumentException(name),
    };

    private static readonly string[] Names = ["Exp", "Log", "Tanh", "Sigmoid"];

    /// <summary>|y - reference| in units of the float spacing at the reference (2^-149 below the normal range);
    /// 0 when both are the same infinity or both NaN, infinite when only one is NaN or infinite.</summary>
    private static double UlpError(float y, double reference)
    {
        if (double.IsNaN(reference) || float.IsNaN(y))
        {
            return double.IsNaN(reference) && float.IsNaN(y) ? 0 : double.PositiveInfinity;
        }

        float rounded = (float)reference;
        if (float.IsInfinity(rounded) || float.IsInfinity(y))
        {
            return y == rounded ? 0 : double.PositiveInfinity;
        }

        int exponentBits = BitConverter.SingleToInt32Bits(rounded) & 0x7F800000;
        double ulp = exponentBits == 0 ? Math.ScaleB(1, -149) : Math.ScaleB(1, (exponentBits >> 23) - 127 - 23);
        return Math.Abs(y - reference) / ulp;
    }

    /// <summary>Every 251st bit pattern (251 is prime, so the low mantissa bits take every value too), both signs:
    /// about 17 million inputs over every binade, subnormals, infinities and NaNs.</summary>
    private static void ForEachSampleBlock(Action<float[], int> block)
    {
        const int stride = 251;
        var x = new float[1 << 16];
        int n = 0;
        for (long bits = 0; bits <= uint.MaxValue; bits += stride)
        {
            x[n++] = BitConverter.UInt32BitsToSingle((uint)bits);
            if (n == x.Length)
            {
                block(x, n);
                n = 0;
            }
        }

        block(x, n);
    }

    [TestCaseSource(nameof(Names))]
    public void Kernel_OverTheWholeFloatRange_StaysWithinStatedUlpOfDoubleReference(string name)
    {
        Function f = Of(name);
        var y = new float[1 << 16];
        double worst = 0;
        float worstAt = 0;
        ForEachSampleBlock((x, n) =>
        {
            f.Kernel(x, y);
            for (int i = 0; i < n; i++)
            {
                double e = UlpError(y[i], f.Reference(x[i]));
                if (e > worst)
                {
                    worst = e;
                    worstAt = x[i];
                }
            }
        });

        TestContext.Out.WriteLine($"{name}: worst {worst:F3} ulp at {worstAt:R}");
        Assert.That(worst, Is.LessThanOrEqualTo(f.MaxUlp), $"{name}({worstAt:R}) = {f.Run(worstAt):R}, reference {f.Reference(worstAt):R}");
    }

    [TestCaseSource(nameof(Names))]
    public void Kernel_AtEveryAcceleratedWidth_GivesTheScalarRoutinesBits(string name)
    {
        Function f = Of(name);
        var y = new float[1 << 16];
        ForEachSampleBlock((x, n) =>
        {
            f.Kernel(x, y);
            for (int i = 0; i < n; i++)
            {
                float scalar = f.Run(x[i]);
                if (BitConverter.SingleToInt32Bits(y[i]) != BitConverter.SingleToInt32Bits(scalar) && !(float.IsNaN(y[i]) && float.IsNaN(scalar)))
                {
                    Assert.Fail($"{name}({x[i]:R}): kernel {y[i]:R}, scalar routine {scalar:R}");
                }
            }
        });
    }

    [TestCaseSource(nameof(Names))]
    public void EachVectorWidth_CalledDirectly_GivesTheScalarRoutinesBits(string name)
    {
        // Widths the CPU lacks run in software here: still one IEEE operation per lane, so still the same bits.
        Function f = Of(name);
        var rng = new Random(6);
        var x = new float[1 << 14];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = i % 2 == 0 ? BitConverter.Int32BitsToSingle(rng.Next() * (rng.Next(2) == 0 ? 1 : -1)) : (float)(rng.NextDouble() * 60 - 30);
        }

        x[0] = float.NaN;
        x[1] = -0f;
        x[2] = float.NegativeInfinity;
        x[3] = float.Epsilon;
        for (int i = 0; i < x.Length; i += 16)
        {
            Vector512<float> v512 = f.Run512(Vector512.Create(x.AsSpan(i, 16)));
            Vector256<float> lo256 = f.Run256(Vector256.Create(x.AsSpan(i, 8))), hi256 = f.Run256(Vector256.Create(x.AsSpan(i + 8, 8)));
            for (int j = 0; j < 16; j++)
            {
                float scalar = f.Run(x[i + j]);
                string at = $"{name}({x[i + j]:R})";
                KernelAssert.Same(v512.GetElement(j), scalar, at + " Vector512");
                KernelAssert.Same(j < 8 ? lo256.GetElement(j) : hi256.GetElement(j - 8), scalar, at + " Vector256");
                KernelAssert.Same(f.Run128(Vector128.Create(x.AsSpan(i + j / 4 * 4, 4))).GetElement(j % 4), scalar, at + " Vector128");
            }
        }
    }

    [Test]
    public void Exp_SpecialValuesAndThresholds_AreExact()
    {
        Expect(Transcendentals.Exp, 0f, 1f);
        Expect(Transcendentals.Exp, -0f, 1f);
        Expect(Transcendentals.Exp, float.PositiveInfinity, float.PositiveInfinity);
        Expect(Transcendentals.Exp, float.NegativeInfinity, 0f);
        Expect(Transcendentals.Exp, float.MaxValue, float.PositiveInfinity);
        Expect(Transcendentals.Exp, -float.MaxValue, 0f);
        Expect(Transcendentals.Exp, 88.72283935546875f, float.PositiveInfinity); // the first float whose exp overflows
        Assert.That(float.IsFinite(Transcendentals.Exp(88.72283172607422f)), Is.True, "the last float whose exp is finite");
        Expect(Transcendentals.Exp, -103.97208404541016f, 0f); // below ln 2^-150: rounds to +0
        Assert.That(Transcendentals.Exp(-103.2789f), Is.EqualTo(float.Epsilon), "the smallest subnormal");
        Assert.That(float.IsNaN(Transcendentals.Exp(float.NaN)), Is.True);
    }

    [Test]
    public void Log_SpecialValues_FollowIeee()
    {
        Expect(Transcendentals.Log, 1f, 0f);
        Expect(Transcendentals.Log, 0f, float.NegativeInfinity);
        Expect(Transcendentals.Log, -0f, float.NegativeInfinity);
        Expect(Transcendentals.Log, float.PositiveInfinity, float.PositiveInfinity);
        foreach (float x in (float[])[-1f, -float.Epsilon, float.NegativeInfinity, float.NaN, -float.MaxValue])
        {
            Assert.That(float.IsNaN(Transcendentals.Log(x)), Is.True, $"log({x:R})");
        }

        Assert.That(UlpError(Transcendentals.Log(float.Epsilon), Math.Log(float.Epsilon)), Is.LessThanOrEqualTo(1.0), "smallest subnormal");
        Assert.That(UlpError(Transcendentals.Log(float.MaxValue), Math.Log(float.MaxValue)), Is.LessThanOrEqualTo(1.0), "largest float");
    }

    [TestCase("Tanh")]
    [TestCase("Sigmoid")]
    public void StagedKernel_EveryLengthAcrossStageBlocks_InPlaceAndOutOfPlace_GivesTheScalarRoutinesBits(string name)
    {
        // Elementwise.Unary runs tanh and sigmoid one vector at a time below 512 floats and from there on in stages over
        // blocks of 256 floats at every width (Transcendentals.Staged): lengths 0..1100 cover both, one to three block
        // boundaries, partial last blocks and the overlapping last vector.
        Function f = Of(name);
        var rng = new Random(7);
        for (int length = 0; length <= 1100; length++)
        {
            var x = new float[length];
            for (int i = 0; i < length; i++)
            {
                x[i] = i % 5 == 0 ? BitConverter.Int32BitsToSingle(rng.Next() * (rng.Next(2) == 0 ? 1 : -1)) : (float)(rng.NextDouble() * 12 - 6);
            }

            var y = new float[length];
            f.Kernel(x, y);
            var inPlace = (float[])x.Clone();
            f.Kernel(inPlace, inPlace);
            for (int i = 0; i < length; i++)
            {
                float scalar = f.Run(x[i]);
                KernelAssert.Same(y[i], scalar, $"length {length}, {name}({x[i]:R}) at {i}");
                KernelAssert.Same(inPlace[i], scalar, $"length {length}, in place, {name}({x[i]:R}) at {i}");
            }
        }
    }

    [Test]
    public void Tanh_NearZero_IsTheIdentityWithExactSignAndSubnormals()
    {
        Expect(Transcendentals.Tanh, 0f, 0f);
        Expect(Transcendentals.Tanh, -0f, -0f);
        foreach (float x in (float[])[float.Epsilon, 1e-40f, 1.1754942e-38f, 1e-30f, 1e-10f, 1e-5f, 2.4e-4f])
        {
            Expect(Transcendentals.Tanh, x, x);
            Expect(Transcendentals.Tanh, -x, -x);
        }

        // Just above, tanh(x) = x - x^3/3 is still within the bound in relative terms (no cancellation near 0).
        for (float x = 1e-4f; x < 0.7f; x *= 1.01f)
        {
            Assert.That(UlpError(Transcendentals.Tanh(x), Math.Tanh(x)), Is.LessThanOrEqualTo(3.0), $"tanh({x:R})");
            Assert.That(Transcendentals.Tanh(-x), Is.EqualTo(-Transcendentals.Tanh(x)), $"odd at {x:R}");
        }
    }

    [Test]
    public void Tanh_LargeMagnitudes_SaturateToExactlyOne()
    {
        foreach (float x in (float[])[9.02f, 9.5f, 10f, 20f, 1e10f, float.MaxValue, float.PositiveInfinity])
        {
            Expect(Transcendentals.Tanh, x, 1f);
            Expect(Transcendentals.Tanh, -x, -1f);
        }

        Assert.That(UlpError(Transcendentals.Tanh(9f), Math.Tanh(9.0)), Is.LessThanOrEqualTo(1.0), "tanh(9) rounds to just below 1 (barely)");
        Assert.That(float.IsNaN(Transcendentals.Tanh(float.NaN)), Is.True);
    }

    /// <summary>Inputs and the exact results tanh promises for them: ±0 keep their sign, x itself below 2^-12 (the
    /// largest float below it, subnormals), ±1 from 9.011 on (the clamp at 9.5, beyond it, ±inf), NaN stays NaN.</summary>
    private static readonly (float X, float Tanh)[] TanhExactCases =
    [
        (0f, 0f), (-0f, -0f), (float.Epsilon, float.Epsilon), (-float.Epsilon, -float.Epsilon), (1e-40f, 1e-40f),
        (1.1754942e-38f, 1.1754942e-38f), (1e-20f, 1e-20f), (0.00024414062f, 0.00024414062f), (-0.00024414062f, -0.00024414062f),
        (9.02f, 1f), (-9.02f, -1f), (9.5f, 1f), (9.500001f, 1f), (-9.500001f, -1f), (1000f, 1f), (float.MaxValue, 1f),
        (-float.MaxValue, -1f), (float.PositiveInfinity, 1f), (float.NegativeInfinity, -1f), (float.NaN, float.NaN),
    ];

    [Test]
    public void Tanh_SpecialValuesAndThresholds_AreExactAtEveryWidth()
    {
        // Each width's kernel called directly, so Vector512 and Vector256 are checked even where the CPU lacks them; the
        // inputs are rotated through every lane.
        float[] x = TanhExactCases.Select(c => c.X).ToArray(), expected = TanhExactCases.Select(c => c.Tanh).ToArray();
        for (int shift = 0; shift < x.Length; shift++)
        {
            float[] lanes = Enumerable.Range(0, 16).Select(i => x[(i + shift) % x.Length]).ToArray();
            Vector512<float> y512 = Transcendentals.Tanh(Vector512.Create(lanes));
            for (int i = 0; i < 16; i++)
            {
                float want = expected[(i + shift) % x.Length];
                string at = $"tanh({lanes[i]:R})";
                KernelAssert.Same(Transcendentals.Tanh(lanes[i]), want, at + " scalar");
                KernelAssert.Same(y512.GetElement(i), want, at + " Vector512");
                KernelAssert.Same(Transcendentals.Tanh(Vector256.Create(lanes.AsSpan(i / 8 * 8, 8))).GetElement(i % 8), want, at + " Vector256");
                KernelAssert.Same(Transcendentals.Tanh(Vector128.Create(lanes.AsSpan(i / 4 * 4, 4))).GetElement(i % 4), want, at + " Vector128");
            }
        }
    }

    [Test]
    public void Tanh_AtEveryWidth_IsOddBitForBitAndWithinThreeUlpAcrossTheUnclampedRange()
    {
        // Every 97th float in [2^-12, 9.5], both signs, at each width called directly: -x gives exactly -tanh(x), and
        // the error stays within the stated 3 ulp (the sweep over all floats measured 2.475).
        const uint step = 97;
        uint first = BitConverter.SingleToUInt32Bits(0.00024414062f), last = BitConverter.SingleToUInt32Bits(9.5f);
        var x = new float[16];
        double worst = 0;
        for (uint bits = first; bits <= last; bits += 16 * step)
        {
            for (int i = 0; i < 16; i++)
            {
                x[i] = BitConverter.UInt32BitsToSingle(Math.Min(bits + (uint)i * step, last));
            }

            Vector512<float> v = Vector512.Create(x);
            Vector512<float> y512 = Transcendentals.Tanh(v), minus512 = Transcendentals.Tanh(-v);
            Vector256<float> y256 = Transcendentals.Tanh(Vector256.Create(x.AsSpan(0, 8)));
            Vector128<float> y128 = Transcendentals.Tanh(Vector128.Create(x.AsSpan(12, 4)));
            for (int i = 0; i < 16; i++)
            {
                float y = y512.GetElement(i);
                if (BitConverter.SingleToInt32Bits(minus512.GetElement(i)) != BitConverter.SingleToInt32Bits(-y))
                {
                    Assert.Fail($"tanh(-{x[i]:R}) = {minus512.GetElement(i):R}, tanh({x[i]:R}) = {y:R} (Vector512)");
                }

                worst = Math.Max(worst, UlpError(y, Math.Tanh(x[i])));
            }

            for (int i = 0; i < 8; i++)
            {
                KernelAssert.Same(y256.GetElement(i), y512.GetElement(i), $"tanh({x[i]:R}) Vector256");
                KernelAssert.Same(Transcendentals.Tanh(-x[i]), -y512.GetElement(i), $"tanh(-{x[i]:R}) scalar");
            }

            for (int i = 0; i < 4; i++)
            {
                KernelAssert.Same(y128.GetElement(i), y512.GetElement(12 + i), $"tanh({x[12 + i]:R}) Vector128");
            }
        }

        TestContext.Out.WriteLine($"worst {worst:F3} ulp");
        Assert.That(worst, Is.LessThanOrEqualTo(3.0));
    }

    [Test]
    public void Sigmoid_SpecialValuesAndSubnormalTail_AreExactOrWithinBound()
    {
        Expect(Transcendentals.Sigmoid, 0f, 0.5f);
        Expect(Transcendentals.Sigmoid, -0f, 0.5f);
        Expect(Transcendentals.Sigmoid, float.PositiveInfinity, 1f);
        Expect(Transcendentals.Sigmoid, float.NegativeInfinity, 0f);
        Expect(Transcendentals.Sigmoid, 100f, 1f);
        Expect(Transcendentals.Sigmoid, -200f, 0f);
        Assert.That(float.IsNaN(Transcendentals.Sigmoid(float.NaN)), Is.True);
        foreach (float x in (float[])[-88f, -95f, -100f, -103f])
        {
            // exp(x)/(1 + exp(x)): subnormal results, not the 0 that 1/(1 + inf) would give.
            float y = Transcendentals.Sigmoid(x);
            Assert.That(y, Is.GreaterThan(0f), $"sigmoid({x})");
            Assert.That(UlpError(y, 1 / (1 + Math.Exp(-(double)x))), Is.LessThanOrEqualTo(2.5), $"sigmoid({x})");
        }
    }

    [Test]
    public void Pow_NonFiniteExponent_FollowsCPowConventionsOnEveryPath()
    {
        float[] x = [1f, -1f, 0.5f, -0.5f, 2f, -2f, 0f, float.NaN, 1f, -1f, 0.5f, -0.5f, 2f, -2f, 0f, float.NaN, 3f];
        foreach (float e in (float[])[float.PositiveInfinity, float.NegativeInfinity, float.NaN])
        {
            var y = new float[x.Length];
            Elementwise.Unary(new PowOperator(e), x, y);
            for (int i = 0; i < x.Length; i++)
            {
                float expected = MathF.Pow(x[i], e);
                KernelAssert.Same(y[i], expected, $"pow({x[i]:R}, {e}) kernel");
                KernelAssert.Same(new PowOperator(e).Invoke(x[i]), expected, $"pow({x[i]:R}, {e}) scalar");
            }
        }
    }

    [Test]
    public void Pow_GeneralExponents_KernelGivesTheScalarRoutinesBits()
    {
        var rng = new Random(7);
        float[] x = KernelAssert.Random(rng, 1000, -20, 20);
        Array.Copy(KernelAssert.Specials, x, KernelAssert.Specials.Length);
        var y = new float[x.Length];
        foreach (float e in (float[])[3f, -3f, 4f, 2.5f, -1.7f, 0.3f])
        {
            var pow = new PowOperator(e);
            Elementwise.Unary(pow, x, y);
            for (int i = 0; i < x.Length; i++)
            {
                KernelAssert.Same(y[i], pow.Invoke(x[i]), $"pow({x[i]:R}, {e})");
            }
        }
    }

    private static void Expect(Scalar f, float x, float expected) =>
        KernelAssert.Same(f(x), expected, $"f({x:R})");
}
