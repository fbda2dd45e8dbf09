using System;

namespace ArenaGrad.Agents;

/// <summary>SAC's hyperparameters; the defaults are CleanRL's <c>sac_continuous_action.py</c> defaults except
/// <see cref="Hidden"/> and <see cref="LearningStarts"/>, which are smaller so a Pendulum-v1 run takes seconds.</summary>
internal sealed record SacSettings
{
    /// <summary>Width of both hidden ReLU layers of the actor and of each Q network (CleanRL: 256).</summary>
    public int Hidden { get; init; } = 64;

    /// <summary>Vector steps taken with uniform random actions before learning; updates start after this many
    /// (<c>learning_starts</c>; CleanRL: 5000). 800 makes learning start in the fifth 200-step iteration, inside
    /// <see cref="AgentRun"/>'s five warm-up iterations, so the arena's one-time growth on the first update is not
    /// counted as bytes per iteration.</summary>
    public int LearningStarts { get; init; } = 800;

    /// <summary>Transitions per gradient step (<c>batch_size</c>).</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Transitions the replay buffer holds at most (<c>buffer_size</c>); a run never stores more than its total
    /// steps, so the buffer is made no larger than that.</summary>
    public int BufferSize { get; init; } = 1_000_000;

    /// <summary>Discount γ (<c>gamma</c>).</summary>
    public float Gamma { get; init; } = 0.99f;

    /// <summary>Target smoothing coefficient τ of the Polyak update (<c>tau</c>).</summary>
    public float Tau { get; init; } = 0.005f;

    /// <summary>Adam's learning rate for the actor (<c>policy_lr</c>).</summary>
    public double PolicyLearningRate { get; init; } = 3e-4;

    /// <summary>Adam's learning rate for the two Q networks and for log α (<c>q_lr</c>).</summary>
    public double QLearningRate { get; init; } = 1e-3;

    /// <summary>The actor and α are updated on every this-many-th vector step, this many times in a row
    /// (<c>policy_frequency</c>, delayed as in TD3).</summary>
    public int PolicyFrequency { get; init; } = 2;

    /// <summary>The target networks are Polyak-updated on every this-many-th vector step (<c>target_network_frequency</c>).</summary>
    public int TargetNetworkFrequency { get; init; } = 1;

    /// <summary>Vector steps per iteration, the unit <see cref="AgentRun"/> times: one Pendulum-v1 episode.</summary>
    public int StepsPerIteration { get; init; } = 200;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (Hidden <= 0) throw AgentOptions.Bad("Hidden", "a positive integer", Hidden);
        if (LearningStarts < 0) throw AgentOptions.Bad("LearningStarts", "a non-negative integer", LearningStarts);
        if (BatchSize <= 0) throw AgentOptions.Bad("BatchSize", "a positive integer", BatchSize);
        if (BufferSize <= 0) throw AgentOptions.Bad("BufferSize", "a positive integer", BufferSize);
        if (!(Gamma >= 0f && Gamma <= 1f)) throw AgentOptions.Bad("Gamma", "a number in [0, 1]", Gamma);
        if (!(Tau >= 0f && Tau <= 1f)) throw AgentOptions.Bad("Tau", "a number in [0, 1]", Tau);
        if (!(PolicyLearningRate > 0) || !double.IsFinite(PolicyLearningRate))
            throw AgentOptions.Bad("PolicyLearningRate", "a positive number", PolicyLearningRate);
        if (!(QLearningRate > 0) || !double.IsFinite(QLearningRate)) throw AgentOptions.Bad("QLearningRate", "a positive number", QLearningRate);
        if (PolicyFrequency <= 0) throw AgentOptions.Bad("PolicyFrequency", "a positive integer", PolicyFrequency);
        if (TargetNetworkFrequency <= 0) throw AgentOptions.Bad("TargetNetworkFrequency", "a positive integer", TargetNetworkFrequency);
        if (StepsPerIteration <= 0) throw AgentOptions.Bad("StepsPerIteration", "a positive integer", StepsPerIteration);
    }
}
