using System;
using ArenaGrad.Optim;

namespace ArenaGrad.Agents;

/// <summary>clip_grad_norm_(parameters, maxNorm), then <c>inner.step()</c>, as one <see cref="Step"/>: PPO's work between
/// backward and the update, folded into the optimizer so that a step captured with
/// <see cref="Arena.CaptureTraining"/> (whose replay runs ZeroGrad, forward, backward and <c>Step()</c>) clips as eager
/// mode does.</summary>
/// <remarks>The learning rate that counts is the inner optimizer's (<see cref="Inner"/>): set it there, as a schedule
/// or annealing does. This wrapper's own <see cref="Optimizer.LearningRate"/> is the inner one's at construction and is
/// not read. Construct it outside any arena scope (the base constructor refuses otherwise); it makes no state.</remarks>
internal sealed class ClippedOptimizer : Optimizer
{
    private readonly float _maxNorm;

    /// <summary>Wraps <paramref name="inner"/>: the same parameters, in the same order, so the norm is summed in eager
    /// mode's order.</summary>
    public ClippedOptimizer(Optimizer inner, float maxNorm) : base((inner ?? throw new ArgumentNullException(nameof(inner))).Parameters, inner.LearningRate)
    {
        if (!(maxNorm > 0f)) throw AgentOptions.Bad("maxNorm", "a positive number", maxNorm);
        Inner = inner;
        _maxNorm = maxNorm;
    }

    /// <summary>The optimizer that updates the parameters after the clip.</summary>
    public Optimizer Inner { get; }

    /// <summary>Scales every gradient by min(maxNorm / (‖g‖ + 1e-6), 1), then runs the inner optimizer's step.
    /// Allocates nothing.</summary>
    public override void Step()
    {
        // Both halves refuse to run inside a capture (the clip reads gradients to the host, the inner step is in place),
        // so this is only ever called where CaptureTraining and its replays call it: after backward.
        Functional.ClipGradNorm(ParameterSpan, _maxNorm);
        Inner.Step();
    }
}
