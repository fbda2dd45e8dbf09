using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ArenaGrad.Kernels;

// One readonly struct per op; every Invoke is the same formula at a different width. Formulas that
// need more than one line are written once over the lanes of Lanes.cs: exp, log, tanh and sigmoid in
// Transcendentals.cs, pow in the Operators helper class below.

/// <summary>Vector helpers shared by the operator structs (one copy per width).</summary>
internal static class Operators
{
    // The helpers below are AggressiveInlining: without it tier-1 code (with or without PGO) calls them out of
    // line inside the loop and tanh over 2^20 floats took 2.3 ms instead of 0.95 ms (measured 2026-11-27).

    /// <summary>|x|^e = exp(e*log|x|) with the engine's own exp and log (<see cref="Transcendentals"/>), the same
    /// bits at every width: 0 -> 0 or +inf through log 0 = -inf; sign of x kept for odd integer e; NaN for finite
    /// x &lt; 0 when e is not an integer (-inf^e stays +inf or 0, as pow does); for e = ±inf or NaN, C's pow
    /// conventions (pow(±1, ±inf) = 1, pow(1, NaN) = 1). Relative error about (|e ln|x|| + 2) ulp.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV PowGeneral<TV, TL>(TV x, float e, PowKind kind)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV sign = TL.And(x, TL.CreateBits(unchecked((int)0x80000000)));
        TV ax = TL.Xor(x, sign);
        TV r = Transcendentals.Exp<TV, TL>(TL.Multiply(Transcendentals.Log<TV, TL>(ax), TL.Create(e)));
        return kind switch
        {
            PowKind.OddInteger => TL.Or(r, sign),
            PowKind.EvenInteger => r,
            PowKind.NonFinite => TL.Select(TL.EqualTo(float.IsNaN(e) ? x : ax, TL.Create(1f)), TL.Create(1f), r),
            _ => TL.Select(
                TL.And(TL.LessThan(x, TL.Create(0f)), TL.GreaterThan(x, TL.Create(float.NegativeInfinity))), TL.Create(float.NaN), r),
        };
    }

    /// <summary>sign(x) in {-1, 0, +1} (0 for ±0 and NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Sign(Vector128<float> x) =>
        (Vector128.GreaterThan(x, Vector128<float>.Zero) & Vector128<float>.One) - (Vector128.LessThan(x, Vector128<float>.Zero) & Vector128<float>.One);

    /// <summary>sign(x) in {-1, 0, +1} (0 for ±0 and NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Sign(Vector256<float> x) =>
        (Vector256.GreaterThan(x, Vector256<float>.Zero) & Vector256<float>.One) - (Vector256.LessThan(x, Vector256<float>.Zero) & Vector256<float>.One);

    /// <summary>sign(x) in {-1, 0, +1} (0 for ±0 and NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Sign(Vector512<float> x) =>
        (Vector512.GreaterThan(x, Vector512<float>.Zero) & Vector512<float>.One) - (Vector512.LessThan(x, Vector512<float>.Zero) & Vector512<float>.One);

    /// <summary>sign(x) in {-1, 0, +1} (0 for ±0 and NaN; MathF.Sign would throw on NaN).</summary>
    internal static float Sign(float x) => x > 0f ? 1f : x < 0f ? -1f : 0f;
}

/// <summary>How PowOperator evaluates x^e, fixed once per exponent.</summary>
internal enum PowKind
{
    /// <summary>e = 0: 1 (also for NaN, like torch).</summary>
    One,

    /// <summary>e = 1: x.</summary>
    Identity,

    /// <summary>e = 2: x*x.</summary>
    Square,

    /// <summary>e = 0.5: sqrt(x).</summary>
    Sqrt,

    /// <summary>e = -1: 1/x.</summary>
    Reciprocal,

    /// <summary>Odd integer e: sign(x) * |x|^e.</summary>
    OddInteger,

    /// <summary>Even integer e: |x|^e.</summary>
    EvenInteger,

    /// <summary>Non-integer e: |x|^e for x &gt;= 0, NaN for finite x &lt; 0.</summary>
    Fractional,

    /// <summary>e = -0.5: 1/sqrt(x), so -0 gives -inf as PyTorch's rsqrt special case does (pow gives +inf).</summary>
    ReciprocalSqrt,

    /// <summary>e = ±inf or NaN: C's pow conventions (pow(±1, ±inf) = 1, pow(1, NaN) = 1, pow(-2, inf) = inf).</summary>
    NonFinite,
}

// ---------------------------------------------------------------- binary

/// <summary>y = a + b</summary>
internal readonly struct AddOperator : IBinaryOperator
{
    /// <summary>a + b</summary>
    public float Invoke(float a, float b) => a + b;

    /// <summary>a + b</summary>
    public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a + b;

    /// <summary>a + b</summary>
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a + b;

    /// <summary>a + b</summary>
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a + b;
}

/// <summary>y = a - b</summary>
internal readonly struct SubtractOperator : IBinaryOperator
{
    /// <summary>a - b</summary>
    public float Invoke(float a, float b) => a - b;

    /// <summary>a - b</summary>
    public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a - b;

    /// <summary>a - b</summary>
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a - b;

    /// <summary>a - b</summary>
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a - b;
}

/// <summary>y = a * b</summary>
internal readonly struct MultiplyOperator : IBinaryOperator
{
    /// <summary>a * b</summary>
    public float Invoke(float a, float b) => a * b;

    /// <summary>a * b</summary>
    public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a * b;

    /// <summary>a * b</summary>
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a * b;

    /// <summary>a * b</summary>
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a * b;
}

/// <summary>y = a / b</summary>
internal readonly struct DivideOperator : IBinaryOperator
{
    /// <summary>a / b</summary>
    public float Invoke(float a, float b) => a / b;

    /// <summary>a / b</summary>
    public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a / b;

    /// <summary>a / b</summary>
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a / b;

    /// <summary>a / b</summary>
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a / b;
}

/// <summary>y = max(a, b), NaN if either is NaN (IEEE maximum, as torch.maximum).</summary>
internal readonly struct MaxOperator : IBinaryOperator
{
    /// <summary>max(a, b)</summary>
    public float Invoke(float a, float b) => MathF.Max(a, b);

    /// <summary>max(a, b)</summary>
    public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => VectorCompat.Max(a, b);

    /// <summary>max(a, b)</summary>
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => VectorCompat.Max(a, b);

    /// <summary>max(a, b)</summary>
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => VectorCompat.Max(a, b);
}

// ---------------------------------------------------------------- unary

/// <summary>y = -x</summary>
internal readonly struct NegateOperator : IUnaryOperator
{
    /// <summary>-x</summary>
    public float Invoke(float x) => -x;

    /// <summary>-x</summary>
    public Vector128<float> Invoke(Vector128<float> x) => -x;

    /// <summary>-x</summary>
    public Vector256<float> Invoke(Vector256<float> x) => -x;

    /// <summary>-x</summary>
    public Vector512<float> Invoke(Vector512<float> x) => -x;
}

/// <summary>y = exp(x), within 1 ulp (<see cref="Transcendentals"/>: the same bits at every width)</summary>
internal readonly struct ExpOperator : IUnaryOperator
{
    /// <summary>exp(x)</summary>
    public float Invoke(float x) => Transcendentals.Exp(x);

    /// <summary>exp(x)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => Transcendentals.Exp(x);

    /// <summary>exp(x)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => Transcendentals.Exp(x);

    /// <summary>exp(x)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => Transcendentals.Exp(x);
}

/// <summary>y = log(x), within 1 ulp (<see cref="Transcendentals"/>: the same bits at every width)</summary>
internal readonly struct LogOperator : IUnaryOperator
{
    /// <summary>log(x)</summary>
    public float Invoke(float x) => Transcendentals.Log(x);

    /// <summary>log(x)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => Transcendentals.Log(x);

    /// <summary>log(x)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => Transcendentals.Log(x);

    /// <summary>log(x)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => Transcendentals.Log(x);
}

/// <summary>y = tanh(x), within 3 ulp, exactly x for |x| &lt; 2^-12 (<see cref="Transcendentals"/>: the same bits at every width)</summary>
internal readonly struct TanhOperator : IUnaryOperator
{
    /// <summary>tanh(x)</summary>
    public float Invoke(float x) => Transcendentals.Tanh(x);

    /// <summary>tanh(x)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => Transcendentals.Tanh(x);

    /// <summary>tanh(x)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => Transcendentals.Tanh(x);

    /// <summary>tanh(x)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => Transcendentals.Tanh(x);
}

/// <summary>y = 1/(1+exp(-x)), as exp(x)/(1+exp(x)) for x &lt; 0, within 2.5 ulp: ±inf give 1 and 0, never NaN
/// (<see cref="Transcendentals"/>: the same bits at every width).</summary>
internal readonly struct SigmoidOperator : IUnaryOperator
{
    /// <summary>1/(1+exp(-x))</summary>
    public float Invoke(float x) => Transcendentals.Sigmoid(x);

    /// <summary>1/(1+exp(-x))</summary>
    public Vector128<float> Invoke(Vector128<float> x) => Transcendentals.Sigmoid(x);

    /// <summary>1/(1+exp(-x))</summary>
    public Vector256<float> Invoke(Vector256<float> x) => Transcendentals.Sigmoid(x);

    /// <summary>1/(1+exp(-x))</summary>
    public Vector512<float> Invoke(Vector512<float> x) => Transcendentals.Sigmoid(x);
}

/// <summary>y = max(x, 0); NaN stays NaN (IEEE maximum).</summary>
internal readonly struct ReluOperator : IUnaryOperator
{
    /// <summary>max(x, 0)</summary>
    public float Invoke(float x) => MathF.Max(x, 0f);

    /// <summary>max(x, 0)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => VectorCompat.Max(x, Vector128<float>.Zero);

    /// <summary>max(x, 0)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => VectorCompat.Max(x, Vector256<float>.Zero);

    /// <summary>max(x, 0)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => VectorCompat.Max(x, Vector512<float>.Zero);
}

/// <summary>y = sqrt(x)</summary>
internal readonly struct SqrtOperator : IUnaryOperator
{
    /// <summary>sqrt(x)</summary>
    public float Invoke(float x) => MathF.Sqrt(x);

    /// <summary>sqrt(x)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Sqrt(x);

    /// <summary>sqrt(x)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Sqrt(x);

    /// <summary>sqrt(x)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.Sqrt(x);
}

/// <summary>y = |x|</summary>
internal readonly struct AbsOperator : IUnaryOperator
{
    /// <summary>|x|</summary>
    public float Invoke(float x) => MathF.Abs(x);

    /// <summary>|x|</summary>
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Abs(x);

    /// <summary>|x|</summary>
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Abs(x);

    /// <summary>|x|</summary>
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.Abs(x);
}

/// <summary>y = x*x</summary>
internal readonly struct SquareOperator : IUnaryOperator
{
    /// <summary>x*x</summary>
    public float Invoke(float x) => x * x;

    /// <summary>x*x</summary>
    public Vector128<float> Invoke(Vector128<float> x) => x * x;

    /// <summary>x*x</summary>
    public Vector256<float> Invoke(Vector256<float> x) => x * x;

    /// <summary>x*x</summary>
    public Vector512<float> Invoke(Vector512<float> x) => x * x;
}

/// <summary>y = x^e for a scalar exponent e (torch.pow(tensor, float)): e = 2 -> x*x, 1 -> x,
/// 0 -> 1, 0.5 -> sqrt(x), -1 -> 1/x, other integers -> sign-correct |x|^e, non-integer e with
/// finite x &lt; 0 -> NaN, 0^(e&gt;0) = 0, 0^(e&lt;0) = +inf (-inf for -0 and odd e, as C pow).</summary>
internal readonly struct PowOperator : IUnaryOperator
{
    private readonly float _e;
    private readonly PowKind _kind;

    /// <summary>Classifies the exponent once so Invoke only switches on a constant.</summary>
    public PowOperator(float exponent)
    {
        _e = exponent;
        _kind = exponent switch
        {
            0f => PowKind.One,
            1f => PowKind.Identity,
            2f => PowKind.Square,
            0.5f => PowKind.Sqrt,
            -1f => PowKind.Reciprocal,
            -0.5f => PowKind.ReciprocalSqrt,
            _ when !float.IsFinite(exponent) => PowKind.NonFinite,
            _ when float.IsInteger(exponent) => float.IsOddInteger(exponent) ? PowKind.OddInteger : PowKind.EvenInteger,
            _ => PowKind.Fractional,
        };
    }

    /// <summary>The exponent e.</summary>
    public float Exponent => _e;

    /// <summary>x^e</summary>
    public float Invoke(float x) => _kind switch
    {
        PowKind.One => 1f,
        PowKind.Identity => x,
        PowKind.Square => x * x,
        PowKind.Sqrt => MathF.Sqrt(x),
        PowKind.Reciprocal => 1f / x,
        PowKind.ReciprocalSqrt => 1f / MathF.Sqrt(x),
        _ => Operators.PowGeneral<float, ScalarLanes>(x, _e, _kind),
    };

    /// <summary>x^e</summary>
    public Vector128<float> Invoke(Vector128<float> x) => _kind switch
    {
        PowKind.One => Vector128<float>.One,
        PowKind.Identity => x,
        PowKind.Square => x * x,
        PowKind.Sqrt => Vector128.Sqrt(x),
        PowKind.Reciprocal => Vector128<float>.One / x,
        PowKind.ReciprocalSqrt => Vector128<float>.One / Vector128.Sqrt(x),
        _ => Operators.PowGeneral<Vector128<float>, Lanes128>(x, _e, _kind),
    };

    /// <summary>x^e</summary>
    public Vector256<float> Invoke(Vector256<float> x) => _kind switch
    {
        PowKind.One => Vector256<float>.One,
        PowKind.Identity => x,
        PowKind.Square => x * x,
        PowKind.Sqrt => Vector256.Sqrt(x),
        PowKind.Reciprocal => Vector256<float>.One / x,
        PowKind.ReciprocalSqrt => Vector256<float>.One / Vector256.Sqrt(x),
        _ => Operators.PowGeneral<Vector256<float>, Lanes256>(x, _e, _kind),
    };

    /// <summary>x^e</summary>
    public Vector512<float> Invoke(Vector512<float> x) => _kind switch
    {
        PowKind.One => Vector512<float>.One,
        PowKind.Identity => x,
        PowKind.Square => x * x,
        PowKind.Sqrt => Vector512.Sqrt(x),
        PowKind.Reciprocal => Vector512<float>.One / x,
        PowKind.ReciprocalSqrt => Vector512<float>.One / Vector512.Sqrt(x),
        _ => Operators.PowGeneral<Vector512<float>, Lanes512>(x, _e, _kind),
    };
}

/// <summary>y = x &gt; 0 ? x : x*slope</summary>
internal readonly struct LeakyReluOperator(float slope) : IUnaryOperator
{
    private readonly float _slope = slope;

    /// <summary>x &gt; 0 ? x : x*slope</summary>
    public float Invoke(float x) => x > 0f ? x : x * _slope;

    /// <summary>x &gt; 0 ? x : x*slope</summary>
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), x, x * Vector128.Create(_slope));

    /// <summary>x &gt; 0 ? x : x*slope</summary>
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, x * Vector256.Create(_slope));

    /// <summary>x &gt; 0 ? x : x*slope</summary>
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, x * Vector512.Create(_slope));
}

/// <summary>y = min(max(x, min), max) (torch.clamp; NaN stays NaN).</summary>
internal readonly struct ClampOperator(float min, float max) : IUnaryOperator
{
    private readonly float _min = min;
    private readonly float _max = max;

    /// <summary>min(max(x, min), max)</summary>
    public float Invoke(float x) => MathF.Min(MathF.Max(x, _min), _max);

    /// <summary>min(max(x, min), max)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => VectorCompat.Min(VectorCompat.Max(x, Vector128.Create(_min)), Vector128.Create(_max));

    /// <summary>min(max(x, min), max)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => VectorCompat.Min(VectorCompat.Max(x, Vector256.Create(_min)), Vector256.Create(_max));

    /// <summary>min(max(x, min), max)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => VectorCompat.Min(VectorCompat.Max(x, Vector512.Create(_min)), Vector512.Create(_max));
}

/// <summary>y = x + s</summary>
internal readonly struct AddScalarOperator(float s) : IUnaryOperator
{
    private readonly float _s = s;

    /// <summary>x + s</summary>
    public float Invoke(float x) => x + _s;

    /// <summary>x + s</summary>
    public Vector128<float> Invoke(Vector128<float> x) => x + Vector128.Create(_s);

    /// <summary>x + s</summary>
    public Vector256<float> Invoke(Vector256<float> x) => x + Vector256.Create(_s);

    /// <summary>x + s</summary>
    public Vector512<float> Invoke(Vector512<float> x) => x + Vector512.Create(_s);
}

/// <summary>y = x * s</summary>
internal readonly struct MultiplyScalarOperator(float s) : IUnaryOperator
{
    private readonly float _s = s;

    /// <summary>x * s</summary>
    public float Invoke(float x) => x * _s;

    /// <summary>x * s</summary>
    public Vector128<float> Invoke(Vector128<float> x) => x * Vector128.Create(_s);

    /// <summary>x * s</summary>
    public Vector256<float> Invoke(Vector256<float> x) => x * Vector256.Create(_s);

    /// <summary>x * s</summary>
    public Vector512<float> Invoke(Vector512<float> x) => x * Vector512.Create(_s);
}

/// <summary>y = s - x</summary>
internal readonly struct ReverseSubtractScalarOperator(float s) : IUnaryOperator
{
    private readonly float _s = s;

    /// <summary>s - x</summary>
    public float Invoke(float x) => _s - x;

    /// <summary>s - x</summary>
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Create(_s) - x;

    /// <summary>s - x</summary>
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Create(_s) - x;

    /// <summary>s - x</summary>
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.Create(_s) - x;
}

/// <summary>y = x / s</summary>
internal readonly struct DivideScalarOperator(float s) : IUnaryOperator
{
    private readonly float _s = s;

    /// <summary>x / s</summary>
    public float Invoke(float x) => x / _s;

    /// <summary>x / s</summary>
    public Vector128<float> Invoke(Vector128<float> x) => x / Vector128.Create(_s);

    /// <summary>x / s</summary>
    public Vector256<float> Invoke(Vector256<float> x) => x / Vector256.Create(_s);

    /// <summary>x / s</summary>
    public Vector512<float> Invoke(Vector512<float> x) => x / Vector512.Create(_s);
}

/// <summary>y = s / x</summary>
internal readonly struct ReverseDivideScalarOperator(float s) : IUnaryOperator
{
    private readonly float _s = s;

    /// <summary>s / x</summary>
    public float Invoke(float x) => _s / x;

    /// <summary>s / x</summary>
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Create(_s) / x;

    /// <summary>s / x</summary>
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Create(_s) / x;

    /// <summary>s / x</summary>
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.Create(_s) / x;
}

// ---------------------------------------------------------------- gradients (g upstream, x input, y output)

/// <summary>dx += g * y (y = exp(x))</summary>
internal readonly struct ExpGradOperator : IUnaryGradOperator
{
    /// <summary>Reads y alone.</summary>
    public static bool ReadsInput => false;

    /// <summary>g * y</summary>
    public float Invoke(float g, float x, float y) => g * y;

    /// <summary>g * y</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => g * y;

    /// <summary>g * y</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => g * y;

    /// <summary>g * y</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => g * y;
}

/// <summary>dx += g / x</summary>
internal readonly struct LogGradOperator : IUnaryGradOperator
{
    /// <summary>g / x</summary>
    public float Invoke(float g, float x, float y) => g / x;

    /// <summary>g / x</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => g / x;

    /// <summary>g / x</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => g / x;

    /// <summary>g / x</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => g / x;
}

/// <summary>dx += g * (1 - y*y)</summary>
internal readonly struct TanhGradOperator : IUnaryGradOperator
{
    /// <summary>Reads y alone.</summary>
    public static bool ReadsInput => false;

    /// <summary>g * (1 - y*y)</summary>
    public float Invoke(float g, float x, float y) => g * (1f - y * y);

    /// <summary>g * (1 - y*y)</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => g * (Vector128<float>.One - y * y);

    /// <summary>g * (1 - y*y)</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => g * (Vector256<float>.One - y * y);

    /// <summary>g * (1 - y*y)</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => g * (Vector512<float>.One - y * y);
}

/// <summary>dx += g * y * (1 - y)</summary>
internal readonly struct SigmoidGradOperator : IUnaryGradOperator
{
    /// <summary>Reads y alone.</summary>
    public static bool ReadsInput => false;

    /// <summary>g * y * (1 - y)</summary>
    public float Invoke(float g, float x, float y) => g * y * (1f - y);

    /// <summary>g * y * (1 - y)</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => g * y * (Vector128<float>.One - y);

    /// <summary>g * y * (1 - y)</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => g * y * (Vector256<float>.One - y);

    /// <summary>g * y * (1 - y)</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => g * y * (Vector512<float>.One - y);
}

/// <summary>dx += y &lt;= 0 ? 0 : g (PyTorch's threshold_backward on the output: NaN passes g through)</summary>
internal readonly struct ReluGradOperator : IUnaryGradOperator
{
    /// <summary>Reads y alone.</summary>
    public static bool ReadsInput => false;

    /// <summary>y &lt;= 0 ? 0 : g</summary>
    public float Invoke(float g, float x, float y) => y <= 0f ? 0f : g;

    /// <summary>y &lt;= 0 ? 0 : g</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => Vector128.AndNot(g, Vector128.LessThanOrEqual(y, Vector128<float>.Zero));

    /// <summary>y &lt;= 0 ? 0 : g</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => Vector256.AndNot(g, Vector256.LessThanOrEqual(y, Vector256<float>.Zero));

    /// <summary>y &lt;= 0 ? 0 : g</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => Vector512.AndNot(g, Vector512.LessThanOrEqual(y, Vector512<float>.Zero));
}

/// <summary>dx += g / s (x / s backward: dividing g, not multiplying by 1/s, which overflows for tiny s)</summary>
internal readonly struct DivideScalarGradOperator(float s) : IUnaryGradOperator
{
    private readonly float _s = s;

    /// <summary>g / s</summary>
    public float Invoke(float g, float x, float y) => g / _s;

    /// <summary>g / s</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => g / Vector128.Create(_s);

    /// <summary>g / s</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => g / Vector256.Create(_s);

    /// <summary>g / s</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => g / Vector512.Create(_s);
}

/// <summary>dx += g / (2*y) (y = sqrt(x))</summary>
internal readonly struct SqrtGradOperator : IUnaryGradOperator
{
    /// <summary>Reads y alone.</summary>
    public static bool ReadsInput => false;

    /// <summary>g / (2*y)</summary>
    public float Invoke(float g, float x, float y) => g / (2f * y);

    /// <summary>g / (2*y)</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => g / (y + y);

    /// <summary>g / (2*y)</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => g / (y + y);

    /// <summary>g / (2*y)</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => g / (y + y);
}

/// <summary>dx += g * sign(x), sign(0) = 0</summary>
internal readonly struct AbsGradOperator : IUnaryGradOperator
{
    /// <summary>g * sign(x)</summary>
    public float Invoke(float g, float x, float y) => g * Operators.Sign(x);

    /// <summary>g * sign(x)</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => g * Operators.Sign(x);

    /// <summary>g * sign(x)</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => g * Operators.Sign(x);

    /// <summary>g * sign(x)</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => g * Operators.Sign(x);
}

/// <summary>dx += g * 2 * x</summary>
internal readonly struct SquareGradOperator : IUnaryGradOperator
{
    /// <summary>g * 2 * x</summary>
    public float Invoke(float g, float x, float y) => g * 2f * x;

    /// <summary>g * 2 * x</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => (g + g) * x;

    /// <summary>g * 2 * x</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => (g + g) * x;

    /// <summary>g * 2 * x</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => (g + g) * x;
}

/// <summary>dx += g * (e * x^(e-1)); 0 when e = 0 (torch's pow_backward), x^(e-1) as PowOperator.</summary>
internal readonly struct PowGradOperator(float exponent) : IUnaryGradOperator
{
    private readonly float _e = exponent;
    private readonly PowOperator _pow = new(exponent - 1f);

    /// <summary>g * (e * x^(e-1))</summary>
    public float Invoke(float g, float x, float y) => _e == 0f ? 0f : g * (_e * _pow.Invoke(x));

    /// <summary>g * (e * x^(e-1))</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) =>
        _e == 0f ? Vector128<float>.Zero : g * (Vector128.Create(_e) * _pow.Invoke(x));

    /// <summary>g * (e * x^(e-1))</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) =>
        _e == 0f ? Vector256<float>.Zero : g * (Vector256.Create(_e) * _pow.Invoke(x));

    /// <summary>g * (e * x^(e-1))</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) =>
        _e == 0f ? Vector512<float>.Zero : g * (Vector512.Create(_e) * _pow.Invoke(x));
}

/// <summary>dx += x &gt; 0 ? g : g*slope</summary>
internal readonly struct LeakyReluGradOperator(float slope) : IUnaryGradOperator
{
    private readonly float _slope = slope;

    /// <summary>x &gt; 0 ? g : g*slope</summary>
    public float Invoke(float g, float x, float y) => x > 0f ? g : g * _slope;

    /// <summary>x &gt; 0 ? g : g*slope</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) =>
        Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), g, g * Vector128.Create(_slope));

    /// <summary>x &gt; 0 ? g : g*slope</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), g, g * Vector256.Create(_slope));

    /// <summary>x &gt; 0 ? g : g*slope</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), g, g * Vector512.Create(_slope));
}

/// <summary>dx += (x &gt;= min &amp;&amp; x &lt;= max) ? g : 0</summary>
internal readonly struct ClampGradOperator(float min, float max) : IUnaryGradOperator
{
    private readonly float _min = min;
    private readonly float _max = max;

    /// <summary>(x &gt;= min &amp;&amp; x &lt;= max) ? g : 0</summary>
    public float Invoke(float g, float x, float y) => x >= _min && x <= _max ? g : 0f;

    /// <summary>(x &gt;= min &amp;&amp; x &lt;= max) ? g : 0</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) =>
        Vector128.GreaterThanOrEqual(x, Vector128.Create(_min)) & Vector128.LessThanOrEqual(x, Vector128.Create(_max)) & g;

    /// <summary>(x &gt;= min &amp;&amp; x &lt;= max) ? g : 0</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) =>
        Vector256.GreaterThanOrEqual(x, Vector256.Create(_min)) & Vector256.LessThanOrEqual(x, Vector256.Create(_max)) & g;

    /// <summary>(x &gt;= min &amp;&amp; x &lt;= max) ? g : 0</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) =>
        Vector512.GreaterThanOrEqual(x, Vector512.Create(_min)) & Vector512.LessThanOrEqual(x, Vector512.Create(_max)) & g;
}

/// <summary>dx += -g</summary>
internal readonly struct NegateGradOperator : IUnaryGradOperator
{
    /// <summary>-g</summary>
    public float Invoke(float g, float x, float y) => -g;

    /// <summary>-g</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => -g;

    /// <summary>-g</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => -g;

    /// <summary>-g</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => -g;
}
