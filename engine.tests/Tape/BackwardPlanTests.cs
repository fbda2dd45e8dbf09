using System;
using NUnit.Framework;

namespace ArenaGrad.Tests.Tape;

/// <summary>Backward skips its planning walk when the tape's watermarks say the walk would find nothing (no freed
/// entry, no in-place change since recording, no custom function, a seed with memory of its own). These tests pin both
/// sides: the common pass skips it, and every case the walk exists for still takes it and is still refused or right.</summary>
public class BackwardPlanTests
{
    private static Tensor Chain(Tensor x) => ((x * 2f).Tanh() + x) * x;

    [Test]
    public void CommonPass_InAFreshScope_SkipsThePlanningWalk()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        Tensor x = arena.Randn([5], requiresGrad: true);
        for (int step = 0; step < 3; step++)
        {
            using (arena.Scope())
            {
                Chain(x).Sum().Backward();
                Assert.That(arena.LastBackwardWalkedPlan, Is.False, $"step {step}");
            }
            x.ZeroGrad();
        }
    }

    [Test]
    public void InPlaceChange_AfterRecording_TakesTheWalkAndIsRefused()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        Tensor x = arena.Randn([4], requiresGrad: true);
        using (arena.Scope())
        {
            Tensor a = x * 1f;
            Tensor y = a.Tanh(); // saves its output
            y.Detach().MulInPlace(2f);
            var error = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
            Assert.That(error!.Message, Does.Contain("modified by an inplace operation"));
            Assert.That(arena.LastBackwardWalkedPlan, Is.True);
        }
        using (arena.Scope())
        {
            // The scope's end lowered the watermark: the next step's pass skips the walk again.
            Chain(x).Sum().Backward();
            Assert.That(arena.LastBackwardWalkedPlan, Is.False);
        }
    }

    [Test]
    public void SecondPass_WithoutRetainGraph_IsRefusedBeforeWritingAnything()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        Tensor x = arena.Randn([4], requiresGrad: true);
        using (arena.Scope())
        {
            Tensor loss = Chain(x).Sum();
            loss.Backward();
            float[] first = x.Grad!.Value.ToArray();
            Assert.Throws<InvalidOperationException>(() => loss.Backward());
            Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(first), "the refused pass wrote nothing");
        }
    }

    [Test]
    public void RetainedPasses_ThatReachFurtherEachTime_GiveEachPassItsOwnGradient()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        Tensor x = arena.Randn([6], requiresGrad: true);
        using (arena.Scope())
        {
            Tensor inner = (x * 3f).Tanh();
            Tensor outer = (inner * inner + x).Sum();
            // A first pass from the inner tensor, then one from the outer: intermediate gradients the first pass left
            // must not leak into the second.
            inner.Sum().Backward(retainGraph: true);
            x.ZeroGrad();
            outer.Backward(retainGraph: true);
            float[] twoPasses = x.Grad!.Value.ToArray();
            x.ZeroGrad();
            outer.Backward();
            Assert.That(twoPasses, Is.EqualTo(x.Grad!.Value.ToArray()));
        }
    }

    [Test]
    public void SeedThatViewsAGradient_TakesTheWalk_AndGivesTheSameAsACopy()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        Tensor x = arena.Randn([4], requiresGrad: true);
        Tensor w = arena.Randn([4], requiresGrad: true);
        using (arena.Scope()) (w * w).Sum().Backward(); // w.grad outlives the scope: w is a leaf made outside it
        float[] seedValues = w.Grad!.Value.ToArray();
        float[] viaView;
        using (arena.Scope())
        {
            Chain(x).Backward(w.Grad!.Value); // the seed is a gradient view: not read in place
            Assert.That(arena.LastBackwardWalkedPlan, Is.True);
            viaView = x.Grad!.Value.ToArray();
        }
        x.ZeroGrad();
        using (arena.Scope())
        {
            Chain(x).Backward(arena.FromData(seedValues, [4]));
            Assert.That(arena.LastBackwardWalkedPlan, Is.False);
        }
        Assert.That(viaView, Is.EqualTo(x.Grad!.Value.ToArray()));
        Assert.That(w.Grad!.Value.ToArray(), Is.EqualTo(seedValues), "the seed was only read");
    }

    [Test]
    public void Scratch_ComesFromEveryRuleOnTheTape_SoABroadcastRuleAfterALargerOneRuns()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        Tensor big = arena.Randn([64, 32], requiresGrad: true);
        Tensor small = arena.Randn([3, 4], requiresGrad: true);
        Tensor row = arena.Randn([4], requiresGrad: true);
        using (arena.Scope())
        {
            Tensor unrelated = big + arena.Randn([32]); // a broadcast rule with a large scratch, not reached below
            Tensor loss = (small * row).Sum();           // a broadcast rule reached
            loss.Backward();
            Assert.That(arena.LastBackwardWalkedPlan, Is.False);
            float[] expected = new float[4];
            float[] s = small.ToArray();
            for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) expected[j] += s[i * 4 + j];
            Assert.That(row.Grad!.Value.ToArray(), Is.EqualTo(expected).Within(1e-5f));
            Assert.That(big.Grad, Is.Null);
            GC.KeepAlive(unrelated);
        }
    }
}
