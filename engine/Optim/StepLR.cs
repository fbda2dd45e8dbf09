using ArenaGrad.Nn;

namespace ArenaGrad.Optim;

/// <summary>Multiplies the learning rate by <see cref="Gamma"/> every <see cref="StepSize"/> epochs
/// (<c>torch.optim.lr_scheduler.StepLR</c>): lr = lr·γ when epoch mod stepSize = 0.</summary>
public sealed class StepLR : LearningRateScheduler
{
    private readonly double _gamma;

    /// <summary>A step schedule on <paramref name="optimizer"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stepSize"/> is below 1.</exception>
    public StepLR(Optimizer optimizer, int stepSize, float gamma = 0.1f) : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stepSize, 1);
        StepSize = stepSize;
        Gamma = gamma;
        _gamma = PythonFloat.ToDouble(gamma);
    }

    /// <summary>Epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>The factor applied at each decay.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    protected override double ComputeLearningRate(int epoch, double current) =>
        epoch % StepSize != 0 ? current : current * _gamma;
}
