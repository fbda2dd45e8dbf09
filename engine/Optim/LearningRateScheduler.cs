namespace ArenaGrad.Optim;

/// <summary>Changes an optimizer's learning rate once per <see cref="Step"/> (<c>torch.optim.lr_scheduler._LRScheduler</c>).</summary>
/// <remarks>Call <see cref="Step"/> after the optimizer's step, as in PyTorch. Learning rates are computed in double
/// from the optimizer's current rate, with PyTorch's (recursive) formulas, so they match PyTorch's to the last bit.</remarks>
public abstract class LearningRateScheduler
{
    private double _lastLearningRate;

    /// <summary>Attaches to <paramref name="optimizer"/>: its current learning rate becomes the base rate, and the epoch is 0
    /// (PyTorch's constructor takes this first step itself).</summary>
    protected LearningRateScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        BaseLearningRate = optimizer.LearningRateDouble;
        _lastLearningRate = BaseLearningRate;
    }

    /// <summary>The optimizer whose learning rate this schedule sets.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The learning rate when the schedule was attached (<c>base_lrs[0]</c>).</summary>
    protected double BaseLearningRate { get; }

    /// <summary>How many times <see cref="Step"/> was called (<c>last_epoch</c>).</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The learning rate the schedule set last (<c>get_last_lr()[0]</c>): the one the next optimizer step uses.</summary>
    public float LastLearningRate => (float)_lastLearningRate;

    /// <summary>Advances one epoch and sets the optimizer's learning rate. Allocates nothing.</summary>
    public void Step()
    {
        LastEpoch++;
        double next = ComputeLearningRate(LastEpoch, Optimizer.LearningRateDouble);
        Optimizer.LearningRateDouble = next;
        _lastLearningRate = next;
    }

    /// <summary>The learning rate for <paramref name="epoch"/> (≥ 1) given the optimizer's current one (<c>get_lr()</c>).</summary>
    protected abstract double ComputeLearningRate(int epoch, double current);
}
