using System.Collections.Generic;

namespace ArenaGrad.Pinn;

/// <summary>How far a network is from the exact solution on a fine grid over [0, T].</summary>
/// <param name="MaxError">max |u − u_exact|.</param>
/// <param name="RelativeL2Error">‖u − u_exact‖₂ / ‖u_exact‖₂ over the grid.</param>
internal readonly record struct FitError(double MaxError, double RelativeL2Error);

/// <summary>What a fit measured and wrote.</summary>
/// <param name="Oscillator">The problem, with its closed-form solution.</param>
/// <param name="Initial">The untrained network's error.</param>
/// <param name="Final">The trained network's error.</param>
/// <param name="FittedStart">The trained network's u(0) and u'(0).</param>
/// <param name="Losses">The loss before each step's update.</param>
/// <param name="ResidualLosses">Its ODE-residual part.</param>
/// <param name="InitialConditionLosses">Its initial-condition part.</param>
/// <param name="StepsPerSecond">Steps per second after warm-up, timing the steps alone.</param>
/// <param name="MeasuredSteps">Steps after warm-up, over which bytes and rate are measured.</param>
/// <param name="ManagedBytesPerStep">Managed bytes this thread allocated per step after warm-up.</param>
/// <param name="GcCollections">Garbage collections (generation 0 and up) while the loop ran.</param>
/// <param name="TensorsPerStep">Tensors one step makes (forward, both derivative graphs, loss, backward).</param>
/// <param name="ReservedBytes">Native memory the arena holds at the end of the loop.</param>
/// <param name="Files">Files written.</param>
internal sealed record PinnResult(
    Oscillator Oscillator,
    FitError Initial,
    FitError Final,
    (float Position, float Velocity) FittedStart,
    float[] Losses,
    float[] ResidualLosses,
    float[] InitialConditionLosses,
    double StepsPerSecond,
    int MeasuredSteps,
    double ManagedBytesPerStep,
    int GcCollections,
    int TensorsPerStep,
    long ReservedBytes,
    IReadOnlyList<string> Files)
{
    /// <summary>0 when the fit ended finite, 1 when it diverged.</summary>
    public int ExitCode => double.IsFinite(Final.MaxError) ? 0 : 1;
}
