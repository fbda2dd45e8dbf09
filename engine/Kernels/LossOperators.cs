using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ArenaGrad.Kernels;

// The fused losses: one operator struct for each loss value ℓ(a, b) (a the input, b the target) and one for
// its derivative ∂ℓ/∂a times the upstream gradient g, in the order of floating-point operations of PyTorch
// 1.13's CPU kernels, so values and gradients round as PyTorch's do. The target's gradient of the losses that
// depend on a - b is the same operator with a and b swapped, exactly as PyTorch's derivatives.yaml writes it.

/// <summary>Loop drivers of the fused losses (the operators below run on the shared loops of <see cref="Loops"/>).</summary>
internal static unsafe class LossKernels
{
    /// <summary>Σ op(a[i], b[i]), the engine's fixed-order cascade sum (<see cref="PairwiseSum"/>), without a scratch buffer.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static float Sum<TOp>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
        where TOp : struct, IBinaryOperator
    {
        Check.SameLength(a.Length, b.Length, nameof(a), nameof(b));
        fixed (float* pa = a, pb = b)
        {
            return PairwiseSum.Sum(new BinarySource<TOp>(op, pa, pb), (nuint)a.Length);
        }
    }

    /// <summary>Σ op(x[i]), the engine's fixed-order cascade sum (<see cref="PairwiseSum"/>), without a scratch buffer.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static float SumOf<TOp>(TOp op, ReadOnlySpan<float> x)
        where TOp : struct, IUnaryOperator
    {
        fixed (float* px = x)
        {
            return PairwiseSum.Sum(new UnarySource<TOp>(op, px), (nuint)x.Length);
        }
    }

    /// <summary>dst[i] (= or +=) op(g, a[i], b[i]) with one upstream gradient g for every element (mean and sum
    /// reductions). dst must not alias a or b.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void UniformGradient<TOp>(TOp op, float g, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dst, bool accumulate)
        where TOp : struct, IUnaryGradOperator
    {
        Check.SameLength(a.Length, dst.Length, nameof(a), nameof(dst));
        Check.SameLength(b.Length, dst.Length, nameof(b), nameof(dst));
        fixed (float* pa = a, pb = b)
        {
            var source = new UniformGradSource<TOp>(op, g, pa, pb);
            if (accumulate) Loops.Add(source, ref MemoryMarshal.GetReference(dst), (nuint)dst.Length);
            else Loops.Store(source, ref MemoryMarshal.GetReference(dst), (nuint)dst.Length);
        }
    }

    /// <summary>dst[i] (= or +=) op(x[i]). dst must not alias x when accumulating.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void Map<TOp>(TOp op, ReadOnlySpan<float> x, Span<float> dst, bool accumulate)
        where TOp : struct, IUnaryOperator
    {
        Check.SameLength(x.Length, dst.Length, nameof(x), nameof(dst));
        fixed (float* px = x)
        {
            var source = new UnarySource<TOp>(op, px);
            if (accumulate) Loops.Add(source, ref MemoryMarshal.GetReference(dst), (nuint)dst.Length);
            else Loops.Store(source, ref MemoryMarshal.GetReference(dst), (nuint)dst.Length);
        }
    }
}

/// <summary>source(i) = op(g, a[i], b[i]) with one g for all i.</summary>
internal readonly unsafe struct UniformGradSource<TOp>(TOp op, float g, float* a, float* b) : IElementSource
    where TOp : struct, IUnaryGradOperator
{
    private readonly TOp _op = op;
    private readonly float _g = g;
    private readonly float* _a = a;
    private readonly float* _b = b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float At(nuint i) => _op.Invoke(_g, _a[i], _b[i]);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> At128(nuint i) =>
        _op.Invoke(Vector128.Create(_g), Vector128.Load(_a + i), Vector128.Load(_b + i));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> At256(nuint i) =>
        _op.Invoke(Vector256.Create(_g), Vector256.Load(_a + i), Vector256.Load(_b + i));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> At512(nuint i) =>
        _op.Invoke(Vector512.Create(_g), Vector512.Load(_a + i), Vector512.Load(_b + i));
}

// ---------------------------------------------------------------- loss values ℓ(a, b)

/// <summary>ℓ = (a - b)²</summary>
internal readonly struct MseLossOperator : IBinaryOperator
{
    /// <summary>(a - b)²</summary>
    public float Invoke(float a, float b) => (a - b) * (a - b);

    /// <summary>(a - b)²</summary>
    public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => (a - b) * (a - b);

    /// <summary>(a - b)²</summary>
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => (a - b) * (a - b);

    /// <summary>(a - b)²</summary>
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => (a - b) * (a - b);
}

/// <summary>ℓ = |a - b|</summary>
internal readonly struct L1LossOperator : IBinaryOperator
{
    /// <summary>|a - b|</summary>
    public float Invoke(float a, float b) => MathF.Abs(a - b);

    /// <summary>|a - b|</summary>
    public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.Abs(a - b);

    /// <summary>|a - b|</summary>
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.Abs(a - b);

    /// <summary>|a - b|</summary>
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => Vector512.Abs(a - b);
}

/// <summary>ℓ = z &lt; β ? 0.5 z² / β : z - 0.5 β, z = |a - b| (β = 0 gives |a - b|)</summary>
internal readonly struct SmoothL1LossOperator(float beta) : IBinaryOperator
{
    private readonly float _beta = beta;

    /// <summary>z &lt; β ? 0.5 z² / β : z - 0.5 β</summary>
    public float Invoke(float a, float b)
    {
        float z = MathF.Abs(a - b);
        return z < _beta ? 0.5f * z * z / _beta : z - 0.5f * _beta;
    }

    /// <summary>z &lt; β ? 0.5 z² / β : z - 0.5 β</summary>
    public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b)
    {
        Vector128<float> z = Vector128.Abs(a - b), beta = Vector128.Create(_beta), half = Vector128.Create(0.5f);
        return Vector128.ConditionalSelect(Vector128.LessThan(z, beta), half * z * z / beta, z - half * beta);
    }

    /// <summary>z &lt; β ? 0.5 z² / β : z - 0.5 β</summary>
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b)
    {
        Vector256<float> z = Vector256.Abs(a - b), beta = Vector256.Create(_beta), half = Vector256.Create(0.5f);
        return Vector256.ConditionalSelect(Vector256.LessThan(z, beta), half * z * z / beta, z - half * beta);
    }

    /// <summary>z &lt; β ? 0.5 z² / β : z - 0.5 β</summary>
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b)
    {
        Vector512<float> z = Vector512.Abs(a - b), beta = Vector512.Create(_beta), half = Vector512.Create(0.5f);
        return Vector512.ConditionalSelect(Vector512.LessThan(z, beta), half * z * z / beta, z - half * beta);
    }
}

/// <summary>ℓ = z &lt; δ ? 0.5 z² : δ (z - 0.5 δ), z = |a - b|</summary>
internal readonly struct HuberLossOperator(float delta) : IBinaryOperator
{
    private readonly float _delta = delta;

    /// <summary>z &lt; δ ? 0.5 z² : δ (z - 0.5 δ)</summary>
    public float Invoke(float a, float b)
    {
        float z = MathF.Abs(a - b);
        return z < _delta ? 0.5f * z * z : _delta * (z - 0.5f * _delta);
    }

    /// <summary>z &lt; δ ? 0.5 z² : δ (z - 0.5 δ)</summary>
    public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b)
    {
        Vector128<float> z = Vector128.Abs(a - b), delta = Vector128.Create(_delta), half = Vector128.Create(0.5f);
        return Vector128.ConditionalSelect(Vector128.LessThan(z, delta), half * z * z, delta * (z - half * delta));
    }

    /// <summary>z &lt; δ ? 0.5 z² : δ (z - 0.5 δ)</summary>
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b)
    {
        Vector256<float> z = Vector256.Abs(a - b), delta = Vector256.Create(_delta), half = Vector256.Create(0.5f);
        return Vector256.ConditionalSelect(Vector256.LessThan(z, delta), half * z * z, delta * (z - half * delta));
    }

    /// <summary>z &lt; δ ? 0.5 z² : δ (z - 0.5 δ)</summary>
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b)
    {
        Vector512<float> z = Vector512.Abs(a - b), delta = Vector512.Create(_delta), half = Vector512.Create(0.5f);
        return Vector512.ConditionalSelect(Vector512.LessThan(z, delta), half * z * z, delta * (z - half * delta));
    }
}

/// <summary>ℓ = (1 - t) x + m + log(exp(-m) + exp(-x - m)), m = max(-x, 0): a = x the logit, b = t the target.
/// PyTorch's stable form of -[t log σ(x) + (1 - t) log(1 - σ(x))].</summary>
internal readonly struct BinaryCrossEntropyWithLogitsOperator : IBinaryOperator
{
    /// <summary>(1 - t) x + m + log(exp(-m) + exp(-x - m))</summary>
    public float Invoke(float a, float b)
    {
        float m = MathF.Max(-a, 0f);
        return (1f - b) * a + m + Transcendentals.Log(Transcendentals.Exp(-m) + Transcendentals.Exp(-a - m));
    }

    /// <summary>(1 - t) x + m + log(exp(-m) + exp(-x - m))</summary>
    public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b)
    {
        Vector128<float> m = VectorCompat.Max(-a, Vector128<float>.Zero);
        return (Vector128<float>.One - b) * a + m + Transcendentals.Log(Transcendentals.Exp(-m) + Transcendentals.Exp(-a - m));
    }

    /// <summary>(1 - t) x + m + log(exp(-m) + exp(-x - m))</summary>
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b)
    {
        Vector256<float> m = VectorCompat.Max(-a, Vector256<float>.Zero);
        return (Vector256<float>.One - b) * a + m + Transcendentals.Log(Transcendentals.Exp(-m) + Transcendentals.Exp(-a - m));
    }

    /// <summary>(1 - t) x + m + log(exp(-m) + exp(-x - m))</summary>
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b)
    {
        Vector512<float> m = VectorCompat.Max(-a, Vector512<float>.Zero);
        return (Vector512<float>.One - b) * a + m + Transcendentals.Log(Transcendentals.Exp(-m) + Transcendentals.Exp(-a - m));
    }
}

// ---------------------------------------------------------------- loss gradients: op(g, a, b) = g ∂ℓ/∂a

/// <summary>da += norm (a - b) g, norm = 2/n for the mean, 2 otherwise.</summary>
internal readonly struct MseLossGradOperator(float norm) : IUnaryGradOperator
{
    private readonly float _norm = norm;

    /// <summary>norm (a - b) g</summary>
    public float Invoke(float g, float a, float b) => _norm * (a - b) * g;

    /// <summary>norm (a - b) g</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> a, Vector128<float> b) => Vector128.Create(_norm) * (a - b) * g;

    /// <summary>norm (a - b) g</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> a, Vector256<float> b) => Vector256.Create(_norm) * (a - b) * g;

    /// <summary>norm (a - b) g</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> a, Vector512<float> b) => Vector512.Create(_norm) * (a - b) * g;
}

/// <summary>da += (g / n) sign(a - b), n the element count for the mean, 1 otherwise (PyTorch 1.13 composes
/// l1_loss from abs and mean, so the mean's g / n comes first).</summary>
internal readonly struct L1LossGradOperator(float divisor) : IUnaryGradOperator
{
    private readonly float _divisor = divisor;

    /// <summary>(g / n) sign(a - b)</summary>
    public float Invoke(float g, float a, float b) => g / _divisor * Sign(a - b);

    /// <summary>(g / n) sign(a - b)</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> a, Vector128<float> b) =>
        g / Vector128.Create(_divisor) * Sign(a - b);

    /// <summary>(g / n) sign(a - b)</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> a, Vector256<float> b) =>
        g / Vector256.Create(_divisor) * Sign(a - b);

    /// <summary>(g / n) sign(a - b)</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> a, Vector512<float> b) =>
        g / Vector512.Create(_divisor) * Sign(a - b);

    // sgn as torch's: -1, 0 or 1, NaN for NaN.
    private static float Sign(float d) => d > 0f ? 1f : d < 0f ? -1f : d == 0f ? 0f : float.NaN;

    private static Vector128<float> Sign(Vector128<float> d) =>
        Vector128.ConditionalSelect(Vector128.GreaterThan(d, Vector128<float>.Zero), Vector128<float>.One,
            Vector128.ConditionalSelect(Vector128.LessThan(d, Vector128<float>.Zero), -Vector128<float>.One, d * Vector128<float>.Zero));

    private static Vector256<float> Sign(Vector256<float> d) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(d, Vector256<float>.Zero), Vector256<float>.One,
            Vector256.ConditionalSelect(Vector256.LessThan(d, Vector256<float>.Zero), -Vector256<float>.One, d * Vector256<float>.Zero));

    private static Vector512<float> Sign(Vector512<float> d) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(d, Vector512<float>.Zero), Vector512<float>.One,
            Vector512.ConditionalSelect(Vector512.LessThan(d, Vector512<float>.Zero), -Vector512<float>.One, d * Vector512<float>.Zero));
}

/// <summary>da += x ≤ -β ? -norm g : x ≥ β ? norm g : norm x g / β, x = a - b, norm = 1/n for the mean, 1 otherwise.</summary>
internal readonly struct SmoothL1LossGradOperator(float norm, float beta) : IUnaryGradOperator
{
    private readonly float _norm = norm;
    private readonly float _beta = beta;

    /// <summary>x ≤ -β ? -norm g : x ≥ β ? norm g : norm x g / β</summary>
    public float Invoke(float g, float a, float b)
    {
        float x = a - b;
        return x <= -_beta ? -_norm * g : x >= _beta ? _norm * g : _norm * x * g / _beta;
    }

    /// <summary>x ≤ -β ? -norm g : x ≥ β ? norm g : norm x g / β</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> a, Vector128<float> b)
    {
        Vector128<float> x = a - b, norm = Vector128.Create(_norm), beta = Vector128.Create(_beta);
        return Vector128.ConditionalSelect(Vector128.LessThanOrEqual(x, -beta), -norm * g,
            Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(x, beta), norm * g, norm * x * g / beta));
    }

    /// <summary>x ≤ -β ? -norm g : x ≥ β ? norm g : norm x g / β</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> a, Vector256<float> b)
    {
        Vector256<float> x = a - b, norm = Vector256.Create(_norm), beta = Vector256.Create(_beta);
        return Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, -beta), -norm * g,
            Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, beta), norm * g, norm * x * g / beta));
    }

    /// <summary>x ≤ -β ? -norm g : x ≥ β ? norm g : norm x g / β</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> a, Vector512<float> b)
    {
        Vector512<float> x = a - b, norm = Vector512.Create(_norm), beta = Vector512.Create(_beta);
        return Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, -beta), -norm * g,
            Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, beta), norm * g, norm * x * g / beta));
    }
}

/// <summary>da += x ≤ -δ ? -norm g δ : x ≥ δ ? norm g δ : norm x g, x = a - b, norm = 1/n for the mean, 1 otherwise.</summary>
internal readonly struct HuberLossGradOperator(float norm, float delta) : IUnaryGradOperator
{
    private readonly float _norm = norm;
    private readonly float _delta = delta;

    /// <summary>x ≤ -δ ? -norm g δ : x ≥ δ ? norm g δ : norm x g</summary>
    public float Invoke(float g, float a, float b)
    {
        float x = a - b;
        return x <= -_delta ? -_norm * g * _delta : x >= _delta ? _norm * g * _delta : _norm * x * g;
    }

    /// <summary>x ≤ -δ ? -norm g δ : x ≥ δ ? norm g δ : norm x g</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> a, Vector128<float> b)
    {
        Vector128<float> x = a - b, norm = Vector128.Create(_norm), delta = Vector128.Create(_delta);
        return Vector128.ConditionalSelect(Vector128.LessThanOrEqual(x, -delta), -norm * g * delta,
            Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(x, delta), norm * g * delta, norm * x * g));
    }

    /// <summary>x ≤ -δ ? -norm g δ : x ≥ δ ? norm g δ : norm x g</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> a, Vector256<float> b)
    {
        Vector256<float> x = a - b, norm = Vector256.Create(_norm), delta = Vector256.Create(_delta);
        return Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, -delta), -norm * g * delta,
            Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, delta), norm * g * delta, norm * x * g));
    }

    /// <summary>x ≤ -δ ? -norm g δ : x ≥ δ ? norm g δ : norm x g</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> a, Vector512<float> b)
    {
        Vector512<float> x = a - b, norm = Vector512.Create(_norm), delta = Vector512.Create(_delta);
        return Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, -delta), -norm * g * delta,
            Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, delta), norm * g * delta, norm * x * g));
    }
}

/// <summary>dx += (σ(x) - t) g / n (a = x the logit, b = t), n the element count for the mean, 1 otherwise.</summary>
internal readonly struct BinaryCrossEntropyWithLogitsGradOperator(float divisor) : IUnaryGradOperator
{
    private readonly float _divisor = divisor;

    /// <summary>(σ(x) - t) g / n</summary>
    public float Invoke(float g, float a, float b) => (Transcendentals.Sigmoid(a) - b) * g / _divisor;

    /// <summary>(σ(x) - t) g / n</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> a, Vector128<float> b) =>
        (Transcendentals.Sigmoid(a) - b) * g / Vector128.Create(_divisor);

    /// <summary>(σ(x) - t) g / n</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> a, Vector256<float> b) =>
        (Transcendentals.Sigmoid(a) - b) * g / Vector256.Create(_divisor);

    /// <summary>(σ(x) - t) g / n</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> a, Vector512<float> b) =>
        (Transcendentals.Sigmoid(a) - b) * g / Vector512.Create(_divisor);
}

/// <summary>dt += -x g / n (a = x the logit, b = t the target), n the element count for the mean, 1 otherwise.</summary>
internal readonly struct BinaryCrossEntropyWithLogitsTargetGradOperator(float divisor) : IUnaryGradOperator
{
    private readonly float _divisor = divisor;

    /// <summary>-x g / n</summary>
    public float Invoke(float g, float a, float b) => -a * g / _divisor;

    /// <summary>-x g / n</summary>
    public Vector128<float> Invoke(Vector128<float> g, Vector128<float> a, Vector128<float> b) => -a * g / Vector128.Create(_divisor);

    /// <summary>-x g / n</summary>
    public Vector256<float> Invoke(Vector256<float> g, Vector256<float> a, Vector256<float> b) => -a * g / Vector256.Create(_divisor);

    /// <summary>-x g / n</summary>
    public Vector512<float> Invoke(Vector512<float> g, Vector512<float> a, Vector512<float> b) => -a * g / Vector512.Create(_divisor);
}

/// <summary>One row of cross-entropy's backward: dx = w (exp(logp) - ε/C); the target column then takes
/// -w (1 - ε) more (<c>shift</c> = ε/C, 0 without label smoothing).</summary>
internal readonly struct CrossEntropyGradOperator(float weight, float shift) : IUnaryOperator
{
    private readonly float _weight = weight;
    private readonly float _shift = shift;

    /// <summary>w (exp(logp) - ε/C)</summary>
    public float Invoke(float x) => _weight * (Transcendentals.Exp(x) - _shift);

    /// <summary>w (exp(logp) - ε/C)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Create(_weight) * (Transcendentals.Exp(x) - Vector128.Create(_shift));

    /// <summary>w (exp(logp) - ε/C)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Create(_weight) * (Transcendentals.Exp(x) - Vector256.Create(_shift));

    /// <summary>w (exp(logp) - ε/C)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.Create(_weight) * (Transcendentals.Exp(x) - Vector512.Create(_shift));
}
