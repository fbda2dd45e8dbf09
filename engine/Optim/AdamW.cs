using System.Collections.Generic;

namespace ArenaGrad.Optim;

/// <summary>AdamW (<c>torch.optim.AdamW</c>): <see cref="Adam"/> with decoupled weight decay, p = p·(1 − lr·λ) before the
/// Adam update; one fused pass per parameter in PyTorch 1.13's order of operations. Everything but the constructor (whose
/// weight decay defaults to 0.01) is Adam's.</summary>
public sealed class AdamW : Adam
{
    /// <summary>AdamW over <paramref name="parameters"/>. The moments (two tensors per parameter, three with amsgrad) are made
    /// now, in the parameters' arena.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative learning rate, eps or weight decay, or a beta outside [0, 1)
    /// (PyTorch's messages).</exception>
    /// <exception cref="ArgumentException">Bad parameter lists (see <see cref="Optimizer"/>).</exception>
    public AdamW(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f,
        float weightDecay = 1e-2f, bool amsgrad = false)
        : base(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupledWeightDecay: true)
    {
    }
}
