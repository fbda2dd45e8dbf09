using ArenaGrad.Nn;
using ArenaGrad.Optim;

namespace ArenaGrad.Tests.Embedding;

/// <summary>Threads that each train their own model in their own arena do not disturb each other: every thread's
/// losses and final weights equal a sequential run of the same work, bit for bit.</summary>
[NonParallelizable]
public sealed class ParallelTrainingTests
{
    private const int Steps = 300;

    /// <summary>One agent's training run: an Mlp with Adam on a small regression task drawn from its own seed.</summary>
    private static (float[] Losses, float[][] Weights) Train(int agent)
    {
        using var arena = new Arena(new ArenaOptions { Seed = (ulong)(100 + agent) });
        var model = new Mlp(arena, [4, 24, 24, 2]);
        var optimizer = new Adam(model.Parameters(), lr: 5e-3f);
        Tensor inputs = arena.Uniform([32, 4], -1f, 1f);
        Tensor targets = arena.Uniform([32, 2], -1f, 1f);
        var losses = new float[Steps];
        for (int step = 0; step < Steps; step++)
        {
            optimizer.ZeroGrad();
            using (arena.Scope())
            {
                Tensor loss = Functional.MseLoss(model.Forward(inputs), targets);
                loss.Backward();
                losses[step] = loss.Item();
            }
            optimizer.Step();
        }
        return (losses, model.Parameters().Select(p => p.ToArray()).ToArray());
    }

    [Test]
    public void ThreadsTrainingTheirOwnModels_MatchASequentialRunBitForBit()
    {
        const int Agents = 6;
        var sequential = new (float[] Losses, float[][] Weights)[Agents];
        for (int agent = 0; agent < Agents; agent++) sequential[agent] = Train(agent);

        var parallel = new (float[] Losses, float[][] Weights)[Agents];
        Threads.Run(Agents, agent => parallel[agent] = Train(agent));

        for (int agent = 0; agent < Agents; agent++)
        {
            Assert.That(Bits(parallel[agent].Losses), Is.EqualTo(Bits(sequential[agent].Losses)), $"agent {agent}: losses");
            for (int p = 0; p < sequential[agent].Weights.Length; p++)
                Assert.That(Bits(parallel[agent].Weights[p]), Is.EqualTo(Bits(sequential[agent].Weights[p])), $"agent {agent}: parameter {p}");
        }
        Assert.That(sequential[0].Losses[^1], Is.LessThan(sequential[0].Losses[0] * 0.5f), "the models learn");
        Assert.That(Bits(sequential[0].Losses), Is.Not.EqualTo(Bits(sequential[1].Losses)), "agents differ: their seeds do");
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
