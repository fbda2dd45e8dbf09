using System.Collections.Generic;

namespace ArenaGrad.Agents;

/// <summary>What one agent run measured and wrote.</summary>
/// <param name="Environment">The environment's gym id.</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="Steps">Environment steps taken, over all environments.</param>
/// <param name="WallSeconds">From the first reset to the end of the last update.</param>
/// <param name="SolvedStep">The first global step at which the mean of the last 20 returns reached the target; null if never.</param>
/// <param name="Episodes">Episodes finished.</param>
/// <param name="LastMeanReturn">Mean return of the last 20 episodes at the end (NaN if none finished).</param>
/// <param name="CurveSteps">Global step after each iteration.</param>
/// <param name="CurveMeanReturns">Mean of the last 20 returns after each iteration (NaN before the first episode).</param>
/// <param name="ManagedBytesPerIteration">Managed bytes allocated per iteration after the warm-up iterations.</param>
/// <param name="MeasuredIterations">Iterations the byte count covers.</param>
/// <param name="GcCollections">Generation-0 collections during training.</param>
/// <param name="Digest">SHA-256 of the learning curve and the final weights: equal on every machine and instruction set
/// for one seed and settings.</param>
/// <param name="Files">Files written.</param>
internal sealed record AgentResult(string Environment, ulong Seed, long Steps, double WallSeconds, long? SolvedStep, long Episodes,
    double LastMeanReturn, long[] CurveSteps, double[] CurveMeanReturns, double ManagedBytesPerIteration, int MeasuredIterations,
    int GcCollections, string Digest, IReadOnlyList<string> Files)
{
    /// <summary>Environment steps per second of wall time.</summary>
    public double StepsPerSecond => Steps / WallSeconds;

    /// <summary>Seconds spent in <see cref="IAgentTrainer.WarmUp"/> before the clock started (mostly JIT compilation).</summary>
    public double WarmUpSeconds { get; init; }

    /// <summary>0 when the run finished with finite weights, 1 when training diverged.</summary>
    public int ExitCode { get; init; }
}
