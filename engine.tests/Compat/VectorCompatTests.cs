using System.Runtime.Intrinsics;
using ArenaGrad.Kernels;

namespace ArenaGrad.Tests.Compat;

/// <summary>The vector operations the engine takes from .NET 10 and bridges on .NET 8 (engine/Compat/VectorCompat.cs)
/// mean the same on both targets. Run on net10.0 these pin the runtime's own behaviour; run on net8.0 (see
/// TargetFrameworkTests) they pin the fallbacks to it.</summary>
public class VectorCompatTests
{
    private static readonly float[] Specials =
    [
        0f, -0f, 1f, -1f, 0.5f, -2.5f, 3e38f, -3e38f, 1e-45f, -1e-45f, 1.17549435e-38f,
        float.PositiveInfinity, float.NegativeInfinity, float.NaN, -float.NaN,
    ];

    [Test]
    public void Max_IsIeeeMaximum_NaNPropagatesAndPositiveZeroWins_AtEveryWidth()
    {
        foreach (float a in Specials)
            foreach (float b in Specials)
            {
                float expected = MathF.Max(a, b); // IEEE 754-2019 maximum since .NET Core 3.0
                AllLanes(VectorCompat.Max(Vector128.Create(a), Vector128.Create(b)), expected, $"Max128({a}, {b})");
                AllLanes(VectorCompat.Max(Vector256.Create(a), Vector256.Create(b)).GetUpper(), expected, $"Max256({a}, {b})");
                AllLanes(VectorCompat.Max(Vector512.Create(a), Vector512.Create(b)).GetUpper().GetUpper(), expected, $"Max512({a}, {b})");
            }
    }

    [Test]
    public void Min_IsIeeeMinimum_NaNPropagatesAndNegativeZeroWins_AtEveryWidth()
    {
        foreach (float a in Specials)
            foreach (float b in Specials)
            {
                float expected = MathF.Min(a, b);
                AllLanes(VectorCompat.Min(Vector128.Create(a), Vector128.Create(b)), expected, $"Min128({a}, {b})");
                AllLanes(VectorCompat.Min(Vector256.Create(a), Vector256.Create(b)).GetUpper(), expected, $"Min256({a}, {b})");
                AllLanes(VectorCompat.Min(Vector512.Create(a), Vector512.Create(b)).GetUpper().GetUpper(), expected, $"Min512({a}, {b})");
            }
    }

    // Which payload survives when both operands are NaN differs between JIT modes and instruction sets (a Debug run
    // on AVX-512 kept the second operand's, a Release run the first's), so the promise is only that a NaN comes out.
    [Test]
    public void Max_OfTwoNaNsWithDifferentPayloads_IsNaN_AtEveryWidth()
    {
        float first = BitConverter.Int32BitsToSingle(0x7FC00001), second = BitConverter.Int32BitsToSingle(0x7FC00002);
        Assert.Multiple(() =>
        {
            Assert.That(VectorCompat.Max(Vector128.Create(first), Vector128.Create(second)).GetElement(0), Is.NaN);
            Assert.That(VectorCompat.Max(Vector256.Create(first), Vector256.Create(second)).GetElement(7), Is.NaN);
            Assert.That(VectorCompat.Max(Vector512.Create(first), Vector512.Create(second)).GetElement(15), Is.NaN);
            Assert.That(VectorCompat.Min(Vector128.Create(first), Vector128.Create(second)).GetElement(0), Is.NaN);
        });
    }

    [Test]
    public void CopySignAndIsNegativeInfinity_ActPerLane()
    {
        Vector128<float> x = Vector128.Create(1f, -2f, 0f, float.NegativeInfinity);
        Vector128<float> sign = Vector128.Create(-0f, 3f, -1f, 1f);
        Assert.That(Vector128.CopySign(x, sign), Is.EqualTo(Vector128.Create(-1f, 2f, -0f, float.PositiveInfinity)).Using<Vector128<float>>(SameBitsOrNaN));
        Assert.That(Vector256.CopySign(Vector256.Create(x, x), Vector256.Create(sign, sign)).GetUpper(),
            Is.EqualTo(Vector128.Create(-1f, 2f, -0f, float.PositiveInfinity)).Using<Vector128<float>>(SameBitsOrNaN));
        Assert.That(Vector128.IsNegativeInfinity(x).AsInt32(), Is.EqualTo(Vector128.Create(0, 0, 0, -1)));
        Assert.That(Vector512.IsNegativeInfinity(Vector512.Create(Vector256.Create(x, x), Vector256.Create(x, x))).AsInt32().GetElement(15), Is.EqualTo(-1));
    }

    [Test]
    public void Indices_CountUpFromZero()
    {
        Assert.That(Vector128<int>.Indices, Is.EqualTo(Vector128.Create(0, 1, 2, 3)));
        Assert.That(Vector256<int>.Indices, Is.EqualTo(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7)));
        Assert.That(Vector512<int>.Indices, Is.EqualTo(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)));
    }

    [Test]
    public void FusedMultiplyAdd_RoundsOnce_AtEveryWidth()
    {
        // (1 + 2^-12)^2 - 1 - 2^-11 = 2^-24: lost when the product is rounded first, kept when fused.
        float a = 1f + MathF.Pow(2, -12), c = -(1f + MathF.Pow(2, -11));
        float expected = MathF.FusedMultiplyAdd(a, a, c);
        Assert.That(expected, Is.EqualTo(MathF.Pow(2, -24)));
        Assert.That(Vector128.FusedMultiplyAdd(Vector128.Create(a), Vector128.Create(a), Vector128.Create(c)).GetElement(3), Is.EqualTo(expected));
        Assert.That(Vector256.FusedMultiplyAdd(Vector256.Create(a), Vector256.Create(a), Vector256.Create(c)).GetElement(7), Is.EqualTo(expected));
        Assert.That(Vector512.FusedMultiplyAdd(Vector512.Create(a), Vector512.Create(a), Vector512.Create(c)).GetElement(15), Is.EqualTo(expected));
    }

    private static void AllLanes(Vector128<float> v, float expected, string what)
    {
        for (int i = 0; i < 4; i++)
            Assert.That(Same(v.GetElement(i), expected), Is.True, $"{what}: lane {i} is {v.GetElement(i)}, expected {expected}");
    }

    /// <summary>Same bits (so -0 differs from +0), or both NaN.</summary>
    private static bool Same(float a, float b) =>
        (float.IsNaN(a) && float.IsNaN(b)) || BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b);

    private static bool SameBitsOrNaN(Vector128<float> a, Vector128<float> b)
    {
        for (int i = 0; i < 4; i++)
            if (!Same(a.GetElement(i), b.GetElement(i))) return false;
        return true;
    }
}
