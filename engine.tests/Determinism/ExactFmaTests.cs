using System.Runtime.Intrinsics;
using ArenaGrad.Kernels.Gemm;

namespace ArenaGrad.Tests.Determinism;

/// <summary><see cref="ExactFma"/> (the fused multiply-add of CPUs without the instruction) is bitwise
/// <c>MathF.FusedMultiplyAdd</c>: on random inputs over the whole exponent range, on cancelling sums, on sums that
/// fall exactly halfway between two floats, and on zeros, subnormals, infinities and NaN.</summary>
[TestFixture]
public sealed class ExactFmaTests
{
    private static readonly float[] Specials =
    [
        0f, -0f, 1f, -1f, float.Epsilon, -float.Epsilon, float.MaxValue, -float.MaxValue, float.MinValue,
        1.17549435E-38f, 1.1754942E-38f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 0.5f, 3f, 1e-30f, 1e30f,
    ];

    [Test]
    public void EverySpecialTriple_MatchesTheReference()
    {
        foreach (float a in Specials)
            foreach (float b in Specials)
                foreach (float c in Specials)
                    Check(a, b, c);
    }

    [Test]
    public void RandomTriplesOverEveryExponent_MatchTheReference()
    {
        var random = new Random(2008);
        for (int i = 0; i < 400_000; i++)
            Check(AnyFloat(random), AnyFloat(random), AnyFloat(random));
    }

    [Test]
    public void CancellingSums_MatchTheReference()
    {
        // c ≈ -a·b: the exact sum keeps the product's low bits, which the double-rounded form would lose.
        var random = new Random(11);
        for (int i = 0; i < 400_000; i++)
        {
            float a = Normal(random), b = Normal(random);
            float c = -(a * b) * (1f + (random.Next(-64, 65) * 1.1920929E-07f));
            Check(a, b, c);
        }
    }

    [Test]
    public void SumsHalfwayBetweenTwoFloats_MatchTheReference()
    {
        // a, b with 12-bit mantissas make exact 24-bit products; c puts the sum near a float tie, a little above or below.
        var random = new Random(24);
        for (int i = 0; i < 400_000; i++)
        {
            float a = (random.Next(2048, 4096) | 1) * MathF.ScaleB(1f, random.Next(-20, 20));
            float b = (random.Next(2048, 4096) | 1) * MathF.ScaleB(1f, random.Next(-20, 20));
            float product = a * b; // rounded: the tie sits between it and its neighbour
            float half = MathF.BitIncrement(MathF.Abs(product)) - MathF.Abs(product);
            float c = MathF.ScaleB(random.Next(-4, 5), random.Next(-30, 2)) * half;
            Check(a, b, c);
            Check(a, b, -c);
        }
    }

    private static void Check(float a, float b, float c)
    {
        float expected = MathF.FusedMultiplyAdd(a, b, c);
        Same(ExactFma.Of(a, b, c), expected, "scalar", a, b, c);
        Vector128<float> v128 = ExactFma.Of(Vector128.Create(a), Vector128.Create(b), Vector128.Create(c));
        Same(v128.GetElement(3), expected, "Vector128", a, b, c);
        Vector256<float> v256 = ExactFma.Of(Vector256.Create(a), Vector256.Create(b), Vector256.Create(c));
        Same(v256.GetElement(5), expected, "Vector256", a, b, c);
    }

    private static void Same(float actual, float expected, string path, float a, float b, float c)
    {
        bool same = float.IsNaN(expected) ? float.IsNaN(actual) : BitConverter.SingleToInt32Bits(actual) == BitConverter.SingleToInt32Bits(expected);
        if (!same) Assert.Fail($"{path}: fma({a:R}, {b:R}, {c:R}) = {actual:R}, expected {expected:R}.");
    }

    private static float AnyFloat(Random random) => BitConverter.Int32BitsToSingle(random.Next(int.MinValue, int.MaxValue));

    private static float Normal(Random random) => (float)((random.NextDouble() + 0.5) * Math.Pow(2, random.Next(-60, 60)) * (random.Next(2) * 2 - 1));
}
