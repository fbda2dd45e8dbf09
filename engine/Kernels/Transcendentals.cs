using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ArenaGrad.Kernels;

// The engine's own exp, log, tanh and sigmoid in single precision. Each is written once, over the lane
// arithmetic of Lanes.cs, and run at every width by choosing TL: the scalar path runs the very same operations
// in the very same order as Vector128/256/512 (exp, log and sigmoid never fuse; tanh fuses every multiply-add, on
// every path), so all four give the same bits on every machine (no MathF, no Vector*.Exp, which differ across
// runtimes and widths). The error bounds below are against the double-precision result, in ulp of the float nearest
// it; the largest errors measured over all 2^32 bit patterns (2026-11-27) were exp 0.990 and sigmoid 2.402 ulp, with
// Vector128 and Vector256 equal to each other bit for bit on every input and to the scalar path on every 64th; after
// log's polynomial moved to Estrin's scheme (2026-11-27, session 6), the Vector256 path over every positive float
// measured log 0.852 ulp, and sigmoid 2.402 ulp over every float. The fused tanh (2026-12-07, session 14) measured
// 2.475 ulp over all 2^32 bit patterns on the Vector512 path (tools/ArenaGrad.UlpSweep). engine.tests/Kernels/
// TranscendentalsTests.cs re-checks the bounds on every 251st bit pattern and every special value.
//
// Constants: the polynomials are Cephes' expf and logf minimax fits (Moshier); tanh's expm1 polynomial was fitted for
// it (see TanhHalfExpm1); range reductions follow Cephes / SLEEF. Written here from those coefficients.

/// <summary>exp, log, tanh and sigmoid for float, with the same bits at every vector width and on the scalar path.</summary>
internal static class Transcendentals
{
    // ---------------------------------------------------------------- exp

    /// <summary>1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer (ties to even), left
    /// in the low mantissa bits.</summary>
    private const float RoundingMagic = 12582912f;

    /// <summary>Inputs are clamped to [ExpLow, ExpHigh]: below, the result rounds to +0; above, to +inf, through
    /// the ordinary arithmetic (no fix-up needed; NaN passes the clamp unchanged).</summary>
    private const float ExpLow = -104f;

    private const float ExpHigh = 89f;

    private const float Log2E = 1.44269504088896341f;

    // ln 2 split so that n * Ln2Hi is exact for |n| <= 2^15 (Ln2Hi has 9 significant bits).
    private const float Ln2Hi = 0.693359375f;

    private const float Ln2Lo = -2.12194440e-4f;

    /// <summary>exp(x) with at most 1 ulp of error over all floats (measured: see the class notes); subnormal
    /// results are rounded once, +inf above 88.7228, +0 below -103.972, exp(±0) = 1, exp(-inf) = +0, NaN stays NaN.</summary>
    /// <remarks>x = n ln2 + r with n = round(x log2 e) and |r| &lt;= ln2/2 (ln2 in two parts, Cody-Waite), e^r from
    /// Cephes' degree-7 polynomial, then 2^n applied as 2^a * 2^b (a = round(n/2)) so that results from
    /// subnormal up to overflow come out with one rounding.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Exp<TV, TL>(TV x)
        where TV : struct
        where TL : struct, ILanes<TV> => ExpWith<TV, TL>(x, estrin: false);

    /// <summary>exp(x) with e^r's polynomial by Horner (<see cref="ExpPolynomial{TV, TL}"/>, the public exp) or by
    /// Estrin (<see cref="ExpPolynomialEstrin{TV, TL}"/>, shorter latency, 1.014 ulp: for sigmoid, which damps it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ExpWith<TV, TL>(TV x, bool estrin)
        where TV : struct
        where TL : struct, ILanes<TV> => ExpScale<TV, TL>(ExpReduce<TV, TL>(x, out TV n), n, estrin);

    /// <summary>Exp's first stage: r with x = n ln2 + r (x clamped to [ExpLow, ExpHigh]), and n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ExpReduce<TV, TL>(TV x, out TV n)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        x = TL.Select(TL.GreaterThan(x, TL.Create(ExpHigh)), TL.Create(ExpHigh), x);
        x = TL.Select(TL.LessThan(x, TL.Create(ExpLow)), TL.Create(ExpLow), x);

        n = TL.Subtract(TL.MultiplyAdd(x, TL.Create(Log2E), TL.Create(RoundingMagic)), TL.Create(RoundingMagic));
        return TL.Subtract(TL.Subtract(x, TL.Multiply(n, TL.Create(Ln2Hi))), TL.Multiply(n, TL.Create(Ln2Lo)));
    }

    /// <summary>Exp's second stage: e^r 2^n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ExpScale<TV, TL>(TV r, TV n, bool estrin)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV polynomial = estrin ? ExpPolynomialEstrin<TV, TL>(r) : ExpPolynomial<TV, TL>(r);
        TV p = TL.Add(TL.MultiplyAdd(polynomial, TL.Multiply(r, r), r), TL.Create(1f)); // (r^2 P + r) + 1

        // n in [-150, 128]; a and b in [-75, 64], so 2^a and 2^b are normal and p * 2^a is exact.
        TV a = TL.Subtract(TL.MultiplyAdd(n, TL.Create(0.5f), TL.Create(RoundingMagic)), TL.Create(RoundingMagic));
        TV b = TL.Subtract(n, a);
        return TL.Multiply(TL.Multiply(p, PowerOfTwo<TV, TL>(a)), PowerOfTwo<TV, TL>(b));
    }

    /// <summary>P(r) with e^r = 1 + r + r^2 P(r) for |r| &lt;= ln2/2: Cephes' expf minimax coefficients, by Horner.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ExpPolynomial<TV, TL>(TV r)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV p = TL.MultiplyAdd(TL.Create(1.9875691500E-4f), r, TL.Create(1.3981999507E-3f));
        p = TL.MultiplyAdd(p, r, TL.Create(8.3334519073E-3f));
        p = TL.MultiplyAdd(p, r, TL.Create(4.1665795894E-2f));
        p = TL.MultiplyAdd(p, r, TL.Create(1.6666665459E-1f));
        return TL.MultiplyAdd(p, r, TL.Create(5.0000001201E-1f));
    }

    /// <summary>The same P(r) by Estrin's scheme, (c0 + c1 r) + r^2 (c2 + c3 r) + r^4 (c4 + c5 r): the three pairs are
    /// independent, so the dependency chain is half Horner's (these kernels are bound by latency, not by the count of
    /// operations). Rounds differently from Horner: exp keeps Horner, whose error stays under 1 ulp (this form's
    /// reaches 1.014 ulp in exp); sigmoid, whose final division damps the error of e^r, uses this one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ExpPolynomialEstrin<TV, TL>(TV r)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV r2 = TL.Multiply(r, r);
        TV low = TL.MultiplyAdd(TL.Create(1.6666665459E-1f), r, TL.Create(5.0000001201E-1f));
        TV middle = TL.MultiplyAdd(TL.Create(8.3334519073E-3f), r, TL.Create(4.1665795894E-2f));
        TV high = TL.MultiplyAdd(TL.Create(1.9875691500E-4f), r, TL.Create(1.3981999507E-3f));
        return TL.Add(TL.MultiplyAdd(middle, r2, low), TL.Multiply(high, TL.Multiply(r2, r2)));
    }

    /// <summary>2^k for an integer-valued k in [-126, 127]: k + 127 lands in the low mantissa bits of
    /// k + RoundingMagic + 127, and shifting them left by 23 makes them the exponent field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV PowerOfTwo<TV, TL>(TV k)
        where TV : struct
        where TL : struct, ILanes<TV> =>
        TL.ShiftLeftBits(TL.Add(k, TL.Create(RoundingMagic + 127f)), 23);

    // ---------------------------------------------------------------- log

    private const float SqrtHalf = 0.707106781186547524f;

    private const float SmallestNormal = 1.17549435e-38f;

    /// <summary>log(x) with at most 1 ulp of error over all floats (measured: see the class notes);
    /// log(±0) = -inf, log(x &lt; 0) = NaN, log(+inf) = +inf, log(1) = +0, NaN stays NaN, subnormals exact in the exponent.</summary>
    /// <remarks>x = m 2^e with m in [sqrt(1/2), sqrt(2)), log(m) from Cephes' degree-9 polynomial in m - 1,
    /// e ln2 added in two parts.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Log<TV, TL>(TV x)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        // Subnormals: scale by 2^23 first so the exponent field holds the whole exponent.
        TV subnormal = TL.LessThan(x, TL.Create(SmallestNormal));
        TV scaled = TL.Select(subnormal, TL.Multiply(x, TL.Create(8388608f)), x);
        TV e = TL.Subtract(TL.Or(TL.ShiftRightBits(scaled, 23), TL.CreateBits(0x4B000000)), TL.Create(8388608f + 126f));
        e = TL.Subtract(e, TL.And(subnormal, TL.Create(23f)));
        TV m = TL.Or(TL.And(scaled, TL.CreateBits(0x007FFFFF)), TL.CreateBits(0x3F000000)); // x = m 2^e, m in [0.5, 1)

        TV low = TL.LessThan(m, TL.Create(SqrtHalf));
        e = TL.Subtract(e, TL.And(low, TL.Create(1f)));
        m = TL.Subtract(TL.Add(m, TL.And(low, m)), TL.Create(1f)); // exact: 2m - 1 or m - 1
        TV z = TL.Multiply(m, m);

        // Estrin's scheme over the 9 coefficients c0..c8: pairs (c0 + c1 m), (c2 + c3 m), ... joined with z = m^2, z^2
        // and z^4, a third of Horner's dependency chain.
        TV a0 = TL.MultiplyAdd(TL.Create(-2.4999993993E-1f), m, TL.Create(3.3333331174E-1f));
        TV a1 = TL.MultiplyAdd(TL.Create(-1.6668057665E-1f), m, TL.Create(2.0000714765E-1f));
        TV a2 = TL.MultiplyAdd(TL.Create(-1.2420140846E-1f), m, TL.Create(1.4249322787E-1f));
        TV a3 = TL.MultiplyAdd(TL.Create(-1.1514610310E-1f), m, TL.Create(1.1676998740E-1f));
        TV z2 = TL.Multiply(z, z);
        TV b0 = TL.MultiplyAdd(a1, z, a0);
        TV b1 = TL.MultiplyAdd(a3, z, a2);
        TV p = TL.Add(TL.MultiplyAdd(b1, z2, b0), TL.Multiply(TL.Create(7.0376836292E-2f), TL.Multiply(z2, z2)));
        TV y = TL.Multiply(TL.Multiply(p, m), z);
        y = TL.MultiplyAdd(e, TL.Create(Ln2Lo), y);
        y = TL.MultiplyAdd(z, TL.Create(-0.5f), y);
        TV result = TL.MultiplyAdd(e, TL.Create(Ln2Hi), TL.Add(m, y));

        result = TL.Select(TL.EqualTo(x, TL.Create(float.PositiveInfinity)), x, result);
        result = TL.Select(TL.EqualTo(x, TL.Create(0f)), TL.Create(float.NegativeInfinity), result);
        return TL.Select(TL.GreaterThanOrEqual(x, TL.Create(0f)), result, TL.Add(x, TL.Create(float.NaN))); // x < 0 or NaN
    }

    // ---------------------------------------------------------------- tanh

    /// <summary>|x| is clamped here: tanh(x) rounds to 1 in float from x = 9.011 on.</summary>
    private const float TanhClamp = 9.5f;

    /// <summary>Below 2^-12, x itself is tanh(x) correctly rounded (x^3/3 is under a third of an ulp of x).</summary>
    private const float TanhIdentityLimit = 0.000244140625f;

    /// <summary>The float nearest ln 2, halved (exactly): one constant is enough for the fused reduction (its error,
    /// at most 27 * 1e-9 in r, is damped by the final division wherever n is not 0).</summary>
    private const float HalfLn2 = 0.693147182464599609375f / 2;

    /// <summary>tanh(x) with at most 3 ulp of error over all floats (measured: see the class notes); odd, so
    /// tanh(-x) = -tanh(x) bit for bit; tanh(x) = x exactly for |x| &lt; 2^-12 (subnormals included), tanh(-0) = -0; ±1 exactly
    /// from |x| = 9.011 on and for ±inf; NaN stays NaN.</summary>
    /// <remarks>tanh|x| = u/(u + 2) with u = expm1(2|x|), which keeps full relative precision near 0 (no 1 - t
    /// cancellation), computed halved: v = u/2, t = v/(v + 1), the same roundings scaled by a power of two, one operation
    /// fewer. 2|x| = n ln2 + r, expm1(r) = r + r^2 P(r), u = 2^n expm1(r) + (2^n - 1). Unlike exp and sigmoid, tanh fuses
    /// its multiply-adds (<see cref="ILanes{TV}.FusedMultiplyAdd"/>, on every path): 22 operations instead of 36, and
    /// fewer roundings. That is short enough for one vector at a time: the staged loop sigmoid uses ran no faster.
    /// P(r) = 1/2 + c3 r + ... + c6 r^4 was fitted for this kernel (Lawson's iteration on |r| &lt;= ln2/2, the r^2
    /// coefficient held at 1/2; expm1's relative error 0.23 ulp); in h = r/2, expm1(r)/2 = h + h^2 2P(2h), whose
    /// coefficients c_i 2^(i-1) are exact. One body, no helpers, so that the inliner has one decision to make.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Tanh<TV, TL>(TV x)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV ax = TL.And(x, TL.CreateBits(0x7FFFFFFF));
        TV clamped = TL.Select(TL.GreaterThan(ax, TL.Create(TanhClamp)), TL.Create(TanhClamp), ax);

        // n = round(2|x| log2 e) in [0, 27] lands in k's low mantissa bits with 127 added: shifted, they are 2^n's
        // exponent field, so 2^n and n come from one rounding. h = r/2 = |x| - n ln2/2.
        TV k = TL.FusedMultiplyAdd(clamped, TL.Create(2f * Log2E), TL.Create(RoundingMagic + 127f));
        TV scale = TL.ShiftLeftBits(k, 23);
        TV n = TL.Subtract(k, TL.Create(RoundingMagic + 127f));
        TV h = TL.FusedMultiplyAdd(n, TL.Create(-HalfLn2), clamped);

        TV p = TL.FusedMultiplyAdd(TL.Create(1.3898223200e-3f * 32), h, TL.Create(8.3660343792e-3f * 16));
        p = TL.FusedMultiplyAdd(p, h, TL.Create(4.1666854125e-2f * 8));
        p = TL.FusedMultiplyAdd(p, h, TL.Create(1.6666548755e-1f * 4));
        p = TL.FusedMultiplyAdd(p, h, TL.Create(1f));
        TV halfExpm1 = TL.FusedMultiplyAdd(p, TL.Multiply(h, h), h);
        TV halfScaleMinusOne = TL.FusedMultiplyAdd(scale, TL.Create(0.5f), TL.Create(-0.5f)); // (2^n - 1)/2, rounded once
        TV v = TL.FusedMultiplyAdd(scale, halfExpm1, halfScaleMinusOne);                       // u/2

        TV t = TL.Select(TL.LessThan(ax, TL.Create(TanhIdentityLimit)), ax, TL.Divide(v, TL.Add(v, TL.Create(1f))));
        return TL.Or(t, TL.Xor(x, ax)); // x's sign
    }

    /// <summary>y[i] = tanh(x[i]) for i in [0, n), one vector at a time at the widest accelerated width (as
    /// Loops.Store: the last, overlapping vector computed before anything is written, so y may be exactly x).</summary>
    [MethodImpl(Kernel.Compile)]
    internal static unsafe void Tanh(ReadOnlySpan<float> x, Span<float> y)
    {
        Check.SameLength(x.Length, y.Length, nameof(x), nameof(y));
        fixed (float* px = x, py = y)
        {
            nuint n = (nuint)y.Length;
            if (Vector512.IsHardwareAccelerated && n >= 16) TanhLoop<Vector512<float>, Lanes512>(px, py, n);
            else if (Vector256.IsHardwareAccelerated && n >= 8) TanhLoop<Vector256<float>, Lanes256>(px, py, n);
            else if (Vector128.IsHardwareAccelerated && n >= 4) TanhLoop<Vector128<float>, Lanes128>(px, py, n);
            else for (nuint i = 0; i < n; i++) py[i] = Tanh<float, ScalarLanes>(px[i]);
        }
    }

    /// <summary>The loop of <see cref="Tanh(ReadOnlySpan{float}, Span{float})"/> at one width (n at least one vector).</summary>
    /// <remarks>A compiled root of its own per width: inlined whole into one method with the other widths (Elementwise.Unary
    /// inlined into the forward rule), the JIT's inliner ran out of budget and left tanh a call per vector, ten times
    /// slower.</remarks>
    [MethodImpl(Kernel.Compile | MethodImplOptions.NoInlining)]
    private static unsafe void TanhLoop<TV, TL>(float* x, float* y, nuint n)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        nuint width = (nuint)TL.Count, last = n - width;
        TV tail = Tanh<TV, TL>(TL.Load(x + last));
        for (nuint i = 0; i < last; i += width) TL.Store(Tanh<TV, TL>(TL.Load(x + i)), y + i);
        TL.Store(tail, y + last);
    }

    // ---------------------------------------------------------------- sigmoid

    /// <summary>1/(1 + exp(-x)) with at most 2.5 ulp of error over all floats (measured: see the class notes),
    /// including the subnormal results below x = -87.3; sigmoid(+inf) = 1, sigmoid(-inf) = +0, NaN stays NaN.</summary>
    /// <remarks>e = exp(-|x|) never overflows; x &lt; 0 gives e/(1 + e), x &gt;= 0 gives 1/(1 + e).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Sigmoid<TV, TL>(TV x)
        where TV : struct
        where TL : struct, ILanes<TV> =>
        SigmoidFinish<TV, TL>(x, ExpScale<TV, TL>(SigmoidReduce<TV, TL>(x, out TV n), n, estrin: true));

    /// <summary>Sigmoid's first stage: exp's reduction of -|x|.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV SigmoidReduce<TV, TL>(TV x, out TV n)
        where TV : struct
        where TL : struct, ILanes<TV> =>
        ExpReduce<TV, TL>(TL.Or(x, TL.CreateBits(unchecked((int)0x80000000))), out n);

    /// <summary>Sigmoid's last stage from e = exp(-|x|).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV SigmoidFinish<TV, TL>(TV x, TV e)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV numerator = TL.Select(TL.LessThan(x, TL.Create(0f)), e, TL.Create(1f));
        return TL.Divide(numerator, TL.Add(TL.Create(1f), e));
    }

    /// <summary>y[i] = sigmoid(x[i]) for i in [0, n), the same bits as <see cref="Sigmoid{TV, TL}"/> element by element,
    /// in stages (<see cref="Staged{TV, TF}"/>); y may be exactly the same memory as x (in place).</summary>
    [MethodImpl(Kernel.Compile)]
    [SkipLocalsInit]
    internal static unsafe void Sigmoid(ReadOnlySpan<float> x, Span<float> y)
    {
        fixed (float* px = x, py = y)
        {
            nuint n = (nuint)y.Length;
            if (n < StagedMinimum) Loops.Store(new UnarySource<SigmoidOperator>(default, px), ref *py, n);
            else if (Vector512.IsHardwareAccelerated) Staged<Vector512<float>, SigmoidStages<Vector512<float>, Lanes512>>(px, py, n);
            else if (Vector256.IsHardwareAccelerated) Staged<Vector256<float>, SigmoidStages<Vector256<float>, Lanes256>>(px, py, n);
            else if (Vector128.IsHardwareAccelerated) Staged<Vector128<float>, SigmoidStages<Vector128<float>, Lanes128>>(px, py, n);
            else Loops.Store(new UnarySource<SigmoidOperator>(default, px), ref *py, n);
        }
    }

    /// <summary>Sigmoid split into the three stages of <see cref="Staged{TV, TF}"/>.</summary>
    private readonly struct SigmoidStages<TV, TL> : IStagedFunction<TV>
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV First(TV x, out TV carry) => SigmoidReduce<TV, TL>(x, out carry);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Second(TV value, TV carry) => ExpScale<TV, TL>(value, carry, estrin: true);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Last(TV x, TV value) => SigmoidFinish<TV, TL>(x, value);
    }

    // ---------------------------------------------------------------- the staged loop

    /// <summary>Below this many floats the out-of-order window already overlaps the few vectors there are, and one vector
    /// at a time is faster (a 64-float tanh, when tanh was staged too, took 1.5-2x as long in stages).</summary>
    internal const int StagedMinimum = 512;

    /// <summary>Bytes of each stack buffer of <see cref="Staged{TV, TF}"/>: 16 Vector512, 32 Vector256, 64 Vector128.</summary>
    private const int StageBytes = 1024;

    /// <summary>A function split in three stages, f(x) = Last(x, Second(First(x, out c), c)), for <see cref="Staged{TV, TF}"/>.</summary>
    private interface IStagedFunction<TV>
        where TV : struct
    {
        /// <summary>The first stage: a value and a carry for the second.</summary>
        static abstract TV First(TV x, out TV carry);

        /// <summary>The second stage.</summary>
        static abstract TV Second(TV value, TV carry);

        /// <summary>The last stage, which sees x again.</summary>
        static abstract TV Last(TV x, TV value);
    }

    /// <summary>y[i] = f(x[i]) over n floats (at least one vector) at one width, one block of vectors at a time, each
    /// stage over the whole block before the next; as Loops.Store, the last, overlapping vector is computed before
    /// anything is written, so in place is safe.</summary>
    /// <remarks>One vector's sigmoid is a long dependency chain (the division alone is 11 cycles) through about 35
    /// operations: out-of-order hardware cannot hold enough of them in flight to overlap the next vectors' chains (the
    /// unfused tanh this was written for ran one vector at a time at 22 cycles per 8 floats where the operations need
    /// about 10). Stage by stage, the stages handing over through L1 on the stack, every loop has a short chain and many
    /// independent iterations. The operations and their order per element are unchanged, so the bits are too.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    [SkipLocalsInit]
    private static unsafe void Staged<TV, TF>(float* x, float* y, nuint n)
        where TV : struct
        where TF : struct, IStagedFunction<TV>
    {
        nuint width = (nuint)(Unsafe.SizeOf<TV>() / sizeof(float));
        nuint chunk = (nuint)(StageBytes / Unsafe.SizeOf<TV>());
        nuint last = n - width;
        TV lastX = Unsafe.ReadUnaligned<TV>(x + last);
        TV tail = TF.Last(lastX, TF.Second(TF.First(lastX, out TV lastCarry), lastCarry));
        byte* valueBytes = stackalloc byte[StageBytes];
        byte* carryBytes = stackalloc byte[StageBytes];
        ref TV values = ref Unsafe.AsRef<TV>(valueBytes);
        ref TV carries = ref Unsafe.AsRef<TV>(carryBytes);
        for (nuint start = 0; start < last; start += chunk * width)
        {
            nuint count = Math.Min(chunk, (last - start + width - 1) / width); // vectors at start, start + width, ... below last
            float* xs = x + start, ys = y + start;
            for (nuint j = 0; j < count; j++)
                Unsafe.Add(ref values, j) = TF.First(Unsafe.ReadUnaligned<TV>(xs + j * width), out Unsafe.Add(ref carries, j));
            for (nuint j = 0; j < count; j++)
                Unsafe.Add(ref values, j) = TF.Second(Unsafe.Add(ref values, j), Unsafe.Add(ref carries, j));
            for (nuint j = 0; j < count; j++)
                Unsafe.WriteUnaligned(ys + j * width, TF.Last(Unsafe.ReadUnaligned<TV>(xs + j * width), Unsafe.Add(ref values, j)));
        }
        Unsafe.WriteUnaligned(y + last, tail);
    }

    // ---------------------------------------------------------------- the entry points, one per width

    /// <summary>exp(x), see <see cref="Exp{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Exp(float x) => Exp<float, ScalarLanes>(x);

    /// <summary>exp(x), see <see cref="Exp{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Exp(Vector128<float> x) => Exp<Vector128<float>, Lanes128>(x);

    /// <summary>exp(x), see <see cref="Exp{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Exp(Vector256<float> x) => Exp<Vector256<float>, Lanes256>(x);

    /// <summary>exp(x), see <see cref="Exp{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Exp(Vector512<float> x) => Exp<Vector512<float>, Lanes512>(x);

    /// <summary>log(x), see <see cref="Log{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Log(float x) => Log<float, ScalarLanes>(x);

    /// <summary>log(x), see <see cref="Log{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Log(Vector128<float> x) => Log<Vector128<float>, Lanes128>(x);

    /// <summary>log(x), see <see cref="Log{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Log(Vector256<float> x) => Log<Vector256<float>, Lanes256>(x);

    /// <summary>log(x), see <see cref="Log{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Log(Vector512<float> x) => Log<Vector512<float>, Lanes512>(x);

    /// <summary>tanh(x), see <see cref="Tanh{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Tanh(float x) => Tanh<float, ScalarLanes>(x);

    /// <summary>tanh(x), see <see cref="Tanh{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Tanh(Vector128<float> x) => Tanh<Vector128<float>, Lanes128>(x);

    /// <summary>tanh(x), see <see cref="Tanh{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Tanh(Vector256<float> x) => Tanh<Vector256<float>, Lanes256>(x);

    /// <summary>tanh(x), see <see cref="Tanh{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Tanh(Vector512<float> x) => Tanh<Vector512<float>, Lanes512>(x);

    /// <summary>sigmoid(x), see <see cref="Sigmoid{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Sigmoid(float x) => Sigmoid<float, ScalarLanes>(x);

    /// <summary>sigmoid(x), see <see cref="Sigmoid{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Sigmoid(Vector128<float> x) => Sigmoid<Vector128<float>, Lanes128>(x);

    /// <summary>sigmoid(x), see <see cref="Sigmoid{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Sigmoid(Vector256<float> x) => Sigmoid<Vector256<float>, Lanes256>(x);

    /// <summary>sigmoid(x), see <see cref="Sigmoid{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Sigmoid(Vector512<float> x) => Sigmoid<Vector512<float>, Lanes512>(x);
}
