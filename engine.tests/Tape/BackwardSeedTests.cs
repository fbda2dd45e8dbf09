using System;
using NUnit.Framework;

namespace ArenaGrad.Tests.Tape;

/// <summary>The seed gradient given to <c>Backward(gradient)</c>: read in place for a single non-leaf root that does not
/// retain its gradient, copied otherwise; either way the seed tensor itself is never written.</summary>
public class BackwardSeedTests
{
    [Test]
    public void Backward_WithSeed_GivesTheChainRuleAndLeavesTheSeedUnchanged()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([0.5f, -1f, 2f], [3], requiresGrad: true);
        Tensor seed = arena.FromData([1f, 2f, 3f], [3]);
        using (arena.Scope())
        {
            Tensor y = (x * 3f).Tanh();
            y.Backward(seed);
            float[] expected = new float[3];
            for (int i = 0; i < 3; i++)
            {
                float t = MathF.Tanh(3f * x.ToArray()[i]);
                expected[i] = seed.ToArray()[i] * (1f - t * t) * 3f;
            }
            Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(expected).Within(1e-5f));
            Assert.That(seed.ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f }), "the seed is only read");
            Assert.That(y.Grad, Is.Null, "a non-leaf's .grad is None unless it retains it");
            y.RetainGrad();
            Assert.That(y.Grad, Is.Null, "retain_grad after backward: nothing was retained (PyTorch: None)");
        }
    }

    [Test]
    public void Backward_WithSeed_OnARootThatRetainsItsGradient_KeepsACopyOfTheSeed()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([0.5f, -1f], [2], requiresGrad: true);
        Tensor seed = arena.FromData([4f, 5f], [2]);
        using (arena.Scope())
        {
            Tensor y = x * 2f;
            y.RetainGrad();
            y.Backward(seed);
            seed.FillInPlace(0f);
            Assert.That(y.Grad!.Value.ToArray(), Is.EqualTo(new[] { 4f, 5f }), "its own copy, not the seed's memory");
            Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 8f, 10f }));
        }
    }

    [Test]
    public void Backward_WithSeed_Twice_AccumulatesIntoTheLeaf_AndTheRootsBufferIsItsOwnAgain()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f], [2], requiresGrad: true);
        Tensor seed = arena.FromData([1f, 10f], [2]);
        using (arena.Scope())
        {
            Tensor y = x * x;
            y.Backward(seed, retainGraph: true);
            y.Backward(seed);
            Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 4f, 80f }), "2 * (2x * seed)");
            Assert.That(seed.ToArray(), Is.EqualTo(new[] { 1f, 10f }));
        }
    }

    [Test]
    public void Backward_WithALeafsGradientAsTheSeed_ReadsItBeforeThePassAddsToIt()
    {
        // y = w @ x with the seed x.grad itself: dx = wᵀ @ seed is added to the very memory the seed lives in, so the
        // seed must be read as it was before the pass (PyTorch computes the product first, then accumulates).
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f], [3, 3], requiresGrad: true);
        Tensor w = arena.FromData([1f, -2f, 3f, 0.5f, 4f, -1f, 2f, 1f, -3f], [3, 3]);
        float[] g0 = [1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f];
        using (arena.Scope()) (x * 1f).Backward(arena.FromData(g0, [3, 3])); // x.grad = g0
        using (arena.Scope())
        {
            Tensor y = w.MatMul(x);
            y.Backward(x.Grad!.Value);
        }
        float[] wv = w.ToArray(), expected = new float[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                float sum = 0f;
                for (int k = 0; k < 3; k++) sum += wv[k * 3 + i] * g0[k * 3 + j]; // (wᵀ g0)[i, j]
                expected[i * 3 + j] = g0[i * 3 + j] + sum;
            }
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(expected).Within(1e-5f));
    }

    [Test]
    public void Backward_WithABorrowedSeed_ReadsTheBorrowedValues()
    {
        using var shared = new Arena();
        Tensor sharedSeed = shared.FromData([2f, 3f], [2]);
        shared.Freeze();
        using var local = new Arena();
        local.Borrow(sharedSeed);
        Tensor x = local.FromData([1f, 1f], [2], requiresGrad: true);
        using (local.Scope())
        {
            Tensor y = x * 5f;
            y.Backward(sharedSeed); // the shared arena's own handle, mapped to this arena's borrowed view
            Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 10f, 15f }));
        }
    }
}
