using System.Collections.Generic;
using ArenaGrad.Kernels;
using ArenaGrad.Nn;

namespace ArenaGrad.Optim;

/// <summary>Adam (<c>torch.optim.Adam</c>), with optional L2 weight decay added to the gradient and AMSGrad; one fused pass
/// per parameter in PyTorch 1.13's order of operations. <see cref="AdamW"/> is this class with the weight decay decoupled,
/// as PyTorch 2.6's AdamW is its Adam with <c>decoupled_weight_decay=True</c>.</summary>
public class Adam : Optimizer
{
    private readonly Tensor[] _expAvg, _expAvgSq, _maxExpAvgSq; // the last is empty without amsgrad
    private readonly int[] _steps;                              // per parameter, as PyTorch's state["step"]
    private readonly double _beta1, _beta2, _eps, _weightDecay;
    private readonly bool _decoupled;                           // AdamW: p = p·(1 − lr·λ) first, instead of g = g + wd·p

    /// <summary>Adam over <paramref name="parameters"/>. The moments (two tensors per parameter, three with amsgrad) are made
    /// now, in the parameters' arena.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative learning rate, eps or weight decay, or a beta outside [0, 1)
    /// (PyTorch's messages).</exception>
    /// <exception cref="ArgumentException">Bad parameter lists (see <see cref="Optimizer"/>).</exception>
    public Adam(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f,
        float weightDecay = 0, bool amsgrad = false)
        : this(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupledWeightDecay: false)
    {
    }

    /// <summary>Adam, or AdamW when <paramref name="decoupledWeightDecay"/>: checks the hyperparameters with PyTorch's
    /// messages and makes the moments (zeros) in the parameters' arena, every one or none.</summary>
    private protected Adam(IEnumerable<Tensor> parameters, float lr, float beta1, float beta2, float eps, float weightDecay,
        bool amsgrad, bool decoupledWeightDecay)
        : base(parameters, lr)
    {
        Require(eps >= 0f, nameof(eps), eps, "epsilon value");
        Require(beta1 >= 0f && beta1 < 1f, nameof(beta1), beta1, "beta parameter at index 0");
        Require(beta2 >= 0f && beta2 < 1f, nameof(beta2), beta2, "beta parameter at index 1");
        Require(weightDecay >= 0f, nameof(weightDecay), weightDecay, "weight_decay value");
        (Beta1, Beta2, Eps, WeightDecay, Amsgrad) = (beta1, beta2, eps, weightDecay, amsgrad);
        _beta1 = PythonFloat.ToDouble(beta1);
        _beta2 = PythonFloat.ToDouble(beta2);
        _eps = PythonFloat.ToDouble(eps);
        _weightDecay = PythonFloat.ToDouble(weightDecay);
        _decoupled = decoupledWeightDecay;
        ReadOnlySpan<Tensor> all = ParameterSpan;
        _expAvg = new Tensor[all.Length];
        _expAvgSq = new Tensor[all.Length];
        _maxExpAvgSq = amsgrad ? new Tensor[all.Length] : [];
        _steps = new int[all.Length];
        using OpTransaction op = Arena.BeginOp(); // every moment, or none
        for (int i = 0; i < all.Length; i++)
        {
            _expAvg[i] = ZerosLike(all[i]);
            _expAvgSq[i] = ZerosLike(all[i]);
            if (amsgrad) _maxExpAvgSq[i] = ZerosLike(all[i]);
        }
        op.Commit();
    }

    /// <summary>β₁: decay of the first moment.</summary>
    public float Beta1 { get; }

    /// <summary>β₂: decay of the second moment.</summary>
    public float Beta2 { get; }

    /// <summary>ε, added to the denominator.</summary>
    public float Eps { get; }

    /// <summary>Adam: the L2 penalty added to the gradient, g = g + wd·p. <see cref="AdamW"/>: λ, the decoupled weight decay
    /// p = p·(1 − lr·λ).</summary>
    public float WeightDecay { get; }

    /// <summary>Whether the denominator uses the running maximum of the second moment.</summary>
    public bool Amsgrad { get; }

    /// <summary>How many updates parameter <paramref name="index"/> has had (<c>state[p]["step"]</c>).</summary>
    public int StepCount(int index) => _steps[index];

    /// <summary>For every parameter with a gradient: (AdamW) p scaled by 1 − lr·λ, then m, v (and v̂max) updated and
    /// p = p − step·m / (√v / √bc₂ + ε), with PyTorch's scalars computed in double (see <see cref="AdamUpdate"/>).</summary>
    public sealed override void Step()
    {
        ThrowIfCapturing();
        double lr = LearningRateDouble;
        float beta1 = (float)_beta1, oneMinusBeta1 = (float)(1 - _beta1);
        float beta2 = (float)_beta2, oneMinusBeta2 = (float)(1 - _beta2);
        float decay = _decoupled ? (float)(1 - lr * _weightDecay) : 1f;   // AdamW: param.mul_(1 - lr * weight_decay)
        float l2 = _decoupled ? 0f : (float)_weightDecay;                  // Adam: grad.add(param, alpha=weight_decay)
        bool amsgrad = Amsgrad;
        ReadOnlySpan<Tensor> parameters = ParameterSpan;
        for (int i = 0; i < parameters.Length; i++)
        {
            Arena arena = parameters[i].Arena;
            int slot = parameters[i].Slot;
            int gradient = arena.GradientViewOf(slot);
            if (gradient < 0) continue; // grad is None: no update, and the step count stays
            double step = ++_steps[i];
            double biasCorrection1 = 1 - Math.Pow(_beta1, step);
            double biasCorrection2 = 1 - Math.Pow(_beta2, step);
            double stepSize = lr / biasCorrection1;
            Span<float> values = arena.Values(slot);
            OptimizerKernels.Run(
                new AdamUpdate(values, arena.Values(gradient), arena.Values(_expAvg[i].Slot), arena.Values(_expAvgSq[i].Slot),
                    amsgrad ? arena.Values(_maxExpAvgSq[i].Slot) : default,
                    decay, l2, beta1, oneMinusBeta1, beta2, oneMinusBeta2, (float)-stepSize, (float)Math.Sqrt(biasCorrection2),
                    (float)_eps, amsgrad),
                (nuint)values.Length);
            arena.BumpVersion(slot);
        }
    }
}
