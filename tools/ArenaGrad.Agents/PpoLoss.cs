using ArenaGrad.Distributions;
using ArenaGrad.Rl;

namespace ArenaGrad.Agents;

/// <summary>CleanRL's losses and diagnostics for one minibatch, as <c>ppo.py</c> logs them.</summary>
/// <param name="PolicyLoss">The clipped surrogate L_pg.</param>
/// <param name="ValueLoss">0.5 · mean of the clipped squared value error.</param>
/// <param name="Entropy">The policy's mean entropy.</param>
/// <param name="ApproxKl">mean((ratio − 1) − log ratio), the low-variance KL estimate.</param>
/// <param name="ClipFraction">Share of the minibatch whose ratio left [1 − ε, 1 + ε].</param>
internal readonly record struct PpoDiagnostics(float PolicyLoss, float ValueLoss, float Entropy, float ApproxKl, float ClipFraction);

/// <summary>The PPO objective on one minibatch of a discrete-action rollout (../shared/rl/cartpole.md, "Update").</summary>
internal readonly struct PpoLoss
{
    private readonly Tensor _ratio, _logRatio, _policyLoss, _valueLoss, _entropy;
    private readonly float _clip;

    private PpoLoss(Tensor total, Tensor ratio, Tensor logRatio, Tensor policyLoss, Tensor valueLoss, Tensor entropy, float clip)
    {
        Total = total;
        (_ratio, _logRatio, _policyLoss, _valueLoss, _entropy, _clip) = (ratio, logRatio, policyLoss, valueLoss, entropy, clip);
    }

    /// <summary>L_pg − c_ent · mean(entropy) + c_v · L_V, the tensor backward starts from.</summary>
    public Tensor Total { get; }

    /// <summary>Records the loss for the rows of <paramref name="buffer"/> that <paramref name="index"/> picks; call it in
    /// a scope.</summary>
    public static PpoLoss Compute(ActorCritic agent, RolloutBuffer buffer, Tensor index, PpoSettings settings)
    {
        Tensor observations = buffer.BatchObservations.IndexSelect(0, index);
        var policy = new Categorical(agent.Actor.Forward(observations));
        Tensor logRatio = policy.LogProb(buffer.BatchActions.IndexSelect(0, index)) - buffer.BatchLogProbs.IndexSelect(0, index);
        Tensor ratio = logRatio.Exp();
        Tensor entropy = policy.Entropy().Mean();

        // Advantages normalized per minibatch with the sample standard deviation, as ppo.py's norm_adv.
        Tensor advantages = buffer.BatchAdvantages.IndexSelect(0, index);
        advantages = (advantages - advantages.Mean()) / (advantages.Std() + 1e-8f);
        float clip = settings.Clip;
        Tensor policyLoss = Functional.Maximum(-advantages * ratio, -advantages * ratio.Clamp(1f - clip, 1f + clip)).Mean();

        // The value loss is clipped around the rollout's values, as ppo.py's clip_vloss.
        Tensor value = agent.Critic.Forward(observations).Reshape(-1);
        Tensor returns = buffer.BatchReturns.IndexSelect(0, index), oldValues = buffer.BatchValues.IndexSelect(0, index);
        Tensor unclipped = (value - returns).Square();
        Tensor clipped = (oldValues + (value - oldValues).Clamp(-clip, clip) - returns).Square();
        Tensor valueLoss = 0.5f * Functional.Maximum(unclipped, clipped).Mean();

        Tensor total = policyLoss - settings.EntropyCoefficient * entropy + valueLoss * settings.ValueCoefficient;
        return new PpoLoss(total, ratio, logRatio, policyLoss, valueLoss, entropy, clip);
    }

    /// <summary>Reads the losses and computes approx_kl and clipfrac without recording (a few host reads).</summary>
    public PpoDiagnostics Diagnostics()
    {
        using (_ratio.Arena.NoGrad())
        {
            float approxKl = ((_ratio - 1f) - _logRatio).Mean().Item();
            float clipFraction = (_ratio - 1f).Abs().Gt(_clip).To(DType.Float32).Mean().Item();
            return new PpoDiagnostics(_policyLoss.Item(), _valueLoss.Item(), _entropy.Item(), approxKl, clipFraction);
        }
    }
}
