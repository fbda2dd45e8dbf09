using ArenaGrad.Nn;

namespace ArenaGrad.Optim;

/// <summary>Anneals the learning rate from its base value to <see cref="EtaMin"/> along a half cosine over <see cref="TMax"/>
/// epochs, then back up (<c>torch.optim.lr_scheduler.CosineAnnealingLR</c>). Uses PyTorch 1.13's recursive form:
/// lr_t = (1 + cos(πt/T)) / (1 + cos(π(t−1)/T)) · (lr_{t−1} − η_min) + η_min, and
/// lr_t = lr_{t−1} + (base − η_min)(1 − cos(π/T))/2 when (t − 1 − T) mod 2T = 0.</summary>
public sealed class CosineAnnealingLR : LearningRateScheduler
{
    private readonly double _etaMin;

    /// <summary>A cosine schedule on <paramref name="optimizer"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tMax"/> is below 1.</exception>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, float etaMin = 0) : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tMax, 1);
        TMax = tMax;
        EtaMin = etaMin;
        _etaMin = PythonFloat.ToDouble(etaMin);
    }

    /// <summary>Epochs from the base rate down to <see cref="EtaMin"/>.</summary>
    public int TMax { get; }

    /// <summary>The lowest learning rate.</summary>
    public float EtaMin { get; }

    /// <inheritdoc/>
    protected override double ComputeLearningRate(int epoch, double current)
    {
        if ((epoch - 1 - TMax) % (2 * TMax) == 0)
            return current + (BaseLearningRate - _etaMin) * (1 - Math.Cos(Math.PI / TMax)) / 2;
        return (1 + Math.Cos(Math.PI * epoch / TMax)) / (1 + Math.Cos(Math.PI * (epoch - 1) / TMax)) * (current - _etaMin) + _etaMin;
    }
}
