using System;
using ArenaGrad.Nn;

namespace ArenaGrad.Agents;

/// <summary>CleanRL's <c>Agent</c>: a critic and an actor with no shared layers, each an MLP
/// observations-H-H-out with tanh, orthogonally initialized (gain √2 on the hidden layers, <c>actorOutputGain</c> on the
/// actor's output, 1 on the critic's) with zero biases. Its state dict uses CleanRL's names (<c>critic.0.weight</c>,
/// ..., <c>actor.4.bias</c>), so a checkpoint loads into ppo.py's <c>Agent</c>.</summary>
internal sealed class ActorCritic : Module
{
    /// <summary>Makes both networks in <paramref name="arena"/> (outside any scope) and initializes them from its generator,
    /// critic first, as ppo.py constructs them.</summary>
    public ActorCritic(Arena arena, int observationSize, int actorOutputs, int hidden, float actorOutputGain = 0.01f)
    {
        Critic = new Mlp(arena, [observationSize, hidden, hidden, 1]);
        Actor = new Mlp(arena, [observationSize, hidden, hidden, actorOutputs]);
        RegisterModule("critic", Critic);
        RegisterModule("actor", Actor);
        Initialize(Critic, outputGain: 1f);
        Initialize(Actor, actorOutputGain);
    }

    /// <summary>V(s): observations [n, observationSize] to values [n, 1].</summary>
    public Mlp Critic { get; }

    /// <summary>The policy head: observations to logits (a discrete action) or means (a continuous one).</summary>
    public Mlp Actor { get; }

    /// <summary>The actor's output (what the exported policy computes).</summary>
    public override Tensor Forward(Tensor input) => Actor.Forward(input);

    /// <summary>ppo.py's <c>layer_init</c>: orthogonal weights, zero biases.</summary>
    private static void Initialize(Mlp network, float outputGain)
    {
        int last = network.Count - 1;
        for (int i = 0; i < network.Count; i++)
        {
            if (network[i] is not Linear linear) continue;
            Init.Orthogonal(linear.Weight, i == last ? outputGain : MathF.Sqrt(2f));
            if (linear.Bias is Tensor bias) Init.Constant(bias, 0f);
        }
    }
}
