using System.Collections.Generic;
using ArenaGrad.Kernels;
using ArenaGrad.Nn;

namespace ArenaGrad.Optim;

/// <summary>Stochastic gradient descent with optional momentum, dampening, weight decay and Nesterov momentum
/// (<c>torch.optim.SGD</c>), one fused pass per parameter in PyTorch 1.13's order of operations.</summary>
public sealed class Sgd : Optimizer
{
    private readonly Tensor[] _momentumBuffers; // empty without momentum
    private readonly bool[] _hasMomentumBuffer;  // PyTorch's buffer is None until the parameter's first update
    private readonly double _momentum, _dampening, _weightDecay;

    /// <summary>SGD over <paramref name="parameters"/>. Momentum buffers (one per parameter when momentum ≠ 0) are made now, in
    /// the parameters' arena.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative learning rate, momentum or weight decay (PyTorch's messages).</exception>
    /// <exception cref="ArgumentException">Nesterov without momentum or with dampening; bad parameter lists (see <see cref="Optimizer"/>).</exception>
    public Sgd(IEnumerable<Tensor> parameters, float lr, float momentum = 0, float dampening = 0, float weightDecay = 0, bool nesterov = false)
        : base(parameters, lr)
    {
        Require(momentum >= 0f, nameof(momentum), momentum, "momentum value");
        Require(weightDecay >= 0f, nameof(weightDecay), weightDecay, "weight_decay value");
        if (nesterov && (momentum <= 0f || dampening != 0f))
            throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening", nameof(nesterov));
        Momentum = momentum;
        Dampening = dampening;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        _momentum = PythonFloat.ToDouble(momentum);
        _dampening = PythonFloat.ToDouble(dampening);
        _weightDecay = PythonFloat.ToDouble(weightDecay);
        ReadOnlySpan<Tensor> all = ParameterSpan;
        _momentumBuffers = momentum != 0f ? new Tensor[all.Length] : [];
        _hasMomentumBuffer = new bool[_momentumBuffers.Length];
        using OpTransaction op = Arena.BeginOp(); // every momentum buffer, or none
        for (int i = 0; i < _momentumBuffers.Length; i++) _momentumBuffers[i] = ZerosLike(all[i]);
        op.Commit();
    }

    /// <summary>μ</summary>
    public float Momentum { get; }

    /// <summary>τ: the momentum buffer adds (1 − τ)·d.</summary>
    public float Dampening { get; }

    /// <summary>L2 penalty added to the gradient: d = g + wd·p.</summary>
    public float WeightDecay { get; }

    /// <summary>Whether the step uses d + μ·buf instead of buf.</summary>
    public bool Nesterov { get; }

    /// <summary>p = p − lr·d per parameter with a gradient (see <see cref="SgdUpdate"/>).</summary>
    public override void Step()
    {
        ThrowIfCapturing();
        double lr = LearningRateDouble;
        ReadOnlySpan<Tensor> parameters = ParameterSpan;
        for (int i = 0; i < parameters.Length; i++)
        {
            Arena arena = parameters[i].Arena;
            int slot = parameters[i].Slot;
            int gradient = arena.GradientViewOf(slot);
            if (gradient < 0) continue; // grad is None: PyTorch skips the parameter
            bool first = false;
            Span<float> buffer = default;
            if (_momentumBuffers.Length > 0)
            {
                buffer = arena.Values(_momentumBuffers[i].Slot);
                first = !_hasMomentumBuffer[i];
                _hasMomentumBuffer[i] = true;
            }
            Span<float> values = arena.Values(slot);
            OptimizerKernels.Run(
                new SgdUpdate(values, arena.Values(gradient), buffer, (float)-lr, (float)_weightDecay, (float)_momentum,
                    (float)(1 - _dampening), first, Nesterov),
                (nuint)values.Length);
            arena.BumpVersion(slot);
        }
    }
}
