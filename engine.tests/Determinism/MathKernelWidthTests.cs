using System.Runtime.Intrinsics;
using ArenaGrad.Kernels;
using ArenaGrad.Tests.Kernels;

namespace ArenaGrad.Tests.Determinism;

/// <summary>The math family's kernels (issue 16) give the same bits at every width: each operator struct's Invoke is
/// called directly at Vector128, Vector256 and Vector512 (in software where the CPU lacks it) and compared bit for bit
/// with its scalar Invoke, over special values and random inputs of every magnitude.</summary>
[TestFixture]
public sealed class MathKernelWidthTests
{
    /// <summary>Specials, values near the functions' thresholds, random bit patterns and random moderate values.</summary>
    private static float[] Inputs()
    {
        var rng = new Random(16);
        var x = new List<float>(KernelAssert.Specials)
        {
            0.5f, -0.5f, 1.5f, 2.5f, -2.5f, 8388607.5f, 8388608f, -8388609f, float.Epsilon, -float.Epsilon, float.MaxValue, -float.MaxValue,
            0.785398f, 1.570796f, 3.141593f, 12866f, 12868f, 1e6f, -1e6f, 4194305f, 1e30f, 3.9f, 4f, -4.1f, 1f, 2f, 1.99999f,
            88.72283f, 88.72284f, -17.4f, -20.1f, 2.98e-8f, -2.98e-8f, 20.01f, 19.99f,
        };
        for (int i = 0; i < 4096; i++) x.Add(BitConverter.Int32BitsToSingle(rng.Next() * (rng.Next(2) == 0 ? 1 : -1)));
        for (int i = 0; i < 4096; i++) x.Add((float)(rng.NextDouble() * 40 - 20));
        for (int i = 0; i < 1024; i++) x.Add((float)(rng.NextDouble() * 2e4 - 1e4));
        while (x.Count % 16 != 0) x.Add(0.25f);
        return x.ToArray();
    }

    private static IEnumerable<TestCaseData> UnaryOperators()
    {
        yield return Case("Sin", new SinOperator());
        yield return Case("Cos", new CosOperator());
        yield return Case("Log1p", new Log1pOperator());
        yield return Case("Expm1", new Expm1Operator());
        yield return Case("Erf", new ErfOperator());
        yield return Case("Rsqrt", new RsqrtOperator());
        yield return Case("Reciprocal", new ReciprocalOperator());
        yield return Case("Sign", new SignOperator());
        yield return Case("Floor", new FloorOperator());
        yield return Case("Round", new RoundOperator());
        yield return Case("Softplus", new SoftplusOperator(1f, 20f));
        yield return Case("SoftplusBeta", new SoftplusOperator(2.5f, 3f));
        yield return Case("Elu", new EluOperator(1f));
        yield return Case("EluAlpha", new EluOperator(0.3f));
        yield return Case("Gelu", new GeluOperator());
        yield return Case("GeluTanh", new GeluTanhOperator());
        yield return Case("Silu", new SiluOperator());
        yield return Case("Mish", new MishOperator());

        static TestCaseData Case<TOp>(string name, TOp op) where TOp : struct, IUnaryOperator =>
            new TestCaseData(new Func<float[], string?>(x => CompareUnary(op, x))).SetArgDisplayNames(name);
    }

    private static IEnumerable<TestCaseData> GradOperators()
    {
        yield return Case("Sin", new SinGradOperator());
        yield return Case("Cos", new CosGradOperator());
        yield return Case("Log1p", new Log1pGradOperator());
        yield return Case("Expm1", new Expm1GradOperator());
        yield return Case("Erf", new ErfGradOperator());
        yield return Case("Rsqrt", new RsqrtGradOperator());
        yield return Case("Reciprocal", new ReciprocalGradOperator());
        yield return Case("Softplus", new SoftplusGradOperator(1f, 20f));
        yield return Case("SoftplusBeta", new SoftplusGradOperator(2.5f, 3f));
        yield return Case("Elu", new EluGradOperator(0.3f));
        yield return Case("Gelu", new GeluGradOperator());
        yield return Case("GeluTanh", new GeluTanhGradOperator());
        yield return Case("Silu", new SiluGradOperator());
        yield return Case("Mish", new MishGradOperator());
        yield return Case("Hardtanh", new HardtanhGradOperator(-1f, 1f));

        static TestCaseData Case<TOp>(string name, TOp op) where TOp : struct, IUnaryGradOperator =>
            new TestCaseData(new Func<float[], string?>(x => CompareGrad(op, x))).SetArgDisplayNames(name);
    }

    private static IEnumerable<TestCaseData> BinaryOperators()
    {
        yield return Case("Min", new MinOperator());
        yield return Case("Max", new MaxOperator());
        yield return Case("MaximumShare", new MaximumShareOperator());
        yield return Case("MinimumShare", new MinimumShareOperator());
        yield return Case("Share", new ShareOperator());

        static TestCaseData Case<TOp>(string name, TOp op) where TOp : struct, IBinaryOperator =>
            new TestCaseData(new Func<float[], string?>(x => CompareBinary(op, x))).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(UnaryOperators))]
    public void UnaryOperator_AtEveryWidth_GivesTheScalarBits(Func<float[], string?> compare) => Assert.That(compare(Inputs()), Is.Null);

    [TestCaseSource(nameof(GradOperators))]
    public void GradOperator_AtEveryWidth_GivesTheScalarBits(Func<float[], string?> compare) => Assert.That(compare(Inputs()), Is.Null);

    [TestCaseSource(nameof(BinaryOperators))]
    public void BinaryOperator_AtEveryWidth_GivesTheScalarBits(Func<float[], string?> compare) => Assert.That(compare(Inputs()), Is.Null);

    /// <summary>The first disagreement between a vector width and the scalar Invoke, or null.</summary>
    private static string? CompareUnary<TOp>(TOp op, float[] x) where TOp : struct, IUnaryOperator
    {
        for (int i = 0; i < x.Length; i += 16)
        {
            Vector512<float> v512 = op.Invoke(Vector512.Create(x.AsSpan(i, 16)));
            Vector256<float> lo = op.Invoke(Vector256.Create(x.AsSpan(i, 8))), hi = op.Invoke(Vector256.Create(x.AsSpan(i + 8, 8)));
            for (int j = 0; j < 16; j++)
            {
                float scalar = op.Invoke(x[i + j]);
                float v128 = op.Invoke(Vector128.Create(x.AsSpan(i + j / 4 * 4, 4))).GetElement(j % 4);
                if (Differ(v512.GetElement(j), scalar) || Differ(j < 8 ? lo.GetElement(j) : hi.GetElement(j - 8), scalar) || Differ(v128, scalar))
                    return $"x = {x[i + j]:R}: scalar {scalar:R}, Vector128 {v128:R}, Vector256 {(j < 8 ? lo.GetElement(j) : hi.GetElement(j - 8)):R}, Vector512 {v512.GetElement(j):R}";
            }
        }
        return null;
    }

    /// <summary>g, x and y are the inputs rotated by 0, 5 and 11 places.</summary>
    private static string? CompareGrad<TOp>(TOp op, float[] values) where TOp : struct, IUnaryGradOperator
    {
        float[] g = values, x = Rotate(values, 5), y = Rotate(values, 11);
        for (int i = 0; i < x.Length; i += 16)
        {
            Vector512<float> v512 = op.Invoke(Vector512.Create(g.AsSpan(i, 16)), Vector512.Create(x.AsSpan(i, 16)), Vector512.Create(y.AsSpan(i, 16)));
            for (int j = 0; j < 16; j++)
            {
                float scalar = op.Invoke(g[i + j], x[i + j], y[i + j]);
                int b4 = i + j / 4 * 4, b8 = i + j / 8 * 8;
                float v128 = op.Invoke(Vector128.Create(g.AsSpan(b4, 4)), Vector128.Create(x.AsSpan(b4, 4)), Vector128.Create(y.AsSpan(b4, 4))).GetElement(j % 4);
                float v256 = op.Invoke(Vector256.Create(g.AsSpan(b8, 8)), Vector256.Create(x.AsSpan(b8, 8)), Vector256.Create(y.AsSpan(b8, 8))).GetElement(j % 8);
                if (Differ(v512.GetElement(j), scalar) || Differ(v256, scalar) || Differ(v128, scalar))
                    return $"g = {g[i + j]:R}, x = {x[i + j]:R}, y = {y[i + j]:R}: scalar {scalar:R}, Vector128 {v128:R}, Vector256 {v256:R}, Vector512 {v512.GetElement(j):R}";
            }
        }
        return null;
    }

    private static string? CompareBinary<TOp>(TOp op, float[] values) where TOp : struct, IBinaryOperator
    {
        // b is a rotation of a with every third element equal to a's, so ties (and ±0 against ∓0) are covered.
        float[] a = values, b = Rotate(values, 7);
        for (int i = 0; i < b.Length; i += 3) b[i] = a[i];
        for (int i = 1; i < b.Length; i += 97) (a[i], b[i]) = (0f, -0f);
        for (int i = 0; i < a.Length; i += 16)
        {
            Vector512<float> v512 = op.Invoke(Vector512.Create(a.AsSpan(i, 16)), Vector512.Create(b.AsSpan(i, 16)));
            for (int j = 0; j < 16; j++)
            {
                float scalar = op.Invoke(a[i + j], b[i + j]);
                int b4 = i + j / 4 * 4, b8 = i + j / 8 * 8;
                float v128 = op.Invoke(Vector128.Create(a.AsSpan(b4, 4)), Vector128.Create(b.AsSpan(b4, 4))).GetElement(j % 4);
                float v256 = op.Invoke(Vector256.Create(a.AsSpan(b8, 8)), Vector256.Create(b.AsSpan(b8, 8))).GetElement(j % 8);
                if (Differ(v512.GetElement(j), scalar) || Differ(v256, scalar) || Differ(v128, scalar))
                    return $"a = {a[i + j]:R}, b = {b[i + j]:R}: scalar {scalar:R}, Vector128 {v128:R}, Vector256 {v256:R}, Vector512 {v512.GetElement(j):R}";
            }
        }
        return null;
    }

    private static float[] Rotate(float[] values, int by) => values.Skip(by).Concat(values.Take(by)).ToArray();

    /// <summary>Different bits, except two NaNs (any payload: the IEEE operations do not fix which NaN comes out).</summary>
    private static bool Differ(float a, float b) =>
        BitConverter.SingleToInt32Bits(a) != BitConverter.SingleToInt32Bits(b) && !(float.IsNaN(a) && float.IsNaN(b));
}
