using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ArenaGrad.Kernels;

// The kernels of the elementwise math family (issue 16). Every formula is written once over the lane arithmetic of
// Lanes.cs (MathFormulas below, the transcendentals in Trigonometry.cs and Transcendentals.cs), and each operator
// struct's Invoke is that formula at one width, so the scalar path and Vector128/256/512 give the same bits. The
// formulas follow PyTorch 1.13's CPU kernels and derivatives.yaml in their order of operations.

/// <summary>The formulas of the math family's operator structs, over any lane width.</summary>
internal static class MathFormulas
{
    private const int SignBit = unchecked((int)0x80000000);

    /// <summary>2^23: from here on every float is an integer; below, adding and subtracting it rounds to an integer.</summary>
    private const float TwoTo23 = 8388608f;

    /// <summary>1 / sqrt(x) (torch.rsqrt: rsqrt(-0) = -inf).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Rsqrt<TV, TL>(TV x) where TV : struct where TL : struct, ILanes<TV> =>
        TL.Divide(TL.Create(1f), TL.SquareRoot(x));

    /// <summary>1 / x</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Reciprocal<TV, TL>(TV x) where TV : struct where TL : struct, ILanes<TV> =>
        TL.Divide(TL.Create(1f), x);

    /// <summary>(x &gt; 0) - (x &lt; 0): +0 for ±0 and NaN, as torch.sign in 1.13.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Sign<TV, TL>(TV x) where TV : struct where TL : struct, ILanes<TV> =>
        TL.Subtract(TL.And(TL.GreaterThan(x, TL.Create(0f)), TL.Create(1f)), TL.And(TL.LessThan(x, TL.Create(0f)), TL.Create(1f)));

    /// <summary>Round half to even: |x| + 2^23 - 2^23 below 2^23 (the addition rounds), x itself from there on (and
    /// for ±inf and NaN); the sign is x's, so round(-0.4) = -0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Round<TV, TL>(TV x) where TV : struct where TL : struct, ILanes<TV>
    {
        TV sign = TL.And(x, TL.CreateBits(SignBit));
        TV ax = TL.Xor(x, sign);
        TV rounded = TL.Subtract(TL.Add(ax, TL.Create(TwoTo23)), TL.Create(TwoTo23));
        return TL.Or(TL.Select(TL.LessThan(ax, TL.Create(TwoTo23)), rounded, ax), sign);
    }

    /// <summary>floor(x): round(x), less one where that rounded up (floor(-0) = -0, floor(-0.5) = -1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Floor<TV, TL>(TV x) where TV : struct where TL : struct, ILanes<TV>
    {
        TV r = Round<TV, TL>(x);
        return TL.Select(TL.GreaterThan(r, x), TL.Subtract(r, TL.Create(1f)), r);
    }

    /// <summary>x beta &gt; threshold ? x : log1p(exp(x beta)) / beta (PyTorch's softplus kernel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Softplus<TV, TL>(TV x, float beta, float threshold) where TV : struct where TL : struct, ILanes<TV>
    {
        TV xb = TL.Multiply(x, TL.Create(beta));
        TV soft = TL.Divide(Trigonometry.Log1p<TV, TL>(Transcendentals.Exp<TV, TL>(xb)), TL.Create(beta));
        return TL.Select(TL.GreaterThan(xb, TL.Create(threshold)), x, soft);
    }

    /// <summary>x &lt;= 0 ? expm1(x) alpha : x (F.elu with scale 1 and input scale 1; NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Elu<TV, TL>(TV x, float alpha) where TV : struct where TL : struct, ILanes<TV> =>
        TL.Select(TL.GreaterThanOrEqual(TL.Create(0f), x), TL.Multiply(Trigonometry.Expm1<TV, TL>(x), TL.Create(alpha)), x);

    /// <summary>(x/2)(1 + erf(x/sqrt 2)), as PyTorch's gelu kernel orders it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Gelu<TV, TL>(TV x) where TV : struct where TL : struct, ILanes<TV> =>
        TL.Multiply(TL.Multiply(x, TL.Create(0.5f)), TL.Add(TL.Create(1f), Trigonometry.Erf<TV, TL>(TL.Multiply(x, TL.Create(SqrtHalf)))));

    /// <summary>(x/2)(1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))), as PyTorch's gelu kernel (approximate='tanh') orders it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV GeluTanh<TV, TL>(TV x) where TV : struct where TL : struct, ILanes<TV>
    {
        TV cube = TL.Multiply(TL.Multiply(x, x), x);
        TV inner = TL.Multiply(TL.Create(GeluTanhBeta), TL.Add(x, TL.Multiply(TL.Create(GeluKappa), cube)));
        return TL.Multiply(TL.Multiply(TL.Create(0.5f), x), TL.Add(TL.Create(1f), Transcendentals.Tanh<TV, TL>(inner)));
    }

    /// <summary>x / (1 + exp(-x)), PyTorch's silu kernel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Silu<TV, TL>(TV x) where TV : struct where TL : struct, ILanes<TV> =>
        TL.Divide(x, TL.Add(TL.Create(1f), Transcendentals.Exp<TV, TL>(TL.Xor(x, TL.CreateBits(SignBit)))));

    /// <summary>x tanh(log1p(exp(x))), PyTorch's mish kernel (no threshold).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Mish<TV, TL>(TV x) where TV : struct where TL : struct, ILanes<TV> =>
        TL.Multiply(x, Transcendentals.Tanh<TV, TL>(Trigonometry.Log1p<TV, TL>(Transcendentals.Exp<TV, TL>(x))));

    private const float SqrtHalf = 0.707106781186547524f;          // M_SQRT1_2
    private const float GeluTanhBeta = 0.797884560802865356f;      // M_SQRT2 * M_2_SQRTPI * 0.5
    private const float GeluKappa = 0.044715f;
    private const float GeluPdfScale = 0.398942280401432678f;      // M_2_SQRTPI * M_SQRT1_2 * 0.5
    private const float TwoOverSqrtPi = 1.12837916709551257f;      // M_2_SQRTPI

    // ---------------------------------------------------------------- gradients (g upstream, x input, y output)

    /// <summary>g cos(x)</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV SinGrad<TV, TL>(TV g, TV x, TV y, bool anyLarge) where TV : struct where TL : struct, ILanes<TV> =>
        TL.Multiply(g, Trigonometry.Cos<TV, TL>(x, anyLarge));

    /// <summary>g (-sin(x))</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV CosGrad<TV, TL>(TV g, TV x, TV y, bool anyLarge) where TV : struct where TL : struct, ILanes<TV> =>
        TL.Multiply(g, TL.Xor(Trigonometry.Sin<TV, TL>(x, anyLarge), TL.CreateBits(SignBit)));

    /// <summary>g / (x + 1)</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Log1pGrad<TV, TL>(TV g, TV x, TV y) where TV : struct where TL : struct, ILanes<TV> =>
        TL.Divide(g, TL.Add(x, TL.Create(1f)));

    /// <summary>g (y + 1)</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Expm1Grad<TV, TL>(TV g, TV x, TV y) where TV : struct where TL : struct, ILanes<TV> =>
        TL.Multiply(g, TL.Add(y, TL.Create(1f)));

    /// <summary>(2/sqrt(pi)) exp(-x^2) g</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV ErfGrad<TV, TL>(TV g, TV x, TV y) where TV : struct where TL : struct, ILanes<TV> =>
        TL.Multiply(TL.Multiply(TL.Create(TwoOverSqrtPi), Transcendentals.Exp<TV, TL>(TL.Xor(TL.Multiply(x, x), TL.CreateBits(SignBit)))), g);

    /// <summary>(-0.5 g) y^3</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV RsqrtGrad<TV, TL>(TV g, TV x, TV y) where TV : struct where TL : struct, ILanes<TV> =>
        TL.Multiply(TL.Multiply(TL.Create(-0.5f), g), TL.Multiply(TL.Multiply(y, y), y));

    /// <summary>(-g) y^2</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV ReciprocalGrad<TV, TL>(TV g, TV x, TV y) where TV : struct where TL : struct, ILanes<TV> =>
        TL.Multiply(TL.Xor(g, TL.CreateBits(SignBit)), TL.Multiply(y, y));

    /// <summary>g (cdf + x pdf), cdf = (1 + erf(x/sqrt 2))/2, pdf = exp(-x^2/2)/sqrt(2 pi) (PyTorch's gelu_backward).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV GeluGrad<TV, TL>(TV g, TV x, TV y) where TV : struct where TL : struct, ILanes<TV>
    {
        TV cdf = TL.Multiply(TL.Create(0.5f), TL.Add(TL.Create(1f), Trigonometry.Erf<TV, TL>(TL.Multiply(x, TL.Create(SqrtHalf)))));
        TV pdf = TL.Multiply(TL.Create(GeluPdfScale), Transcendentals.Exp<TV, TL>(TL.Multiply(TL.Multiply(x, x), TL.Create(-0.5f))));
        return TL.Multiply(g, TL.MultiplyAdd(x, pdf, cdf));
    }

    /// <summary>PyTorch's gelu_backward for approximate='tanh': g (right/2 + (x/2)(1 - t^2) beta (1 + 3 kappa x^2)),
    /// t = tanh(beta (x + kappa x^3)), right = 1 + t.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV GeluTanhGrad<TV, TL>(TV g, TV x, TV y) where TV : struct where TL : struct, ILanes<TV>
    {
        TV square = TL.Multiply(x, x);
        TV cube = TL.Multiply(square, x);
        TV inner = TL.Multiply(TL.Create(GeluTanhBeta), TL.Add(x, TL.Multiply(TL.Create(GeluKappa), cube)));
        TV t = Transcendentals.Tanh<TV, TL>(inner);
        TV left = TL.Multiply(TL.Create(0.5f), x);
        TV right = TL.Add(TL.Create(1f), t);
        TV leftDerivative = TL.Multiply(TL.Create(0.5f), right);
        TV tanhDerivative = TL.Subtract(TL.Create(1f), TL.Multiply(t, t));
        TV innerDerivative = TL.Multiply(TL.Create(GeluTanhBeta), TL.Add(TL.Create(1f), TL.Multiply(TL.Create(3f * GeluKappa), square)));
        TV rightDerivative = TL.Multiply(TL.Multiply(left, tanhDerivative), innerDerivative);
        return TL.Multiply(g, TL.Add(leftDerivative, rightDerivative));
    }

    /// <summary>g s (1 + x (1 - s)), s = 1/(1 + exp(-x)) (PyTorch's silu_backward).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV SiluGrad<TV, TL>(TV g, TV x, TV y) where TV : struct where TL : struct, ILanes<TV>
    {
        TV s = TL.Divide(TL.Create(1f), TL.Add(TL.Create(1f), Transcendentals.Exp<TV, TL>(TL.Xor(x, TL.CreateBits(SignBit)))));
        return TL.Multiply(TL.Multiply(g, s), TL.MultiplyAdd(x, TL.Subtract(TL.Create(1f), s), TL.Create(1f)));
    }

    /// <summary>g (t + x s (1 - t^2)), s = 1/(1 + exp(-x)), t = tanh(log1p(exp(x))) (PyTorch's mish_backward).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV MishGrad<TV, TL>(TV g, TV x, TV y) where TV : struct where TL : struct, ILanes<TV>
    {
        TV s = TL.Divide(TL.Create(1f), TL.Add(TL.Create(1f), Transcendentals.Exp<TV, TL>(TL.Xor(x, TL.CreateBits(SignBit)))));
        TV t = Transcendentals.Tanh<TV, TL>(Trigonometry.Log1p<TV, TL>(Transcendentals.Exp<TV, TL>(x)));
        return TL.Multiply(g, TL.Add(t, TL.Multiply(TL.Multiply(x, s), TL.Subtract(TL.Create(1f), TL.Multiply(t, t)))));
    }

    /// <summary>x beta &gt; threshold ? g : g z / (z + 1), z = exp(x beta) (PyTorch's softplus_backward).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV SoftplusGrad<TV, TL>(TV g, TV x, TV y, float beta, float threshold) where TV : struct where TL : struct, ILanes<TV>
    {
        TV xb = TL.Multiply(x, TL.Create(beta));
        TV z = Transcendentals.Exp<TV, TL>(xb);
        return TL.Select(TL.GreaterThan(xb, TL.Create(threshold)), g, TL.Divide(TL.Multiply(g, z), TL.Add(z, TL.Create(1f))));
    }

    /// <summary>x &gt; 0 ? g : g alpha exp(x) (PyTorch's elu_backward on the input, as its vector kernel blends: a NaN x
    /// takes the exp side and gives NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV EluGrad<TV, TL>(TV g, TV x, TV y, float alpha) where TV : struct where TL : struct, ILanes<TV> =>
        TL.Select(TL.GreaterThan(x, TL.Create(0f)), g, TL.Multiply(TL.Multiply(g, TL.Create(alpha)), Transcendentals.Exp<TV, TL>(x)));

    /// <summary>x &lt;= min || x &gt;= max ? 0 : g (PyTorch's hardtanh_backward: NaN x passes g).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV HardtanhGrad<TV, TL>(TV g, TV x, TV y, float min, float max) where TV : struct where TL : struct, ILanes<TV>
    {
        TV outside = TL.Or(TL.GreaterThanOrEqual(TL.Create(min), x), TL.GreaterThanOrEqual(x, TL.Create(max)));
        return TL.Select(outside, TL.Create(0f), g);
    }

    // ---------------------------------------------------------------- minimum and maximum

    /// <summary>The share of g the left operand of maximum gets: 1/2 on a tie, 0 where it is the smaller, else 1 (so
    /// 1 where either is NaN), as derivatives.yaml's where(self == other, grad / 2, grad).masked_fill_(self &lt; other, 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV MaximumShare<TV, TL>(TV u, TV v) where TV : struct where TL : struct, ILanes<TV> =>
        TL.Select(TL.EqualTo(u, v), TL.Create(0.5f), TL.Select(TL.LessThan(u, v), TL.Create(0f), TL.Create(1f)));

    /// <summary>The share of g the left operand of minimum gets: 1/2 on a tie, 0 where it is the larger, else 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV MinimumShare<TV, TL>(TV u, TV v) where TV : struct where TL : struct, ILanes<TV> =>
        TL.Select(TL.EqualTo(u, v), TL.Create(0.5f), TL.Select(TL.GreaterThan(u, v), TL.Create(0f), TL.Create(1f)));

    /// <summary>share == 0 ? 0 : g share (masked_fill_ gives 0 even where g is infinite or NaN; g/2 = g * 0.5 exactly).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Share<TV, TL>(TV g, TV share) where TV : struct where TL : struct, ILanes<TV> =>
        TL.Select(TL.EqualTo(share, TL.Create(0f)), TL.Create(0f), TL.Multiply(g, share));
}

/// <summary>y = sin(x)</summary>
internal readonly struct SinOperator : IUnaryOperator
{
    /// <summary>sin(x)</summary>
    public float Invoke(float x) => Trigonometry.Sin<float, ScalarLanes>(x, Trigonometry.AnyLarge(x));

    /// <summary>sin(x)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => Trigonometry.Sin<Vector128<float>, Lanes128>(x, Trigonometry.AnyLarge(x));

    /// <summary>sin(x)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => Trigonometry.Sin<Vector256<float>, Lanes256>(x, Trigonometry.AnyLarge(x));

    /// <summary>sin(x)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => Trigonometry.Sin<Vector512<float>, Lanes512>(x, Trigonometry.AnyLarge(x));
}

/// <summary>y = cos(x)</summary>
internal readonly struct CosOperator : IUnaryOperator
{
    /// <summary>cos(x)</summary>
    public float Invoke(float x) => Trigonometry.Cos<float, ScalarLanes>(x, Trigonometry.AnyLarge(x));

    /// <summary>cos(x)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => Trigonometry.Cos<Vector128<float>, Lanes128>(x, Trigonometry.AnyLarge(x));

    /// <summary>cos(x)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => Trigonometry.Cos<Vector256<float>, Lanes256>(x, Trigonometry.AnyLarge(x));

    /// <summary>cos(x)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => Trigonometry.Cos<Vector512<float>, Lanes512>(x, Trigonometry.AnyLarge(x));
}

/// <summary>y = log(1 + x)</summary>
internal readonly struct Log1pOperator : IUnaryOperator
{
    /// <summary>log(1 + x)</summary>
    public float Invoke(float x) => Trigonometry.Log1p<float, ScalarLanes>(x);

    /// <summary>log(1 + x)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => Trigonometry.Log1p<Vector128<float>, Lanes128>(x);

    /// <summary>log(1 + x)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => Trigonometry.Log1p<Vector256<float>, Lanes256>(x);

    /// <summary>log(1 + x)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => Trigonometry.Log1p<Vector512<float>, Lanes512>(x);
}

/// <summary>y = exp(x) - 1</summary>
internal readonly struct Expm1Operator : IUnaryOperator
{
    /// <summary>exp(x) - 1</summary>
    public float Invoke(float x) => Trigonometry.Expm1<float, ScalarLanes>(x);

    /// <summary>exp(x) - 1</summary>
    public Vector128<float> Invoke(Vector128<float> x) => Trigonometry.Expm1<Vector128<float>, Lanes128>(x);

    /// <summary>exp(x) - 1</summary>
    public Vector256<float> Invoke(Vector256<float> x) => Trigonometry.Expm1<Vector256<float>, Lanes256>(x);

    /// <summary>exp(x) - 1</summary>
    public Vector512<float> Invoke(Vector512<float> x) => Trigonometry.Expm1<Vector512<float>, Lanes512>(x);
}

/// <summary>y = erf(x)</summary>
internal readonly struct ErfOperator : IUnaryOperator
{
    /// <summary>erf(x)</summary>
    public float Invoke(float x) => Trigonometry.Erf<float, ScalarLanes>(x);

    /// <summary>erf(x)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => Trigonometry.Erf<Vector128<float>, Lanes128>(x);

    /// <summary>erf(x)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => Trigonometry.Erf<Vector256<float>, Lanes256>(x);

    /// <summary>erf(x)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => Trigonometry.Erf<Vector512<float>, Lanes512>(x);
}

/// <summary>y = 1 / sqrt(x)</summary>
internal readonly struct RsqrtOperator : IUnaryOperator
{
    /// <summary>1 / sqrt(x)</summary>
    public float Invoke(float x) => MathFormulas.Rsqrt<float, ScalarLanes>(x);

    /// <summary>1 / sqrt(x)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => MathFormulas.Rsqrt<Vector128<float>, Lanes128>(x);

    /// <summary>1 / sqrt(x)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => MathFormulas.Rsqrt<Vector256<float>, Lanes256>(x);

    /// <summary>1 / sqrt(x)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => MathFormulas.Rsqrt<Vector512<float>, Lanes512>(x);
}

/// <summary>y = 1 / x</summary>
internal readonly struct ReciprocalOperator : IUnaryOperator
{
    /// <summary>1 / x</summary>
    public float Invoke(float x) => MathFormulas.Reciprocal<float, ScalarLanes>(x);

    /// <summary>1 / x</summary>
    public Vector128<float> Invoke(Vector128<float> x) => MathFormulas.Reciprocal<Vector128<float>, Lanes128>(x);

    /// <summary>1 / x</summary>
    public Vector256<float> Invoke(Vector256<float> x) => MathFormulas.Reciprocal<Vector256<float>, Lanes256>(x);

    /// <summary>1 / x</summary>
    public Vector512<float> Invoke(Vector512<float> x) => MathFormulas.Reciprocal<Vector512<float>, Lanes512>(x);
}

/// <summary>y = sign(x) in {-1, +0, +1} (+0 for ±0 and NaN, as torch.sign)</summary>
internal readonly struct SignOperator : IUnaryOperator
{
    /// <summary>sign(x) in {-1, +0, +1} (+0 for ±0 and NaN, as torch.sign)</summary>
    public float Invoke(float x) => MathFormulas.Sign<float, ScalarLanes>(x);

    /// <summary>sign(x) in {-1, +0, +1} (+0 for ±0 and NaN, as torch.sign)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => MathFormulas.Sign<Vector128<float>, Lanes128>(x);

    /// <summary>sign(x) in {-1, +0, +1} (+0 for ±0 and NaN, as torch.sign)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => MathFormulas.Sign<Vector256<float>, Lanes256>(x);

    /// <summary>sign(x) in {-1, +0, +1} (+0 for ±0 and NaN, as torch.sign)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => MathFormulas.Sign<Vector512<float>, Lanes512>(x);
}

/// <summary>y = floor(x)</summary>
internal readonly struct FloorOperator : IUnaryOperator
{
    /// <summary>floor(x)</summary>
    public float Invoke(float x) => MathFormulas.Floor<float, ScalarLanes>(x);

    /// <summary>floor(x)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => MathFormulas.Floor<Vector128<float>, Lanes128>(x);

    /// <summary>floor(x)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => MathFormulas.Floor<Vector256<float>, Lanes256>(x);

    /// <summary>floor(x)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => MathFormulas.Floor<Vector512<float>, Lanes512>(x);
}

/// <summary>y = round(x), half to even (torch.round)</summary>
internal readonly struct RoundOperator : IUnaryOperator
{
    /// <summary>round(x), half to even (torch.round)</summary>
    public float Invoke(float x) => MathFormulas.Round<float, ScalarLanes>(x);

    /// <summary>round(x), half to even (torch.round)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => MathFormulas.Round<Vector128<float>, Lanes128>(x);

    /// <summary>round(x), half to even (torch.round)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => MathFormulas.Round<Vector256<float>, Lanes256>(x);

    /// <summary>round(x), half to even (torch.round)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => MathFormulas.Round<Vector512<float>, Lanes512>(x);
}

/// <summary>y = x/2 (1 + erf(x/sqrt 2)) (F.gelu)</summary>
internal readonly struct GeluOperator : IUnaryOperator
{
    /// <summary>x/2 (1 + erf(x/sqrt 2)) (F.gelu)</summary>
    public float Invoke(float x) => MathFormulas.Gelu<float, ScalarLanes>(x);

    /// <summary>x/2 (1 + erf(x/sqrt 2)) (F.gelu)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => MathFormulas.Gelu<Vector128<float>, Lanes128>(x);

    /// <summary>x/2 (1 + erf(x/sqrt 2)) (F.gelu)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => MathFormulas.Gelu<Vector256<float>, Lanes256>(x);

    /// <summary>x/2 (1 + erf(x/sqrt 2)) (F.gelu)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => MathFormulas.Gelu<Vector512<float>, Lanes512>(x);
}

/// <summary>y = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (F.gelu approximate='tanh')</summary>
internal readonly struct GeluTanhOperator : IUnaryOperator
{
    /// <summary>x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (F.gelu approximate='tanh')</summary>
    public float Invoke(float x) => MathFormulas.GeluTanh<float, ScalarLanes>(x);

    /// <summary>x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (F.gelu approximate='tanh')</summary>
    public Vector128<float> Invoke(Vector128<float> x) => MathFormulas.GeluTanh<Vector128<float>, Lanes128>(x);

    /// <summary>x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (F.gelu approximate='tanh')</summary>
    public Vector256<float> Invoke(Vector256<float> x) => MathFormulas.GeluTanh<Vector256<float>, Lanes256>(x);

    /// <summary>x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (F.gelu approximate='tanh')</summary>
    public Vector512<float> Invoke(Vector512<float> x) => MathFormulas.GeluTanh<Vector512<float>, Lanes512>(x);
}

/// <summary>y = x / (1 + exp(-x)) (F.silu)</summary>
internal readonly struct SiluOperator : IUnaryOperator
{
    /// <summary>x / (1 + exp(-x)) (F.silu)</summary>
    public float Invoke(float x) => MathFormulas.Silu<float, ScalarLanes>(x);

    /// <summary>x / (1 + exp(-x)) (F.silu)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => MathFormulas.Silu<Vector128<float>, Lanes128>(x);

    /// <summary>x / (1 + exp(-x)) (F.silu)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => MathFormulas.Silu<Vector256<float>, Lanes256>(x);

    /// <summary>x / (1 + exp(-x)) (F.silu)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => MathFormulas.Silu<Vector512<float>, Lanes512>(x);
}

/// <summary>y = x tanh(log1p(exp(x))) (F.mish)</summary>
internal readonly struct MishOperator : IUnaryOperator
{
    /// <summary>x tanh(log1p(exp(x))) (F.mish)</summary>
    public float Invoke(float x) => MathFormulas.Mish<float, ScalarLanes>(x);

    /// <summary>x tanh(log1p(exp(x))) (F.mish)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => MathFormulas.Mish<Vector128<float>, Lanes128>(x);

    /// <summary>x tanh(log1p(exp(x))) (F.mish)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => MathFormulas.Mish<Vector256<float>, Lanes256>(x);

    /// <summary>x tanh(log1p(exp(x))) (F.mish)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => MathFormulas.Mish<Vector512<float>, Lanes512>(x);
}

/// <summary>y = x beta &gt; threshold ? x : log1p(exp(x beta)) / beta (F.softplus)</summary>
internal readonly struct SoftplusOperator(float beta, float threshold) : IUnaryOperator
{
    private readonly float _beta = beta;
    private readonly float _threshold = threshold;

    /// <summary>x beta &gt; threshold ? x : log1p(exp(x beta)) / beta (F.softplus)</summary>
    public float Invoke(float x) => MathFormulas.Softplus<float, ScalarLanes>(x, _beta, _threshold);

    /// <summary>x beta &gt; threshold ? x : log1p(exp(x beta)) / beta (F.softplus)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => MathFormulas.Softplus<Vector128<float>, Lanes128>(x, _beta, _threshold);

    /// <summary>x beta &gt; threshold ? x : log1p(exp(x beta)) / beta (F.softplus)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => MathFormulas.Softplus<Vector256<float>, Lanes256>(x, _beta, _threshold);

    /// <summary>x beta &gt; threshold ? x : log1p(exp(x beta)) / beta (F.softplus)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => MathFormulas.Softplus<Vector512<float>, Lanes512>(x, _beta, _threshold);
}

/// <summary>y = x &gt; 0 ? x : alpha expm1(x) (F.elu)</summary>
internal readonly struct EluOperator(float alpha) : IUnaryOperator
{
    private readonly float _alpha = alpha;

    /// <summary>x &gt; 0 ? x : alpha expm1(x) (F.elu)</summary>
    public float Invoke(float x) => MathFormulas.Elu<float, ScalarLanes>(x, _alpha);

    /// <summary>x &gt; 0 ? x : alpha expm1(x) (F.elu)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => MathFormulas.Elu<Vector128<float>, Lanes128>(x, _alpha);

    /// <summary>x &gt; 0 ? x : alpha expm1(x) (F.elu)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => MathFormulas.Elu<Vector256<float>, Lanes256>(x, _alpha);

    /// <summary>x &gt; 0 ? x : alpha expm1(x) (F.elu)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => MathFormulas.Elu<Vector512<float>, Lanes512>(x, _alpha);
}

/// <summary>dx += g cos(x)</summary>
internal readonly struct SinGradOperator : IUnaryGradOperator
{
    /// <summary>g cos(x)</summary>
    public float Invoke(float g, float x, float y) => MathFormulas.SinGrad<float, ScalarLanes>(g, x, y, Trigonometry.AnyLarge(x));

    /// <summary>g cos(x)</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => MathFormulas.SinGrad<Vector128<float>, Lanes128>(g, x, y, Trigonometry.AnyLarge(x));

    /// <summary>g cos(x)</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => MathFormulas.SinGrad<Vector256<float>, Lanes256>(g, x, y, Trigonometry.AnyLarge(x));

    /// <summary>g cos(x)</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => MathFormulas.SinGrad<Vector512<float>, Lanes512>(g, x, y, Trigonometry.AnyLarge(x));
}

/// <summary>dx += g (-sin(x))</summary>
internal readonly struct CosGradOperator : IUnaryGradOperator
{
    /// <summary>g (-sin(x))</summary>
    public float Invoke(float g, float x, float y) => MathFormulas.CosGrad<float, ScalarLanes>(g, x, y, Trigonometry.AnyLarge(x));

    /// <summary>g (-sin(x))</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => MathFormulas.CosGrad<Vector128<float>, Lanes128>(g, x, y, Trigonometry.AnyLarge(x));

    /// <summary>g (-sin(x))</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => MathFormulas.CosGrad<Vector256<float>, Lanes256>(g, x, y, Trigonometry.AnyLarge(x));

    /// <summary>g (-sin(x))</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => MathFormulas.CosGrad<Vector512<float>, Lanes512>(g, x, y, Trigonometry.AnyLarge(x));
}

/// <summary>dx += g / (x + 1)</summary>
internal readonly struct Log1pGradOperator : IUnaryGradOperator
{
    /// <summary>g / (x + 1)</summary>
    public float Invoke(float g, float x, float y) => MathFormulas.Log1pGrad<float, ScalarLanes>(g, x, y);

    /// <summary>g / (x + 1)</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => MathFormulas.Log1pGrad<Vector128<float>, Lanes128>(g, x, y);

    /// <summary>g / (x + 1)</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => MathFormulas.Log1pGrad<Vector256<float>, Lanes256>(g, x, y);

    /// <summary>g / (x + 1)</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => MathFormulas.Log1pGrad<Vector512<float>, Lanes512>(g, x, y);
}

/// <summary>dx += g (y + 1)</summary>
internal readonly struct Expm1GradOperator : IUnaryGradOperator
{
    /// <summary>g (y + 1)</summary>
    public float Invoke(float g, float x, float y) => MathFormulas.Expm1Grad<float, ScalarLanes>(g, x, y);

    /// <summary>g (y + 1)</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => MathFormulas.Expm1Grad<Vector128<float>, Lanes128>(g, x, y);

    /// <summary>g (y + 1)</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => MathFormulas.Expm1Grad<Vector256<float>, Lanes256>(g, x, y);

    /// <summary>g (y + 1)</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => MathFormulas.Expm1Grad<Vector512<float>, Lanes512>(g, x, y);
}

/// <summary>dx += (2/sqrt(pi)) exp(-x^2) g</summary>
internal readonly struct ErfGradOperator : IUnaryGradOperator
{
    /// <summary>(2/sqrt(pi)) exp(-x^2) g</summary>
    public float Invoke(float g, float x, float y) => MathFormulas.ErfGrad<float, ScalarLanes>(g, x, y);

    /// <summary>(2/sqrt(pi)) exp(-x^2) g</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => MathFormulas.ErfGrad<Vector128<float>, Lanes128>(g, x, y);

    /// <summary>(2/sqrt(pi)) exp(-x^2) g</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => MathFormulas.ErfGrad<Vector256<float>, Lanes256>(g, x, y);

    /// <summary>(2/sqrt(pi)) exp(-x^2) g</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => MathFormulas.ErfGrad<Vector512<float>, Lanes512>(g, x, y);
}

/// <summary>dx += (-g/2) y^3</summary>
internal readonly struct RsqrtGradOperator : IUnaryGradOperator
{
    /// <summary>(-g/2) y^3</summary>
    public float Invoke(float g, float x, float y) => MathFormulas.RsqrtGrad<float, ScalarLanes>(g, x, y);

    /// <summary>(-g/2) y^3</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => MathFormulas.RsqrtGrad<Vector128<float>, Lanes128>(g, x, y);

    /// <summary>(-g/2) y^3</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => MathFormulas.RsqrtGrad<Vector256<float>, Lanes256>(g, x, y);

    /// <summary>(-g/2) y^3</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => MathFormulas.RsqrtGrad<Vector512<float>, Lanes512>(g, x, y);
}

/// <summary>dx += (-g) y^2</summary>
internal readonly struct ReciprocalGradOperator : IUnaryGradOperator
{
    /// <summary>(-g) y^2</summary>
    public float Invoke(float g, float x, float y) => MathFormulas.ReciprocalGrad<float, ScalarLanes>(g, x, y);

    /// <summary>(-g) y^2</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => MathFormulas.ReciprocalGrad<Vector128<float>, Lanes128>(g, x, y);

    /// <summary>(-g) y^2</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => MathFormulas.ReciprocalGrad<Vector256<float>, Lanes256>(g, x, y);

    /// <summary>(-g) y^2</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => MathFormulas.ReciprocalGrad<Vector512<float>, Lanes512>(g, x, y);
}

/// <summary>dx += g (Phi(x) + x phi(x))</summary>
internal readonly struct GeluGradOperator : IUnaryGradOperator
{
    /// <summary>g (Phi(x) + x phi(x))</summary>
    public float Invoke(float g, float x, float y) => MathFormulas.GeluGrad<float, ScalarLanes>(g, x, y);

    /// <summary>g (Phi(x) + x phi(x))</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => MathFormulas.GeluGrad<Vector128<float>, Lanes128>(g, x, y);

    /// <summary>g (Phi(x) + x phi(x))</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => MathFormulas.GeluGrad<Vector256<float>, Lanes256>(g, x, y);

    /// <summary>g (Phi(x) + x phi(x))</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => MathFormulas.GeluGrad<Vector512<float>, Lanes512>(g, x, y);
}

/// <summary>dx += g (d/dx of the tanh form, as PyTorch's gelu_backward)</summary>
internal readonly struct GeluTanhGradOperator : IUnaryGradOperator
{
    /// <summary>g (d/dx of the tanh form, as PyTorch's gelu_backward)</summary>
    public float Invoke(float g, float x, float y) => MathFormulas.GeluTanhGrad<float, ScalarLanes>(g, x, y);

    /// <summary>g (d/dx of the tanh form, as PyTorch's gelu_backward)</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => MathFormulas.GeluTanhGrad<Vector128<float>, Lanes128>(g, x, y);

    /// <summary>g (d/dx of the tanh form, as PyTorch's gelu_backward)</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => MathFormulas.GeluTanhGrad<Vector256<float>, Lanes256>(g, x, y);

    /// <summary>g (d/dx of the tanh form, as PyTorch's gelu_backward)</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => MathFormulas.GeluTanhGrad<Vector512<float>, Lanes512>(g, x, y);
}

/// <summary>dx += g s (1 + x (1 - s)), s = sigmoid(x)</summary>
internal readonly struct SiluGradOperator : IUnaryGradOperator
{
    /// <summary>g s (1 + x (1 - s)), s = sigmoid(x)</summary>
    public float Invoke(float g, float x, float y) => MathFormulas.SiluGrad<float, ScalarLanes>(g, x, y);

    /// <summary>g s (1 + x (1 - s)), s = sigmoid(x)</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => MathFormulas.SiluGrad<Vector128<float>, Lanes128>(g, x, y);

    /// <summary>g s (1 + x (1 - s)), s = sigmoid(x)</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => MathFormulas.SiluGrad<Vector256<float>, Lanes256>(g, x, y);

    /// <summary>g s (1 + x (1 - s)), s = sigmoid(x)</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => MathFormulas.SiluGrad<Vector512<float>, Lanes512>(g, x, y);
}

/// <summary>dx += g (t + x sigmoid(x) (1 - t^2)), t = tanh(softplus(x))</summary>
internal readonly struct MishGradOperator : IUnaryGradOperator
{
    /// <summary>g (t + x sigmoid(x) (1 - t^2)), t = tanh(softplus(x))</summary>
    public float Invoke(float g, float x, float y) => MathFormulas.MishGrad<float, ScalarLanes>(g, x, y);

    /// <summary>g (t + x sigmoid(x) (1 - t^2)), t = tanh(softplus(x))</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => MathFormulas.MishGrad<Vector128<float>, Lanes128>(g, x, y);

    /// <summary>g (t + x sigmoid(x) (1 - t^2)), t = tanh(softplus(x))</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => MathFormulas.MishGrad<Vector256<float>, Lanes256>(g, x, y);

    /// <summary>g (t + x sigmoid(x) (1 - t^2)), t = tanh(softplus(x))</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => MathFormulas.MishGrad<Vector512<float>, Lanes512>(g, x, y);
}

/// <summary>dx += x beta &gt; threshold ? g : g z / (z + 1), z = exp(x beta)</summary>
internal readonly struct SoftplusGradOperator(float beta, float threshold) : IUnaryGradOperator
{
    private readonly float _beta = beta;
    private readonly float _threshold = threshold;

    /// <summary>x beta &gt; threshold ? g : g z / (z + 1), z = exp(x beta)</summary>
    public float Invoke(float g, float x, float y) => MathFormulas.SoftplusGrad<float, ScalarLanes>(g, x, y, _beta, _threshold);

    /// <summary>x beta &gt; threshold ? g : g z / (z + 1), z = exp(x beta)</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => MathFormulas.SoftplusGrad<Vector128<float>, Lanes128>(g, x, y, _beta, _threshold);

    /// <summary>x beta &gt; threshold ? g : g z / (z + 1), z = exp(x beta)</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => MathFormulas.SoftplusGrad<Vector256<float>, Lanes256>(g, x, y, _beta, _threshold);

    /// <summary>x beta &gt; threshold ? g : g z / (z + 1), z = exp(x beta)</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => MathFormulas.SoftplusGrad<Vector512<float>, Lanes512>(g, x, y, _beta, _threshold);
}

/// <summary>dx += x &gt; 0 ? g : g alpha exp(x)</summary>
internal readonly struct EluGradOperator(float alpha) : IUnaryGradOperator
{
    private readonly float _alpha = alpha;

    /// <summary>x &gt; 0 ? g : g alpha exp(x)</summary>
    public float Invoke(float g, float x, float y) => MathFormulas.EluGrad<float, ScalarLanes>(g, x, y, _alpha);

    /// <summary>x &gt; 0 ? g : g alpha exp(x)</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => MathFormulas.EluGrad<Vector128<float>, Lanes128>(g, x, y, _alpha);

    /// <summary>x &gt; 0 ? g : g alpha exp(x)</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => MathFormulas.EluGrad<Vector256<float>, Lanes256>(g, x, y, _alpha);

    /// <summary>x &gt; 0 ? g : g alpha exp(x)</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => MathFormulas.EluGrad<Vector512<float>, Lanes512>(g, x, y, _alpha);
}

/// <summary>dx += x &lt;= min || x &gt;= max ? 0 : g</summary>
internal readonly struct HardtanhGradOperator(float min, float max) : IUnaryGradOperator
{
    private readonly float _min = min;
    private readonly float _max = max;

    /// <summary>x &lt;= min || x &gt;= max ? 0 : g</summary>
    public float Invoke(float g, float x, float y) => MathFormulas.HardtanhGrad<float, ScalarLanes>(g, x, y, _min, _max);

    /// <summary>x &lt;= min || x &gt;= max ? 0 : g</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> x, Vector128<float> y) => MathFormulas.HardtanhGrad<Vector128<float>, Lanes128>(g, x, y, _min, _max);

    /// <summary>x &lt;= min || x &gt;= max ? 0 : g</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> x, Vector256<float> y) => MathFormulas.HardtanhGrad<Vector256<float>, Lanes256>(g, x, y, _min, _max);

    /// <summary>x &lt;= min || x &gt;= max ? 0 : g</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> x, Vector512<float> y) => MathFormulas.HardtanhGrad<Vector512<float>, Lanes512>(g, x, y, _min, _max);
}

/// <summary>y = min(a, b), NaN if either is NaN (IEEE minimum, as torch.minimum).</summary>
internal readonly struct MinOperator : IBinaryOperator
{
    /// <summary>min(a, b)</summary>
    public float Invoke(float a, float b) => MathF.Min(a, b);

    /// <summary>min(a, b)</summary>
    public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => VectorCompat.Min(a, b);

    /// <summary>min(a, b)</summary>
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => VectorCompat.Min(a, b);

    /// <summary>min(a, b)</summary>
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => VectorCompat.Min(a, b);
}

/// <summary>u == v ? 1/2 : u &lt; v ? 0 : 1 (maximum's share of g for u)</summary>
internal readonly struct MaximumShareOperator : IBinaryOperator
{
    /// <summary>u == v ? 1/2 : u &lt; v ? 0 : 1 (maximum's share of g for u)</summary>
    public float Invoke(float u, float v) => MathFormulas.MaximumShare<float, ScalarLanes>(u, v);

    /// <summary>u == v ? 1/2 : u &lt; v ? 0 : 1 (maximum's share of g for u)</summary>
    public Vector128<float> Invoke(Vector128<float> u, Vector128<float> v) => MathFormulas.MaximumShare<Vector128<float>, Lanes128>(u, v);

    /// <summary>u == v ? 1/2 : u &lt; v ? 0 : 1 (maximum's share of g for u)</summary>
    public Vector256<float> Invoke(Vector256<float> u, Vector256<float> v) => MathFormulas.MaximumShare<Vector256<float>, Lanes256>(u, v);

    /// <summary>u == v ? 1/2 : u &lt; v ? 0 : 1 (maximum's share of g for u)</summary>
    public Vector512<float> Invoke(Vector512<float> u, Vector512<float> v) => MathFormulas.MaximumShare<Vector512<float>, Lanes512>(u, v);
}

/// <summary>u == v ? 1/2 : u &gt; v ? 0 : 1 (minimum's share of g for u)</summary>
internal readonly struct MinimumShareOperator : IBinaryOperator
{
    /// <summary>u == v ? 1/2 : u &gt; v ? 0 : 1 (minimum's share of g for u)</summary>
    public float Invoke(float u, float v) => MathFormulas.MinimumShare<float, ScalarLanes>(u, v);

    /// <summary>u == v ? 1/2 : u &gt; v ? 0 : 1 (minimum's share of g for u)</summary>
    public Vector128<float> Invoke(Vector128<float> u, Vector128<float> v) => MathFormulas.MinimumShare<Vector128<float>, Lanes128>(u, v);

    /// <summary>u == v ? 1/2 : u &gt; v ? 0 : 1 (minimum's share of g for u)</summary>
    public Vector256<float> Invoke(Vector256<float> u, Vector256<float> v) => MathFormulas.MinimumShare<Vector256<float>, Lanes256>(u, v);

    /// <summary>u == v ? 1/2 : u &gt; v ? 0 : 1 (minimum's share of g for u)</summary>
    public Vector512<float> Invoke(Vector512<float> u, Vector512<float> v) => MathFormulas.MinimumShare<Vector512<float>, Lanes512>(u, v);
}

/// <summary>share == 0 ? 0 : g share</summary>
internal readonly struct ShareOperator : IBinaryOperator
{
    /// <summary>share == 0 ? 0 : g share</summary>
    public float Invoke(float g, float share) => MathFormulas.Share<float, ScalarLanes>(g, share);

    /// <summary>share == 0 ? 0 : g share</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> share) => MathFormulas.Share<Vector128<float>, Lanes128>(g, share);

    /// <summary>share == 0 ? 0 : g share</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> share) => MathFormulas.Share<Vector256<float>, Lanes256>(g, share);

    /// <summary>share == 0 ? 0 : g share</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> share) => MathFormulas.Share<Vector512<float>, Lanes512>(g, share);
}
