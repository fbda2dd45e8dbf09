using System;
using System.Globalization;

namespace ArenaGrad.Agents;

/// <summary>What every agent run takes from the command line; the defaults are what a run with no arguments does.</summary>
internal sealed record AgentOptions
{
    /// <summary>Seeds the arena (initial weights, action sampling, minibatch order) and the environments (env i uses
    /// seed + i, as gym's vector environments do).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Environment steps to run, counted over all environments (CleanRL's <c>total_timesteps</c>).</summary>
    public int TotalSteps { get; init; }

    /// <summary>Environments stepped side by side.</summary>
    public int Envs { get; init; }

    /// <summary>Folder for the learning curve and the policy files (created if missing).</summary>
    public string OutputDirectory { get; init; } = "out";

    /// <summary>When set, a JSON summary (the fields perf/pytorch/ppo_compare.py reads) is written there.</summary>
    public string? JsonPath { get; init; }

    /// <summary>Forces <see cref="ArenaOptions.Deterministic"/> on, so the run gives the same bits on every instruction set
    /// even where the CPU has no fused multiply-add (where the default is off, as fusing is then done in software,
    /// 8-30x slower). On CPUs with FMA the default is already on, and this changes nothing.</summary>
    public bool Deterministic { get; init; }

    /// <summary>The arena settings of the run: its seed, and <see cref="Deterministic"/> when forced on.</summary>
    public ArenaOptions ArenaOptions() => Deterministic
        ? new ArenaOptions { Seed = Seed, Deterministic = true }
        : new ArenaOptions { Seed = Seed };

    /// <summary>Runs the fixed-shape steps as captured plans (<see cref="Arena.Capture"/> and
    /// <see cref="Arena.CaptureTraining"/>) instead of op by op: same algorithm and, as replays are bitwise eager,
    /// the same learning curve. Only the CartPole PPO trainer has a captured variant.</summary>
    public bool Captured { get; init; }

    /// <summary>No progress display: the header and the final table only.</summary>
    public bool Quiet { get; init; }

    /// <summary>Whole iterations of <paramref name="stepsPerEnv"/> vector steps of <see cref="Envs"/> environments that
    /// fit in <see cref="TotalSteps"/>; throws when not even one does.</summary>
    /// <param name="stepsPerEnv">Vector steps per iteration.</param>
    /// <param name="iteration">What an iteration is called in the message ("rollout", "iteration").</param>
    public int IterationsOf(int stepsPerEnv, string iteration)
    {
        int perIteration = stepsPerEnv * Envs;
        int iterations = TotalSteps / perIteration;
        if (iterations == 0)
            throw new ArgumentException(
                $"--total-steps expects at least one {iteration} of {stepsPerEnv} steps × {Envs} envs = {perIteration} steps, but got {TotalSteps}.");
        return iterations;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (TotalSteps <= 0) throw Bad("--total-steps", "a positive integer", TotalSteps);
        if (Envs <= 0) throw Bad("--envs", "a positive integer", Envs);
        if (string.IsNullOrWhiteSpace(OutputDirectory)) throw new ArgumentException("--out expects a folder path, but got an empty string.");
        if (JsonPath is not null && string.IsNullOrWhiteSpace(JsonPath)) throw new ArgumentException("--json expects a file path, but got an empty string.");
    }

    internal static ArgumentException Bad(string option, string expected, IFormattable got) =>
        new($"{option} expects {expected}, but got {got.ToString(null, CultureInfo.InvariantCulture)}.");
}
