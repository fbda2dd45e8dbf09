using System.Runtime.CompilerServices;

namespace ArenaGrad.Kernels;

// The engine's own sin, cos, log1p, expm1 and erf in single precision, written once over the lane arithmetic of
// Lanes.cs like exp, log and tanh in Transcendentals.cs: the scalar path and Vector128/256/512 run the very same
// operations in the very same order, nothing fused, so all four give the same bits on every machine. Error bounds
// (against the double-precision result, in ulp of the float nearest it) are stated in the README's parity section
// and checked by engine.tests/Kernels/MathUlpTests.cs and tools/ArenaGrad.UlpSweep.
//
// Constants: sin and cos are Cephes' sinf/cosf minimax polynomials on [-pi/4, pi/4]; erf is Cephes' erff/erfcf
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

    /// <summary>Below this |x| the reduction is exact in its first three products (n &lt; 2^13) and the stated ulp bound
    /// holds; above it the error grows with |x| (no Payne-Hanek reduction).</summary>
    internal const float AccurateLimit = 12867f;

    /// <summary>|x| is clamped here before the reduction so that n stays an integer below 2^22 (the rounding trick);
    /// the result for larger |x| is a finite value in [-1, 1] but not sin/cos of x.</summary>
    private const float ReductionClamp = 4194304f;

    // ---------------------------------------------------------------- sin, cos

    /// <summary>sin(x): odd bit for bit, sin(±0) = ±0, NaN for ±inf and NaN. Within the stated bound for |x| &lt;
    /// <see cref="AccurateLimit"/>.</summary>
    /// <remarks>|x| = n pi/2 + r with |r| &lt;= pi/4 (Cody-Waite, pi/2 in four parts), then Cephes' sine or cosine
    /// polynomial of r by n's parity, negated when bit 1 of n is set, and x's sign put back.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Sin<TV, TL>(TV x)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV sign = TL.And(x, TL.CreateBits(unchecked((int)0x80000000)));
        TV r = Reduce<TV, TL>(TL.Xor(x, sign), out TV k);
        TV odd = TL.LessThan(TL.Or(TL.ShiftLeftBits(k, 31), TL.Create(1f)), TL.Create(0f));   // bit 0 of n
        TV flip = TL.And(TL.ShiftLeftBits(k, 30), TL.CreateBits(unchecked((int)0x80000000))); // bit 1 of n
        TV z = TL.Multiply(r, r);
        TV y = TL.Select(odd, CosPolynomial<TV, TL>(z), SinPolynomial<TV, TL>(r, z));
        return TL.Xor(y, TL.Xor(flip, sign));
    }

    /// <summary>cos(x): even, cos(±0) = 1, NaN for ±inf and NaN. Within the stated bound for |x| &lt; <see cref="AccurateLimit"/>.</summary>
    /// <remarks>cos|x| with |x| = n pi/2 + r: cos(r), -sin(r), -cos(r), sin(r) for n = 0, 1, 2, 3 mod 4.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Cos<TV, TL>(TV x)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV r = Reduce<TV, TL>(TL.And(x, TL.CreateBits(0x7FFFFFFF)), out TV k);
        TV odd = TL.LessThan(TL.Or(TL.ShiftLeftBits(k, 31), TL.Create(1f)), TL.Create(0f));
        TV flip = TL.And(TL.ShiftLeftBits(TL.Add(k, TL.Create(1f)), 30), TL.CreateBits(unchecked((int)0x80000000))); // bit 1 of n + 1
        TV z = TL.Multiply(r, r);
        TV y = TL.Select(odd, SinPolynomial<TV, TL>(r, z), CosPolynomial<TV, TL>(z));
        return TL.Xor(y, flip);
    }

    /// <summary>r = ax - n pi/2 for ax &gt;= 0, n = round(ax 2/pi); k holds n in its low mantissa bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Reduce<TV, TL>(TV ax, out TV k)
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
