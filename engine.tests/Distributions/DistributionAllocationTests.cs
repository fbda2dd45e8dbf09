using System.Runtime.CompilerServices;
using ArenaGrad.Distributions;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Distributions;

/// <summary>A policy step builds a distribution, samples, scores and takes the entropy in a scope: after warm-up,
/// 0 managed bytes and no native growth, for each distribution (and for a backward through them).</summary>
[NonParallelizable]
public sealed class DistributionAllocationTests
{
    [Test]
    public void Categorical_ConstructSampleLogProbEntropyAndBackward_InAScope_AllocatesNothing()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 1 });
        Tensor logits = arena.Randn([8, 4], requiresGrad: true);
        Assert.That(() => CategoricalStep(arena, logits), Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CategoricalStep(Arena arena, Tensor logits)
    {
        using (arena.Scope())
        {
            var d = new Categorical(logits);
            Tensor actions = d.Sample();
            Tensor loss = -(d.LogProb(actions).Mean()) - 0.01f * d.Entropy().Mean();
            loss.Backward();
        }
        logits.ZeroGrad();
    }

    [Test]
    public void Normal_ConstructSampleRSampleLogProbEntropyAndBackward_InAScope_AllocatesNothing()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 2 });
        Tensor loc = arena.Randn([8, 2], requiresGrad: true), logStd = arena.Zeros([2], requiresGrad: true);
        Assert.That(() => NormalStep(arena, loc, logStd), Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void NormalStep(Arena arena, Tensor loc, Tensor logStd)
    {
        using (arena.Scope())
        {
            var d = new Normal(loc, logStd.Exp());
            Tensor action = d.Sample();
            Tensor loss = -(d.LogProb(action).Mean()) - 0.01f * d.Entropy().Mean() + d.RSample().Square().Mean();
            loss.Backward();
        }
        loc.ZeroGrad();
        logStd.ZeroGrad();
    }

    [Test]
    public void Bernoulli_ConstructSampleLogProbEntropyAndBackward_InAScope_AllocatesNothing()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        Tensor logits = arena.Randn([8, 3], requiresGrad: true);
        Assert.That(() => BernoulliStep(arena, logits), Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BernoulliStep(Arena arena, Tensor logits)
    {
        using (arena.Scope())
        {
            var d = new Bernoulli(logits);
            Tensor loss = -(d.LogProb(d.Sample()).Mean()) - 0.01f * d.Entropy().Mean();
            loss.Backward();
        }
        logits.ZeroGrad();
    }
}
