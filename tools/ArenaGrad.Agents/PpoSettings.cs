using System;

namespace ArenaGrad.Agents;

/// <summary>PPO's hyperparameters; the defaults are CleanRL's <c>ppo.py</c> defaults for CartPole-v1
/// (../shared/rl/cartpole.md, section 2).</summary>
internal sealed record PpoSettings
{
    /// <summary>T: vector steps per rollout (<c>num_steps</c>).</summary>
    public int RolloutSteps { get; init; } = 128;

    /// <summary>Minibatches per epoch (<c>num_minibatches</c>); must divide T × envs.</summary>
    public int Minibatches { get; init; } = 4;

    /// <summary>Passes over each rollout (<c>update_epochs</c>).</summary>
    public int Epochs { get; init; } = 4;

    /// <summary>Adam's learning rate at the first iteration (<c>learning_rate</c>).</summary>
    public double LearningRate { get; init; } = 2.5e-4;

    /// <summary>Linear annealing of the learning rate to 0 over the iterations (<c>anneal_lr</c>).</summary>
    public bool AnnealLearningRate { get; init; } = true;

    /// <summary>Adam's ε, added to √v̂ (<c>eps=1e-5</c> in ppo.py, not PyTorch's default 1e-8).</summary>
    public float AdamEps { get; init; } = 1e-5f;

    /// <summary>Discount γ.</summary>
    public float Gamma { get; init; } = 0.99f;

    /// <summary>GAE λ.</summary>
    public float GaeLambda { get; init; } = 0.95f;

    /// <summary>Policy ratio clip ε (<c>clip_coef</c>), also the value clip.</summary>
    public float Clip { get; init; } = 0.2f;

    /// <summary>Entropy bonus coefficient (<c>ent_coef</c>).</summary>
    public float EntropyCoefficient { get; init; } = 0.01f;

    /// <summary>Value-loss coefficient (<c>vf_coef</c>).</summary>
    public float ValueCoefficient { get; init; } = 0.5f;

    /// <summary>Global L2 norm the gradients are clipped to (<c>max_grad_norm</c>).</summary>
    public float MaxGradNorm { get; init; } = 0.5f;

    /// <summary>Width of both hidden tanh layers of the actor and of the critic.</summary>
    public int Hidden { get; init; } = 64;

    /// <summary>Throws <see cref="ArgumentException"/> for a setting out of range, and when the minibatches do not
    /// divide the batch of <paramref name="envs"/> × <see cref="RolloutSteps"/>.</summary>
    public void Validate(int envs)
    {
        if (RolloutSteps <= 0) throw AgentOptions.Bad("RolloutSteps", "a positive integer", RolloutSteps);
        if (Epochs <= 0) throw AgentOptions.Bad("Epochs", "a positive integer", Epochs);
        if (Hidden <= 0) throw AgentOptions.Bad("Hidden", "a positive integer", Hidden);
        if (Minibatches <= 0 || (long)RolloutSteps * envs % Minibatches != 0)
            throw new ArgumentException(
                $"Expected a number of minibatches that divides the batch of {RolloutSteps} steps × {envs} envs, but got {Minibatches}.");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw AgentOptions.Bad("LearningRate", "a positive number", LearningRate);
    }
}
