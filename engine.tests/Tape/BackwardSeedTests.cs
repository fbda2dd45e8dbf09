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
