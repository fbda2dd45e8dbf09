using ArenaGrad.Kernels;
using ArenaGrad.Nn;

namespace ArenaGrad.Optim;

/// <summary>What Adam and AdamW share: hyperparameters, per-parameter moments and step counts, and the step itself.
/// They differ only in how weight decay enters (added to the gradient, or applied to the parameter first).</summary>
internal sealed class AdamState
{
    private readonly Tensor[] _expAvg, _expAvgSq, _maxExpAvgSq; // the last is empty without amsgrad
    private readonly int[] _steps;                              // per parameter, as PyTorch's state["step"]
    private readonly double _beta1, _beta2, _eps, _weightDecay;
    private readonly bool _amsgrad, _decoupled;

    /// <summary>Checks the hyperparameters with PyTorch's messages and makes the moments (zeros) in the optimizer's arena.</summary>
    public AdamState(Optimizer optimizer, ReadOnlySpan<Tensor> parameters, float beta1, float beta2, float eps, float weightDecay,
        bool amsgrad, bool decoupled)
    {
        Check(eps >= 0f, nameof(eps), eps, "epsilon value");
        Check(beta1 >= 0f && beta1 < 1f, nameof(beta1), beta1, "beta parameter at index 0");
        Check(beta2 >= 0f && beta2 < 1f, nameof(beta2), beta2, "beta parameter at index 1");
        Check(weightDecay >= 0f, nameof(weightDecay), weightDecay, "weight_decay value");
        _beta1 = PythonFloat.ToDouble(beta1);
        _beta2 = PythonFloat.ToDouble(beta2);
        _eps = PythonFloat.ToDouble(eps);
        _weightDecay = PythonFloat.ToDouble(weightDecay);
        _amsgrad = amsgrad;
        _decoupled = decoupled;
        Arena arena = optimizer.Arena;
        _expAvg = new Tensor[parameters.Length];
        _expAvgSq = new Tensor[parameters.Length];
        _maxExpAvgSq = amsgrad ? new Tensor[parameters.Length] : [];
        _steps = new int[parameters.Length];
        using OpTransaction op = arena.BeginOp(); // every moment, or none
        for (int i = 0; i < parameters.Length; i++)
        {
            _expAvg[i] = arena.Zeros(parameters[i].Shape);
            _expAvgSq[i] = arena.Zeros(parameters[i].Shape);
            if (amsgrad) _maxExpAvgSq[i] = arena.Zeros(parameters[i].Shape);
        }
        op.Commit();
    }

    private static void Check(bool valid, string name, float value, string what)
    {
        if (!valid) throw new ArgumentOutOfRangeException(name, value, $"Invalid {what}: {PythonFloat.Repr(value)}");
    }

    /// <summary>How many updates parameter <paramref name="index"/> has had (<c>state["step"]</c>).</summary>
    public int StepsOf(int index) => _steps[index];

    /// <summary>One update of every parameter whose gradient is not null, with PyTorch's scalars computed in double.</summary>
    public void Step(ReadOnlySpan<Tensor> parameters, double lr)
    {
        float beta1 = (float)_beta1, oneMinusBeta1 = (float)(1 - _beta1);
        float beta2 = (float)_beta2, oneMinusBeta2 = (float)(1 - _beta2);
        float decay = _decoupled ? (float)(1 - lr * _weightDecay) : 1f;   // AdamW: param.mul_(1 - lr * weight_decay)
        float l2 = _decoupled ? 0f : (float)_weightDecay;                  // Adam: grad.add(param, alpha=weight_decay)
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
                    _amsgrad ? arena.Values(_maxExpAvgSq[i].Slot) : default,
                    decay, l2, beta1, oneMinusBeta1, beta2, oneMinusBeta2, (float)-stepSize, (float)Math.Sqrt(biasCorrection2),
                    (float)_eps, _amsgrad),
                (nuint)values.Length);
            arena.BumpVersion(slot);
        }
    }
}
