using System.Runtime.CompilerServices;

namespace ArenaGrad.Kernels.Gemm;

/// <summary>Single-precision a·b + c rounded once, for CPUs without a fused multiply-add instruction: in double
/// precision with round-to-odd, then rounded to float.</summary>
/// <remarks>
/// The product of two floats is exact in double (24 + 24 bits). The sum s = p + c rounds once; TwoSum gives its exact
/// error e. Rounding to odd keeps s when e = 0 or s's last bit is 1, else moves s one ulp toward e. A value rounded
/// to odd with at least two more bits than the target (53 ≥ 24 + 2) then rounds to nearest exactly as the exact
/// value would (Boldo and Melquiond, 2008), so the result is bitwise the hardware's fma. Non-finite sums are left as
/// they are. About 15 vector operations per two lanes, mostly one dependent chain: on SSE a GEMM runs about 30x slower
/// than with separate rounding (perf/RESULTS.md), twice as fast as the runtime's per-element fallback. The 4-lane form
/// is not inlined: inlined into a micro-kernel's twelve accumulator chains it spilled and ran 30 % slower.
/// </remarks>
internal static class ExactFma
{
    /// <summary>fma(a, b, c) in scalars.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of(float a, float b, float c)
    {
        double p = (double)a * b, s = p + c;
        double bb = s - p;
        double error = (p - (s - bb)) + (c - bb);
        long bits = BitConverter.DoubleToInt64Bits(s);
        if (error != 0 && (bits & 1) == 0 && double.IsFinite(s))
            bits += (s > 0) == (error > 0) ? 1 : -1; // one ulp away from zero when e has s's sign, else toward it
        return (float)BitConverter.Int64BitsToDouble(bits);
    }

    /// <summary>fma(a, b, c) in 4 lanes.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // see the remarks
    public static Vector128<float> Of(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        Vector128.Narrow(
            Half(Vector128.WidenLower(a), Vector128.WidenLower(b), Vector128.WidenLower(c)),
            Half(Vector128.WidenUpper(a), Vector128.WidenUpper(b), Vector128.WidenUpper(c)));

    /// <summary>fma(a, b, c) in 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Of(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Vector256.Create(Of(a.GetLower(), b.GetLower(), c.GetLower()), Of(a.GetUpper(), b.GetUpper(), c.GetUpper()));

    /// <summary>fma(a, b, c) in 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Of(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        Vector512.Create(Of(a.GetLower(), b.GetLower(), c.GetLower()), Of(a.GetUpper(), b.GetUpper(), c.GetUpper()));

    /// <summary>a·b + c in double, rounded to odd, for two lanes whose inputs are widened floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<double> Half(Vector128<double> a, Vector128<double> b, Vector128<double> c)
    {
        Vector128<double> p = a * b, s = p + c;
        Vector128<double> bb = s - p;
        Vector128<double> error = (p - (s - bb)) + (c - bb);
        Vector128<long> bits = s.AsInt64();
        Vector128<long> even = Vector128.Equals(bits & Vector128<long>.One, Vector128<long>.Zero);
        Vector128<long> inexact = ~Vector128.Equals(error, Vector128<double>.Zero).AsInt64();
        Vector128<long> finite = Vector128.LessThan(Vector128.Abs(s), Vector128.Create(double.PositiveInfinity)).AsInt64();
        Vector128<long> sameSign = Vector128.Equals( // compared as integers: an all-ones mask read as a double is a NaN
            Vector128.GreaterThan(s, Vector128<double>.Zero).AsInt64(), Vector128.GreaterThan(error, Vector128<double>.Zero).AsInt64());
        Vector128<long> step = Vector128.ConditionalSelect(sameSign, Vector128<long>.One, Vector128<long>.AllBitsSet);
        return (bits + (step & even & inexact & finite)).AsDouble();
    }
}
