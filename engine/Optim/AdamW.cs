using System.Collections.Generic;

namespace ArenaGrad.Optim;

/// <summary>AdamW (<c>torch.optim.AdamW</c>): Adam with decoupled weight decay, p = p·(1 − lr·λ) before the Adam update;
/// one fused pass per parameter in PyTorch 1.13's order of operations.</summary>
public sealed class AdamW : Optimizer
{
    private readonly AdamState _state;

    /// <summary>AdamW over <paramref name="parameters"/>. The moments (two tensors per parameter, three with amsgrad) are made
    /// now, in the parameters' arena.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative learning rate, eps or weight decay, or a beta outside [0, 1)
    /// (PyTorch's messages).</exception>
    /// <exception cref="ArgumentException">Bad parameter lists (see <see cref="Optimizer"/>).</exception>
    public AdamW(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f,
        float weightDecay = 1e-2f, bool amsgrad = false)
        : base(parameters, lr)
    {
        _state = new AdamState(this, ParameterSpan, beta1, beta2, eps, weightDecay, amsgrad, decoupled: true);
        (Beta1, Beta2, Eps, WeightDecay, Amsgrad) = (beta1, beta2, eps, weightDecay, amsgrad);
    }

    /// <summary>β₁: decay of the first moment.</summary>
    public float Beta1 { get; }

    /// <summary>β₂: decay of the second moment.</summary>
    public float Beta2 { get; }

    /// <summary>ε, added to the denominator.</summary>
    public float Eps { get; }

    /// <summary>λ: decoupled weight decay, p = p·(1 − lr·λ).</summary>
    public float WeightDecay { get; }

    /// <summary>Whether the denominator uses the running maximum of the second moment.</summary>
    public bool Amsgrad { get; }

    /// <summary>How many updates parameter <paramref name="index"/> has had (<c>state[p]["step"]</c>).</summary>
    public int StepCount(int index) => _state.StepsOf(index);

    /// <summary>p scaled by 1 − lr·λ, then m, v (and v̂max) updated and p = p − step·m / (√v / √bc₂ + ε), for every
    /// parameter with a gradient.</summary>
    public override void Step()
    {
        ThrowIfCapturing();
        _state.Step(ParameterSpan, LearningRateDouble);
    }
}
