using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ArenaGrad.Kernels;

// Optimizer updates: one fused pass per parameter that reads the parameter, its gradient and its state and writes
// the parameter and the state back, lane by lane. Each update is a struct over those streams (pointers into the
// arena's native memory: a ref struct could not be a generic argument on .NET 8) whose body is written once over
// the lane arithmetic of Lanes.cs, as the transcendentals are, and run at every width by picking TL. Every width
// therefore runs the same operations in the same order (plain multiplies and adds, no FMA), so a trajectory is
// bit-identical on Vector512, Vector256, Vector128 and scalar hardware. The order is PyTorch 1.13's
// _single_tensor_sgd / _single_tensor_adam(w): each in-place op there (mul_, add_, addcmul_, addcdiv_) is one rounding
// here, in the same sequence.

/// <summary>An in-place update of the elements i .. i + TL.Count − 1 of several parallel streams.</summary>
internal interface IUpdateKernel
{
    /// <summary>Updates the <c>TL.Count</c> elements from i, with <typeparamref name="TL"/>'s arithmetic.</summary>
    void Invoke<TV, TL>(nuint i)
        where TV : struct
        where TL : struct, ILanes<TV>;
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
        if (Vector512.IsHardwareAccelerated) i = RunWhileWhole<TUpdate, Vector512<float>, Lanes512>(update, i, n);
        if (Vector256.IsHardwareAccelerated) i = RunWhileWhole<TUpdate, Vector256<float>, Lanes256>(update, i, n);
        if (Vector128.IsHardwareAccelerated) i = RunWhileWhole<TUpdate, Vector128<float>, Lanes128>(update, i, n);
        RunWhileWhole<TUpdate, float, ScalarLanes>(update, i, n);
    }

    /// <summary>Runs <paramref name="update"/> over n elements at one width only, then scalars for the tail, whatever the
    /// hardware accelerates: lets tests reach every width's code (Vector512 runs in software without AVX-512).</summary>
    internal static void RunAtWidth<TUpdate, TV, TL>(TUpdate update, nuint n)
        where TUpdate : IUpdateKernel
        where TV : struct
        where TL : struct, ILanes<TV> =>
        RunWhileWhole<TUpdate, float, ScalarLanes>(update, RunWhileWhole<TUpdate, TV, TL>(update, 0, n), n);

    /// <summary>Updates whole <typeparamref name="TV"/>s from i while one fits below n; returns where it stopped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nuint RunWhileWhole<TUpdate, TV, TL>(TUpdate update, nuint i, nuint n)
        where TUpdate : IUpdateKernel
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        nuint width = (nuint)TL.Count;
        for (; i + width <= n; i += width) update.Invoke<TV, TL>(i);
        return i;
    }

    /// <summary>The address of <paramref name="span"/>'s first element, for the update structs' fields: the span must be
    /// native memory (the arena's) or pinned, since nothing keeps it in place afterwards.</summary>
    internal static unsafe float* PointerTo(ReadOnlySpan<float> span) =>
        (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span));

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
        _p = OptimizerKernels.PointerTo(p);
        _g = OptimizerKernels.PointerTo(g);
        _buffer = OptimizerKernels.PointerTo(buffer);
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
    public readonly void Invoke<TV, TL>(nuint i)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV p = TL.Load(_p + i), d = TL.Load(_g + i);
        if (_hasWeightDecay) d = TL.Add(d, TL.Multiply(TL.Create(_weightDecay), p));
        if (_hasMomentum)
        {
            TV buffer = _firstStep ? d
                : TL.Add(TL.Multiply(TL.Load(_buffer + i), TL.Create(_momentum)), TL.Multiply(TL.Create(_oneMinusDampening), d));
            TL.Store(buffer, _buffer + i);
            d = _nesterov ? TL.Add(d, TL.Multiply(TL.Create(_momentum), buffer)) : buffer;
        }
        TL.Store(TL.Add(p, TL.Multiply(TL.Create(_negativeLearningRate), d)), _p + i);
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
        _p = OptimizerKernels.PointerTo(p);
        _g = OptimizerKernels.PointerTo(g);
        _m = OptimizerKernels.PointerTo(m);
        _v = OptimizerKernels.PointerTo(v);
        _vMax = OptimizerKernels.PointerTo(vMax);
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
    public readonly void Invoke<TV, TL>(nuint i)
        where TV : struct
        where TL : struct, ILanes<TV>
    {
        TV p = TL.Load(_p + i), g = TL.Load(_g + i);
        if (_hasDecay) p = TL.Multiply(p, TL.Create(_decay));
        if (_hasL2) g = TL.Add(g, TL.Multiply(TL.Create(_l2), p));
        TV m = TL.Add(TL.Multiply(TL.Load(_m + i), TL.Create(_beta1)), TL.Multiply(TL.Create(_oneMinusBeta1), g));
        TV v = TL.Add(TL.Multiply(TL.Load(_v + i), TL.Create(_beta2)), TL.Multiply(TL.Multiply(TL.Create(_oneMinusBeta2), g), g));
        TL.Store(m, _m + i);
        TL.Store(v, _v + i);
        if (_amsgrad)
        {
            v = TL.Maximum(TL.Load(_vMax + i), v);
            TL.Store(v, _vMax + i);
        }
        TV denominator = TL.Add(TL.Divide(TL.SquareRoot(v), TL.Create(_biasCorrection2Sqrt)), TL.Create(_eps));
        TL.Store(TL.Add(p, TL.Divide(TL.Multiply(TL.Create(_negativeStepSize), m), denominator)), _p + i);
    }
}
