using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ArenaGrad.Kernels;

// The engine's own sin, cos, log1p, expm1 and erf in single precision, written once over the lane arithmetic of
// Lanes.cs like exp, log and tanh in Transcendentals.cs: the scalar path and Vector128/256/512 run the very same
// operations in the very same order, nothing fused, so all four give the same bits on every machine. Error bounds
// (against the double-precision result, in ulp of the float nearest it) are stated in the README's parity section
// and checked by engine.tests/Kernels/MathUlpTests.cs and tools/ArenaGrad.UlpSweep. Largest errors over all 2^32
// inputs (2026-12-06): sin 2.486 (at 1.85e36), cos 2.507 (at 1.03e9), log1p 2.469, expm1 1.569, erf 2.580 ulp.
//
// Constants: sin and cos are Cephes' sinf/cosf minimax polynomials on [-pi/4, pi/4] after a Cody-Waite reduction
// below |x| = 12867 and a Payne-Hanek reduction (2/pi in 12-bit chunks, exact products, triple-float sum) above; erf is Cephes' erff/erfcf
// (x T(x^2) below 1, exp(-x^2)/x P(1/x^2) on [1, 2), R(1/x^2) from 2 on); log1p and expm1 are built on the engine's
// log and on Cephes' exp polynomial (Transcendentals). Written here from those coefficients.

/// <summary>sin, cos, log1p, expm1 and erf for float, with the same bits at every vector width and on the scalar path.</summary>
internal static class Trigonometry
{
    /// <summary>1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer (ties to even), left in the
    /// low mantissa bits.</summary>
    private const float RoundingMagic = 12582912f;

    private const float TwoOverPi = 0.636619772367581343f;

    // pi/2 in four parts: the first three have at most 11 significant bits, so n * part is exact for n < 2^13; the
    // last is the rest rounded to a float. Together they carry pi/2 to about 57 bits.
    private const float HalfPi1 = 1.5703125f;
    private const float HalfPi2 = 4.837512969970703125e-4f;
    private const float HalfPi3 = 7.549533620476722717e-8f;
    private const float HalfPi4 = 2.563344068257089626e-12f;

    /// <summary>Below this |x| the Cody-Waite reduction is exact in its first three products (n &lt; 2^13); from here
    /// on the exact (Payne-Hanek) reduction serves.</summary>
    internal const float AccurateLimit = 12867f;

    /// <summary>|x| is clamped here in the Cody-Waite reduction so that n stays an integer below 2^22 (the rounding
    /// trick) in lanes whose result the exact reduction replaces.</summary>
    private const float ReductionClamp = 4194304f;

    /// <summary>Whether any lane needs the exact reduction (|x| &gt;= <see cref="AccurateLimit"/>, infinities included).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool AnyLarge(float x) => MathF.Abs(x) >= AccurateLimit;

    /// <summary>Whether any lane needs the exact reduction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool AnyLarge(Vector128<float> x) => Vector128.GreaterThanOrEqualAny(Vector128.Abs(x), Vector128.Create(AccurateLimit));

    /// <summary>Whether any lane needs the exact reduction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool AnyLarge(Vector256<float> x) => Vector256.GreaterThanOrEqualAny(Vector256.Abs(x), Vector256.Create(AccurateLimit));

    /// <summary>Whether any lane needs the exact reduction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool AnyLarge(Vector512<float> x) => Vector512.GreaterThanOrEqualAny(Vector512.Abs(x), Vector512.Create(AccurateLimit));

    // ---------------------------------------------------------------- sin, cos

    /// <summary>sin(x): odd bit for bit, sin(±0) = ±0, NaN for ±inf and NaN. <paramref name="anyLarge"/> says whether
    /// some lane has |x| &gt;= <see cref="AccurateLimit"/> (the operator structs test it per width): those lanes are
    /// reduced exactly (<see cref="ReduceLarge{TV, TL}"/>); without it the cheap reduction serves every lane.</summary>
    /// <remarks>|x| = n pi/2 + r with |r| &lt;= pi/4, then Cephes' sine or cosine polynomial of r by n's parity,
    /// negated when bit 1 of n is set, and x's sign put back.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Sin<TV, TL>(TV x, bool anyLarge)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV sign = TL.And(x, TL.CreateBits(unchecked((int)0x80000000)));
        TV r = Reduce<TV, TL>(TL.Xor(x, sign), anyLarge, out TV k);
        TV odd = TL.LessThan(TL.Or(TL.ShiftLeftBits(k, 31), TL.Create(1f)), TL.Create(0f));   // bit 0 of n
        TV flip = TL.And(TL.ShiftLeftBits(k, 30), TL.CreateBits(unchecked((int)0x80000000))); // bit 1 of n
        TV z = TL.Multiply(r, r);
        TV y = TL.Select(odd, CosPolynomial<TV, TL>(z), SinPolynomial<TV, TL>(r, z));
        return TL.Xor(y, TL.Xor(flip, sign));
    }

    /// <summary>cos(x): even, cos(±0) = 1, NaN for ±inf and NaN; <paramref name="anyLarge"/> as for <see cref="Sin{TV, TL}"/>.</summary>
    /// <remarks>cos|x| with |x| = n pi/2 + r: cos(r), -sin(r), -cos(r), sin(r) for n = 0, 1, 2, 3 mod 4.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Cos<TV, TL>(TV x, bool anyLarge)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV r = Reduce<TV, TL>(TL.And(x, TL.CreateBits(0x7FFFFFFF)), anyLarge, out TV k);
        TV odd = TL.LessThan(TL.Or(TL.ShiftLeftBits(k, 31), TL.Create(1f)), TL.Create(0f));
        TV flip = TL.And(TL.ShiftLeftBits(TL.Add(k, TL.Create(1f)), 30), TL.CreateBits(unchecked((int)0x80000000))); // bit 1 of n + 1
        TV z = TL.Multiply(r, r);
        TV y = TL.Select(odd, SinPolynomial<TV, TL>(r, z), CosPolynomial<TV, TL>(z));
        return TL.Xor(y, flip);
    }

    /// <summary>r = ax - n pi/2 for ax &gt;= 0; k holds n in its low mantissa bits. Lanes below
    /// <see cref="AccurateLimit"/> take the Cody-Waite reduction, the others (when <paramref name="anyLarge"/>) the exact one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Reduce<TV, TL>(TV ax, bool anyLarge, out TV k)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV r = ReduceSmall<TV, TL>(ax, out k);
        if (!anyLarge) return r;
        TV rLarge = ReduceLarge<TV, TL>(ax, out TV kLarge);
        TV large = TL.GreaterThanOrEqual(ax, TL.Create(AccurateLimit));
        k = TL.Select(large, kLarge, k);
        return TL.Select(large, rLarge, r);
    }

    /// <summary>Cody-Waite: n = round(ax 2/pi), r = ax - n pi/2 with pi/2 in four parts (exact products for n &lt; 2^13).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ReduceSmall<TV, TL>(TV ax, out TV k)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV clamped = TL.Select(TL.GreaterThan(ax, TL.Create(ReductionClamp)), TL.Create(ReductionClamp), ax);
        k = TL.MultiplyAdd(clamped, TL.Create(TwoOverPi), TL.Create(RoundingMagic));
        TV n = TL.Subtract(k, TL.Create(RoundingMagic));
        TV r = TL.Subtract(ax, TL.Multiply(n, TL.Create(HalfPi1)));
        r = TL.Subtract(r, TL.Multiply(n, TL.Create(HalfPi2)));
        r = TL.Subtract(r, TL.Multiply(n, TL.Create(HalfPi3)));
        return TL.Subtract(r, TL.Multiply(n, TL.Create(HalfPi4)));
    }

    /// <summary>2/pi in 17 chunks of 12 bits (bits 12i+1 to 12i+12 after the point), each scaled by 2^64 so that every
    /// chunk is a float (the last ones subnormal, still exact): 204 bits, enough for |x| up to the largest float.</summary>
    private static readonly int[] TwoOverPiChunks =
    [
        0x5F22F000, 0x59183000, 0x52DC8000, 0x4D644000, 0x45A90000, 0x411FC000, 0x3A1D4000, 0x34FA2000, 0x2F753000,
        0x289BA000, 0x2340D000, 0x1D362000, 0x17159000, 0x1113C000, 0x0A872000, 0x02820000, 0x001FCA00,
    ];

    private const float TwoToMinus64 = 5.42101086242752217e-20f;
    private const float TwoTo23 = 8388608f;
    private const float TwoTo25 = 33554432f;
    private const float HalfPiHigh = 1.57079637050628662f;      // pi/2 rounded to float
    private const float HalfPiLow = -4.37113900018624e-8f;      // pi/2 - HalfPiHigh

    /// <summary>Payne-Hanek for any float: ax (2/pi) mod 4 computed exactly enough, then n = its nearest integer and
    /// r = (ax (2/pi) - n) pi/2.</summary>
    /// <remarks>ax 2^-64 splits into two halves of at most 12 significant bits, so each half times each 12-bit chunk
    /// of 2/pi (scaled by 2^64) is an exact float: ax times that chunk of 2/pi, exactly. Each product is taken mod 4
    /// exactly (products from 2^25 on are multiples of 4) and summed into a triple float (hi, mid, lo) with two
    /// error-free additions per term, hi kept in [-2, 2] by exact subtractions of multiples of 4: the sum's error is
    /// about 2^-65, so r keeps full precision even for the floats nearest a multiple of pi/2.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ReduceLarge<TV, TL>(TV ax, out TV k)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV xs = TL.Multiply(ax, TL.Create(TwoToMinus64));
        TV xh = TL.And(xs, TL.CreateBits(unchecked((int)0xFFFFF000)));
        TV xl = TL.Subtract(xs, xh);
        TV hi = TL.Create(0f), mid = TL.Create(0f), lo = TL.Create(0f);
        foreach (int bits in TwoOverPiChunks)
        {
            TV chunk = TL.CreateBits(bits);
            AddModFour<TV, TL>(TL.Multiply(xh, chunk), ref hi, ref mid, ref lo);
            AddModFour<TV, TL>(TL.Multiply(xl, chunk), ref hi, ref mid, ref lo);
        }
        k = TL.Add(hi, TL.Create(RoundingMagic));
        TV n = TL.Subtract(k, TL.Create(RoundingMagic));
        TV a = TwoSum<TV, TL>(TL.Subtract(hi, n), mid, out TV b); // f = a + b + lo, |f| <= 1/2
        b = TL.Add(b, lo);
        return TL.Add(TL.Multiply(a, TL.Create(HalfPiHigh)), TL.Add(TL.Multiply(a, TL.Create(HalfPiLow)), TL.Multiply(b, TL.Create(HalfPiHigh))));
    }

    /// <summary>(hi, mid, lo) += p mod 4 for an exact product p &gt;= 0, then hi reduced to [-2, 2] (exactly).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddModFour<TV, TL>(TV p, ref TV hi, ref TV mid, ref TV lo)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV quarter = TL.Subtract(TL.MultiplyAdd(p, TL.Create(0.25f), TL.Create(TwoTo23)), TL.Create(TwoTo23)); // round(p/4), p/4 < 2^23
        TV t = TL.Select(TL.GreaterThanOrEqual(p, TL.Create(TwoTo25)), TL.Create(0f), TL.Subtract(p, TL.Multiply(quarter, TL.Create(4f))));
        hi = TwoSum<TV, TL>(hi, t, out TV e1);
        mid = TwoSum<TV, TL>(mid, e1, out TV e2);
        lo = TL.Add(lo, e2);
        TV whole = TL.Subtract(TL.MultiplyAdd(hi, TL.Create(0.25f), TL.Create(RoundingMagic)), TL.Create(RoundingMagic));
        hi = TL.Subtract(hi, TL.Multiply(whole, TL.Create(4f)));
    }

    /// <summary>s = a + b rounded, and e with s + e = a + b exactly (Knuth's TwoSum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV TwoSum<TV, TL>(TV a, TV b, out TV e)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV s = TL.Add(a, b);
        TV bb = TL.Subtract(s, a);
        e = TL.Add(TL.Subtract(a, TL.Subtract(s, bb)), TL.Subtract(b, bb));
        return s;
    }

    /// <summary>sin(r) for |r| &lt;= pi/4: r + r z S(z), Cephes' sinf coefficients.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV SinPolynomial<TV, TL>(TV r, TV z)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV p = TL.MultiplyAdd(TL.Create(-1.9515295891E-4f), z, TL.Create(8.3321608736E-3f));
        p = TL.MultiplyAdd(p, z, TL.Create(-1.6666654611E-1f));
        return TL.MultiplyAdd(TL.Multiply(p, z), r, r);
    }

    /// <summary>cos(r) for |r| &lt;= pi/4: 1 - z/2 + z^2 C(z), Cephes' cosf coefficients.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV CosPolynomial<TV, TL>(TV z)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV p = TL.MultiplyAdd(TL.Create(2.443315711809948E-5f), z, TL.Create(-1.388731625493765E-3f));
        p = TL.MultiplyAdd(p, z, TL.Create(4.166664568298827E-2f));
        TV y = TL.MultiplyAdd(z, TL.Create(-0.5f), TL.Multiply(TL.Multiply(p, z), z));
        return TL.Add(y, TL.Create(1f));
    }

    // ---------------------------------------------------------------- log1p

    /// <summary>log(1 + x): log1p(±0) = ±0, -inf at -1, NaN below -1 and for NaN, +inf for +inf.</summary>
    /// <remarks>With u = 1 + x rounded, log1p(x) = log(u) x / (u - 1) (Goldberg's correction: the rounding of u cancels
    /// to first order), and x itself where u rounds to 1. log is the engine's (<see cref="Transcendentals.Log{TV, TL}"/>).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Log1p<TV, TL>(TV x)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV u = TL.Add(TL.Create(1f), x);
        TV y = TL.Multiply(Transcendentals.Log<TV, TL>(u), TL.Divide(x, TL.Subtract(u, TL.Create(1f))));
        y = TL.Select(TL.EqualTo(u, TL.Create(1f)), x, y);
        return TL.Select(TL.EqualTo(x, TL.Create(float.PositiveInfinity)), x, y);
    }

    // ---------------------------------------------------------------- expm1

    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;

    /// <summary>Below this |x|, x itself is expm1(x) correctly rounded (x^2/2 is under half an ulp of x).</summary>
    private const float Expm1IdentityLimit = 2.98023224e-8f; // 2^-25

    /// <summary>exp(x) - 1 without cancellation: expm1(±0) = ±0, -1 from x = -17.33 down and for -inf, +inf above
    /// 88.72 and for +inf, NaN stays NaN.</summary>
    /// <remarks>x = n ln2 + r (n = round(x log2 e), ln2 in two parts), expm1(r) = r + r^2 P(r) with Cephes' exp
    /// polynomial, then expm1(x) = 2 (s expm1(r) + (s - 1/2)) with s = 2^(n-1): s - 1/2 is exact for the n where it
    /// matters, and the final doubling keeps 2^n from overflowing at n = 128.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Expm1<TV, TL>(TV x)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV c = TL.Select(TL.GreaterThan(x, TL.Create(89f)), TL.Create(89f), x);
        c = TL.Select(TL.LessThan(c, TL.Create(-20f)), TL.Create(-20f), c);
        TV k = TL.MultiplyAdd(c, TL.Create(Log2E), TL.Create(RoundingMagic + 126f)); // n + 126 = (n - 1) + 127
        TV s = TL.ShiftLeftBits(k, 23);                                              // 2^(n-1), n in [-29, 128]
        TV n = TL.Subtract(k, TL.Create(RoundingMagic + 126f));
        TV r = TL.Subtract(TL.Subtract(c, TL.Multiply(n, TL.Create(Ln2Hi))), TL.Multiply(n, TL.Create(Ln2Lo)));
        TV p = TL.MultiplyAdd(TL.Create(1.9875691500E-4f), r, TL.Create(1.3981999507E-3f));
        p = TL.MultiplyAdd(p, r, TL.Create(8.3334519073E-3f));
        p = TL.MultiplyAdd(p, r, TL.Create(4.1665795894E-2f));
        p = TL.MultiplyAdd(p, r, TL.Create(1.6666665459E-1f));
        p = TL.MultiplyAdd(p, r, TL.Create(5.0000001201E-1f));
        TV em1 = TL.MultiplyAdd(p, TL.Multiply(r, r), r);
        TV half = TL.MultiplyAdd(s, em1, TL.Subtract(s, TL.Create(0.5f)));
        TV y = TL.Add(half, half);
        TV small = TL.LessThan(TL.And(x, TL.CreateBits(0x7FFFFFFF)), TL.Create(Expm1IdentityLimit));
        return TL.Select(small, x, y);
    }

    // ---------------------------------------------------------------- erf

    /// <summary>erf(x): odd bit for bit, erf(±0) = ±0, ±1 from |x| = 3.92 on and for ±inf, NaN stays NaN.</summary>
    /// <remarks>|x| &lt; 1: |x| T(x^2); otherwise 1 - erfc|x| with erfc(a) = exp(-a^2)/a P(1/a^2) on [1, 2) and
    /// R(1/a^2) on [2, 4] (|x| clamped at 4, where erf is 1 in float); x's sign put back.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Erf<TV, TL>(TV x)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV sign = TL.And(x, TL.CreateBits(unchecked((int)0x80000000)));
        TV ax = TL.Xor(x, sign);
        ax = TL.Select(TL.GreaterThan(ax, TL.Create(4f)), TL.Create(4f), ax);
        TV z = TL.Multiply(ax, ax);

        TV t = TL.MultiplyAdd(TL.Create(7.853861353153693E-5f), z, TL.Create(-8.010193625184903E-4f));
        t = TL.MultiplyAdd(t, z, TL.Create(5.188327685732524E-3f));
        t = TL.MultiplyAdd(t, z, TL.Create(-2.685381193529856E-2f));
        t = TL.MultiplyAdd(t, z, TL.Create(1.128358514861418E-1f));
        t = TL.MultiplyAdd(t, z, TL.Create(-3.761262582423300E-1f));
        t = TL.MultiplyAdd(t, z, TL.Create(1.128379165726710E+0f));
        TV small = TL.Multiply(ax, t);

        TV q = TL.Divide(TL.Create(1f), ax);
        TV w = TL.Multiply(q, q);
        TV p = TL.MultiplyAdd(TL.Create(2.326819970068386E-2f), w, TL.Create(-1.387039388740657E-1f));
        p = TL.MultiplyAdd(p, w, TL.Create(3.687424674597105E-1f));
        p = TL.MultiplyAdd(p, w, TL.Create(-5.824733027278666E-1f));
        p = TL.MultiplyAdd(p, w, TL.Create(6.210004621745983E-1f));
        p = TL.MultiplyAdd(p, w, TL.Create(-4.944515323274145E-1f));
        p = TL.MultiplyAdd(p, w, TL.Create(3.404879937665872E-1f));
        p = TL.MultiplyAdd(p, w, TL.Create(-2.741127028184656E-1f));
        p = TL.MultiplyAdd(p, w, TL.Create(5.638259427386472E-1f));
        TV rr = TL.MultiplyAdd(TL.Create(-1.047766399936249E+1f), w, TL.Create(1.297719955372516E+1f));
        rr = TL.MultiplyAdd(rr, w, TL.Create(-7.495518717768503E+0f));
        rr = TL.MultiplyAdd(rr, w, TL.Create(2.921019019210786E+0f));
        rr = TL.MultiplyAdd(rr, w, TL.Create(-1.015265279202700E+0f));
        rr = TL.MultiplyAdd(rr, w, TL.Create(4.218463358204948E-1f));
        rr = TL.MultiplyAdd(rr, w, TL.Create(-2.820767439740514E-1f));
        rr = TL.MultiplyAdd(rr, w, TL.Create(5.641895067754075E-1f));
        TV poly = TL.Select(TL.LessThan(ax, TL.Create(2f)), p, rr);
        TV erfc = TL.Multiply(TL.Multiply(Transcendentals.Exp<TV, TL>(TL.Xor(z, TL.CreateBits(unchecked((int)0x80000000)))), q), poly);
        TV large = TL.Subtract(TL.Create(1f), erfc);

        TV y = TL.Select(TL.LessThan(ax, TL.Create(1f)), small, large);
        return TL.Or(y, sign);
    }
}
