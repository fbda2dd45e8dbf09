using System.Runtime.CompilerServices;
using ArenaGrad.Nn;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Embedding;

/// <summary>Issue 19's many agents (perf's ManyAgentsBenchmarks without ONNX Runtime): one frozen policy decides for
/// many agents in one batched call and per agent on pooled arenas that borrow its weights; both allocate nothing and
/// pick the same actions.</summary>
[NonParallelizable]
public sealed class ManyAgentsTests
{
    private const int Agents = 1000, ObservationSize = 8, ActionCount = 4;

    [Test]
    public void BatchedAndPerAgentPooledDecisions_PickTheSameActions_AndAllocateNothing()
    {
        using var shared = new Arena(new ArenaOptions { Seed = 42 });
        var policy = new Mlp(shared, [ObservationSize, 64, 64, ActionCount]);
        policy.Eval();
        policy.RequiresGrad(false);
        IReadOnlyList<Tensor> parameters = policy.Parameters();
        float[] observations = shared.Randn([Agents, ObservationSize]).ToArray();
        shared.Freeze();

        using var pool = new ArenaPool(new ArenaPoolPolicy { MaximumRetained = 2 });
        Arena batchArena = pool.Rent();
        batchArena.BorrowAll(parameters);
        Tensor batchObservations = batchArena.FromData(observations, [Agents, ObservationSize]);
        var batched = new int[Agents];
        var perAgent = new int[Agents];

        Batched(batchArena, policy, batchObservations, batched);
        PerAgentPooled(pool, policy, parameters, observations, perAgent);
        Assert.That(perAgent, Is.EqualTo(batched), "per-agent pooled decisions pick the batched actions");
        Assert.That(batched.Distinct().Count(), Is.GreaterThan(1), "the actions are not all one (the check could not fail)");

        Assert.That(() => Batched(batchArena, policy, batchObservations, batched), Allocates.Nothing & Allocates.NoNativeGrowth(batchArena));
        Assert.That(() => PerAgentPooled(pool, policy, parameters, observations, perAgent), Allocates.Nothing);
        Assert.That(perAgent, Is.EqualTo(batched), "still the same after the measured calls");

        pool.Return(batchArena);
        Assert.That(shared.BorrowerCount, Is.Zero, "returning the arenas released every borrowed view");
    }

    /// <summary>One forward of the whole batch, the argmax per agent read into <paramref name="actions"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Batched(Arena arena, Mlp policy, Tensor observations, int[] actions)
    {
        using (arena.Scope())
        using (arena.NoGrad())
            policy.Forward(observations).ArgMax(1).CopyTo(actions);
    }

    /// <summary>The README's pattern per decision: rent, borrow in a scope, decide on the agent's row, return.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void PerAgentPooled(ArenaPool pool, Mlp policy, IReadOnlyList<Tensor> parameters, float[] observations, int[] actions)
    {
        for (int i = 0; i < Agents; i++)
        {
            Arena arena = pool.Rent();
            using (arena.Scope())
            using (arena.NoGrad())
            {
                arena.BorrowAll(parameters);
                Tensor observation = arena.FromData(observations.AsSpan(i * ObservationSize, ObservationSize), [1, ObservationSize]);
                policy.Forward(observation).ArgMax(1).CopyTo(actions.AsSpan(i, 1));
            }
            pool.Return(arena);
        }
    }
}
