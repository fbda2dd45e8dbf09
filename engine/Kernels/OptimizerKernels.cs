using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ArenaGrad.Kernels;

// Optimizer updates: one fused pass per parameter that reads the parameter, its gradient and its state and writes
// the parameter and the state back, lane by lane. Each update is a struct over those streams (pointers into the
// arena's native memory: a ref struct could not be a generic argument on .NET 8) with one Invoke per width; every
// width runs the same operations in the same order (plain multiplies and adds, no FMA), so a trajectory
// is bit-identical on Vector512, Vector256, Vector128 and scalar hardware. The order is PyTorch 1.13's
// _single_tensor_sgd / _single_tensor_adam(w): each in-place op there (mul_, add_, addcmul_, addcdiv_) is one rounding
// here, in the same sequence.

/// <summary>An in-place update of element i (or the 4, 8 or 16 elements from i) of several parallel streams.</summary>
internal interface IUpdateKernel
{
    /// <summary>Updates element i.</summary>
    void Invoke(nuint i);

    /// <summary>Updates elements i .. i+3.</summary>
    void Invoke128(nuint i);

    /// <summary>Updates elements i .. i+7.</summary>
    void Invoke256(nuint i);

    /// <summary>Updates elements i .. i+15.</summary>
    void Invoke512(nuint i);
}

/// <summary>The loop driver for <see cref="IUpdateKernel"/>s.</summary>
internal static class OptimizerKernels
{
    /// <summary>Runs <paramref name="update"/> over n elements: the widest vectors first, then one narrower vector of
    /// each width that still fits, then scalars. (The overlapping-last-vector trick of the elementwise loops would
    /// update some lanes twice here: these updates read what they write.)</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void Run<TUpdate>(TUpdate update, nuint n)
        where TUpdate : IUpdateKernel
    {
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16) update.Invoke512(i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) update.Invoke256(i);
        if (Vector128.IsHardwareAccelerated)
            for (; i + 4 <= n; i += 4) update.Invoke128(i);
        for (; i < n; i++) update.Invoke(i);
    }

    /// <summary>g[i] ·= scale (gradient clipping).</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void Scale(Span<float> values, float scale) =>
        Elementwise.Unary(new MultiplyScalarOperator(scale), values, values);
}

/// <summary>SGD: d = g (+ wd·p); with momentum buf = d on the first step, else buf = buf·μ + (1−τ)·d; then
/// d = nesterov ? d + μ·buf : buf; p = p + (−lr)·d.</summary>
internal unsafe struct SgdUpdate : IUpdateKernel
{
    private readonly float* _p;
    private readonly float* _g;
    private readonly float* _buffer; // unused without momentum
    private readonly float _negativeLearningRate, _weightDecay, _momentum, _oneMinusDampening;
    private readonly bool _hasWeightDecay, _hasMomentum, _firstStep, _nesterov;

    /// <summary>An update of <paramref name="p"/> from <paramref name="g"/>; <paramref name="buffer"/> is read and written
    /// only when momentum ≠ 0. All coefficients are PyTorch's, already rounded to float. The spans must be native
    /// memory (the arena's): the update keeps pointers to them.</summary>
    public SgdUpdate(Span<float> p, ReadOnlySpan<float> g, Span<float> buffer, float negativeLearningRate, float weightDecay,
        float momentum, float oneMinusDampening, bool firstStep, bool nesterov)
    {
        _p = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(p));
        _g = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(g));
        _buffer = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(buffer));
        _negativeLearningRate = negativeLearningRate;
        _weightDecay = weightDecay;
        _hasWeightDecay = weightDecay != 0f;
        _momentum = momentum;
        _hasMomentum = momentum != 0f;
        _oneMinusDampening = oneMinusDampening;
        _firstStep = firstStep;
        _nesterov = nesterov;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Invoke(nuint i)
    {
        ref float p = ref _p[i];
        float d = _g[i];
        if (_hasWeightDecay) d += _weightDecay * p;
        if (_hasMomentum)
        {
            ref float buffer = ref _buffer[i];
            buffer = _firstStep ? d : buffer * _momentum + _oneMinusDampening * d;
            d = _nesterov ? d + _momentum * buffer : buffer;
        }
        p += _negativeLearningRate * d;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Invoke128(nuint i)
    {
        Vector128<float> p = Vector128.Load(_p + i), d = Vector128.Load(_g + i);
        if (_hasWeightDecay) d += Vector128.Create(_weightDecay) * p;
        if (_hasMomentum)
        {
            Vector128<float> buffer = _firstStep ? d
                : Vector128.Load(_buffer + i) * Vector128.Create(_momentum) + Vector128.Create(_oneMinusDampening) * d;
            buffer.Store(_buffer + i);
            d = _nesterov ? d + Vector128.Create(_momentum) * buffer : buffer;
        }
        (p + Vector128.Create(_negativeLearningRate) * d).Store(_p + i);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Invoke256(nuint i)
    {
        Vector256<float> p = Vector256.Load(_p + i), d = Vector256.Load(_g + i);
        if (_hasWeightDecay) d += Vector256.Create(_weightDecay) * p;
        if (_hasMomentum)
        {
            Vector256<float> buffer = _firstStep ? d
                : Vector256.Load(_buffer + i) * Vector256.Create(_momentum) + Vector256.Create(_oneMinusDampening) * d;
            buffer.Store(_buffer + i);
            d = _nesterov ? d + Vector256.Create(_momentum) * buffer : buffer;
        }
        (p + Vector256.Create(_negativeLearningRate) * d).Store(_p + i);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Invoke512(nuint i)
    {
        Vector512<float> p = Vector512.Load(_p + i), d = Vector512.Load(_g + i);
        if (_hasWeightDecay) d += Vector512.Create(_weightDecay) * p;
        if (_hasMomentum)
        {
            Vector512<float> buffer = _firstStep ? d
                : Vector512.Load(_buffer + i) * Vector512.Create(_momentum) + Vector512.Create(_oneMinusDampening) * d;
            buffer.Store(_buffer + i);
            d = _nesterov ? d + Vector512.Create(_momentum) * buffer : buffer;
        }
        (p + Vector512.Create(_negativeLearningRate) * d).Store(_p + i);
    }
}

/// <summary>Adam / AdamW: p = p·(1 − lr·λ) (AdamW); g = g + wd·p (Adam); m = m·β₁ + (1−β₁)·g;
/// v = v·β₂ + ((1−β₂)·g)·g; v̂ = amsgrad ? (vmax = max(vmax, v)) : v; p = p + ((−step)·m) / (√v̂ / √bc₂ + ε),
/// with step = lr / (1 − β₁ᵗ) and bc₂ = 1 − β₂ᵗ.</summary>
internal unsafe struct AdamUpdate : IUpdateKernel
{
    private readonly float* _p;
    private readonly float* _g;
    private readonly float* _m;
    private readonly float* _v;
    private readonly float* _vMax; // unused without amsgrad
    private readonly float _decay, _l2, _beta1, _oneMinusBeta1, _beta2, _oneMinusBeta2, _negativeStepSize, _biasCorrection2Sqrt, _eps;
    private readonly bool _hasDecay, _hasL2, _amsgrad;

    /// <summary>An update of <paramref name="p"/> and its moments. <paramref name="decay"/> is AdamW's 1 − lr·λ (1 for none),
    /// <paramref name="l2"/> is Adam's weight decay added to the gradient (0 for none). Coefficients are PyTorch's,
    /// computed in double and rounded to float. The spans must be native memory (the arena's): the update keeps pointers.</summary>
    public AdamUpdate(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, Span<float> vMax,
        float decay, float l2, float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2,
        float negativeStepSize, float biasCorrection2Sqrt, float eps, bool amsgrad)
    {
        _p = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(p));
        _g = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(g));
        _m = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(m));
        _v = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(v));
        _vMax = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(vMax));
        _decay = decay;
        _hasDecay = decay != 1f;
        _l2 = l2;
        _hasL2 = l2 != 0f;
        _beta1 = beta1;
        _oneMinusBeta1 = oneMinusBeta1;
        _beta2 = beta2;
        _oneMinusBeta2 = oneMinusBeta2;
        _negativeStepSize = negativeStepSize;
        _biasCorrection2Sqrt = biasCorrection2Sqrt;
        _eps = eps;
        _amsgrad = amsgrad;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Invoke(nuint i)
    {
        ref float p = ref _p[i];
        float g = _g[i];
        if (_hasDecay) p *= _decay;
        if (_hasL2) g += _l2 * p;
        ref float m = ref _m[i];
        ref float v = ref _v[i];
        m = m * _beta1 + _oneMinusBeta1 * g;
        v = v * _beta2 + _oneMinusBeta2 * g * g;
        float second = v;
        if (_amsgrad)
        {
            ref float vMax = ref _vMax[i];
            second = vMax = MathF.Max(vMax, v);
        }
        p += _negativeStepSize * m / (MathF.Sqrt(second) / _biasCorrection2Sqrt + _eps);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Invoke128(nuint i)
    {
        Vector128<float> p = Vector128.Load(_p + i), g = Vector128.Load(_g + i);
        if (_hasDecay) p *= Vector128.Create(_decay);
        if (_hasL2) g += Vector128.Create(_l2) * p;
        Vector128<float> m = Vector128.Load(_m + i) * Vector128.Create(_beta1) + Vector128.Create(_oneMinusBeta1) * g;
        Vector128<float> v = Vector128.Load(_v + i) * Vector128.Create(_beta2) + Vector128.Create(_oneMinusBeta2) * g * g;
        m.Store(_m + i);
        v.Store(_v + i);
        if (_amsgrad)
        {
            v = VectorCompat.Max(Vector128.Load(_vMax + i), v);
            v.Store(_vMax + i);
        }
        (p + Vector128.Create(_negativeStepSize) * m / (Vector128.Sqrt(v) / Vector128.Create(_biasCorrection2Sqrt) + Vector128.Create(_eps)))
            .Store(_p + i);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Invoke256(nuint i)
    {
        Vector256<float> p = Vector256.Load(_p + i), g = Vector256.Load(_g + i);
        if (_hasDecay) p *= Vector256.Create(_decay);
        if (_hasL2) g += Vector256.Create(_l2) * p;
        Vector256<float> m = Vector256.Load(_m + i) * Vector256.Create(_beta1) + Vector256.Create(_oneMinusBeta1) * g;
        Vector256<float> v = Vector256.Load(_v + i) * Vector256.Create(_beta2) + Vector256.Create(_oneMinusBeta2) * g * g;
        m.Store(_m + i);
        v.Store(_v + i);
        if (_amsgrad)
        {
            v = VectorCompat.Max(Vector256.Load(_vMax + i), v);
            v.Store(_vMax + i);
        }
        (p + Vector256.Create(_negativeStepSize) * m / (Vector256.Sqrt(v) / Vector256.Create(_biasCorrection2Sqrt) + Vector256.Create(_eps)))
            .Store(_p + i);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Invoke512(nuint i)
    {
        Vector512<float> p = Vector512.Load(_p + i), g = Vector512.Load(_g + i);
        if (_hasDecay) p *= Vector512.Create(_decay);
        if (_hasL2) g += Vector512.Create(_l2) * p;
        Vector512<float> m = Vector512.Load(_m + i) * Vector512.Create(_beta1) + Vector512.Create(_oneMinusBeta1) * g;
        Vector512<float> v = Vector512.Load(_v + i) * Vector512.Create(_beta2) + Vector512.Create(_oneMinusBeta2) * g * g;
        m.Store(_m + i);
        v.Store(_v + i);
        if (_amsgrad)
        {
            v = VectorCompat.Max(Vector512.Load(_vMax + i), v);
            v.Store(_vMax + i);
        }
        (p + Vector512.Create(_negativeStepSize) * m / (Vector512.Sqrt(v) / Vector512.Create(_biasCorrection2Sqrt) + Vector512.Create(_eps)))
            .Store(_p + i);
    }
}
