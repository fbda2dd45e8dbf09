using ArenaGrad.Kernels;
using ArenaGrad.Reference;

namespace ArenaGrad.Tests.Kernels;

/// <summary>The math family's own transcendentals (issue 16: sin, cos, log1p, expm1, erf) against double-precision
/// references, within the ulp bounds the README states, over a fixed sweep: every 1021st bit pattern of the domain
/// (both signs, every binade; 1021 is prime, so the low mantissa bits take every value), plus special values.</summary>
public sealed class MathUlpTests
{
    /// <summary>The stated bounds (README, "PyTorch parity"); sin and cos below <see cref="Trigonometry.AccurateLimit"/>.</summary>
    private static readonly (string Name, Func<float, float> Engine, Func<double, double> Reference, double MaxUlp, float Limit)[] Functions =
    [
        ("Sin", x => new SinOperator().Invoke(x), Math.Sin, 2.5, float.PositiveInfinity),
        ("Cos", x => new CosOperator().Invoke(x), Math.Cos, 2.6, float.PositiveInfinity),
        ("Log1p", x => new Log1pOperator().Invoke(x), DoubleReference.Log1p, 2.5, float.PositiveInfinity),
        ("Expm1", x => new Expm1Operator().Invoke(x), DoubleReference.Expm1, 2.0, float.PositiveInfinity),
        ("Erf", x => new ErfOperator().Invoke(x), DoubleReference.Erf, 3.0, float.PositiveInfinity),
    ];

    private static IEnumerable<TestCaseData> Cases() => Functions.Select((f, i) => new TestCaseData(i).SetArgDisplayNames(f.Name));

    [TestCaseSource(nameof(Cases))]
    public void Function_OverAFixedSweep_StaysWithinTheStatedUlpBound(int index)
    {
        var f = Functions[index];
        var x = new float[1 << 16];
        var y = new float[1 << 16];
        double worst = 0;
        float worstAt = 0;
        long count = 0;
        int n = 0;
        void Flush()
        {
            // Through the kernel driver (the width the CPU accelerates); MathKernelWidthTests holds every width to the scalar bits.
            Span<float> ys = y.AsSpan(0, n);
            RunKernel(f.Name, x.AsSpan(0, n), ys);
            for (int i = 0; i < n; i++)
            {
                double e = UlpError(ys[i], f.Reference(x[i]));
                if (e > worst) (worst, worstAt) = (e, x[i]);
            }
            count += n;
            n = 0;
        }
        for (long bits = 0; bits <= uint.MaxValue; bits += 1021)
        {
            float v = BitConverter.UInt32BitsToSingle((uint)bits);
            if (!(MathF.Abs(v) < f.Limit) && !float.IsNaN(v) && !float.IsInfinity(v)) continue;
            x[n++] = v;
            if (n == x.Length) Flush();
        }
        Flush();
        TestContext.Out.WriteLine($"{f.Name}: worst {worst:F3} ulp at {worstAt:R} over {count:N0} inputs");
        Assert.That(count, Is.GreaterThan(2_000_000));
        Assert.That(worst, Is.LessThanOrEqualTo(f.MaxUlp), $"{f.Name}({worstAt:R}) = {f.Engine(worstAt):R}, reference {f.Reference(worstAt):R}");
    }

    private static void RunKernel(string name, ReadOnlySpan<float> x, Span<float> y)
    {
        switch (name)
        {
            case "Sin": Elementwise.Unary(new SinOperator(), x, y); break;
            case "Cos": Elementwise.Unary(new CosOperator(), x, y); break;
            case "Log1p": Elementwise.Unary(new Log1pOperator(), x, y); break;
            case "Expm1": Elementwise.Unary(new Expm1Operator(), x, y); break;
            default: Elementwise.Unary(new ErfOperator(), x, y); break;
        }
    }

    [Test]
    public void SpecialValues_FollowCAndPyTorch()
    {
        Assert.Multiple(() =>
        {
            Bits(new SinOperator().Invoke(-0f), -0f, "sin(-0)");
            Bits(new SinOperator().Invoke(0f), 0f, "sin(+0)");
            Assert.That(new SinOperator().Invoke(float.PositiveInfinity), Is.NaN, "sin(inf)");
            Assert.That(new CosOperator().Invoke(float.NegativeInfinity), Is.NaN, "cos(-inf)");
            Assert.That(new CosOperator().Invoke(-0f), Is.EqualTo(1f), "cos(-0)");
            Bits(new Log1pOperator().Invoke(-0f), -0f, "log1p(-0)");
            Assert.That(new Log1pOperator().Invoke(-1f), Is.EqualTo(float.NegativeInfinity), "log1p(-1)");
            Assert.That(new Log1pOperator().Invoke(-1.5f), Is.NaN, "log1p(-1.5)");
            Assert.That(new Log1pOperator().Invoke(float.PositiveInfinity), Is.EqualTo(float.PositiveInfinity), "log1p(inf)");
            Assert.That(new Log1pOperator().Invoke(float.MaxValue), Is.EqualTo((float)Math.Log(float.MaxValue)).Within(1e-5f), "log1p(max)");
            Bits(new Expm1Operator().Invoke(-0f), -0f, "expm1(-0)");
            Assert.That(new Expm1Operator().Invoke(float.NegativeInfinity), Is.EqualTo(-1f), "expm1(-inf)");
            Assert.That(new Expm1Operator().Invoke(float.PositiveInfinity), Is.EqualTo(float.PositiveInfinity), "expm1(inf)");
            Assert.That(new Expm1Operator().Invoke(88.72283935546875f), Is.EqualTo(float.PositiveInfinity), "expm1 overflows where exp does");
            Assert.That(float.IsFinite(new Expm1Operator().Invoke(88.72283172607422f)), Is.True, "the last float whose expm1 is finite");
            Bits(new ErfOperator().Invoke(-0f), -0f, "erf(-0)");
            Assert.That(new ErfOperator().Invoke(float.NegativeInfinity), Is.EqualTo(-1f), "erf(-inf)");
            Assert.That(new ErfOperator().Invoke(float.PositiveInfinity), Is.EqualTo(1f), "erf(inf)");
            foreach (Func<float, float> f in Functions.Select(f => f.Engine)) Assert.That(f(float.NaN), Is.NaN);
        });
    }

    private static void Bits(float actual, float expected, string what) =>
        Assert.That(BitConverter.SingleToInt32Bits(actual), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)), $"{what} = {actual:R}");

    /// <summary>|y - reference| in units of the float spacing at the reference (2^-149 below the normal range); 0 when
    /// both are the same infinity or both NaN, infinite when only one is NaN or infinite.</summary>
    internal static double UlpError(float y, double reference)
    {
        if (double.IsNaN(reference) || float.IsNaN(y)) return double.IsNaN(reference) && float.IsNaN(y) ? 0 : double.PositiveInfinity;
        float rounded = (float)reference;
        if (float.IsInfinity(rounded) || float.IsInfinity(y)) return y == rounded ? 0 : double.PositiveInfinity;
        return Math.Abs(y - reference) / Math.ScaleB(1.0, Math.Max(Math.ILogB(Math.Abs(reference)), -126) - 23);
    }
}
