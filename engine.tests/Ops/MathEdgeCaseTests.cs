namespace ArenaGrad.Tests.Ops;

/// <summary>Arguments PyTorch 1.13 accepts without complaint in the math family (issue 16), with its results (values
/// printed by Debian's torch 1.13 for x = [0.5, -0.3, 3], gradients of the sum).</summary>
public sealed class MathEdgeCaseTests
{
    private static void Expect(Func<Tensor, Tensor> op, float[] values, float[] grads)
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([0.5f, -0.3f, 3f], [3], requiresGrad: true);
        Tensor y = op(x);
        y.Sum().Backward();
        Assert.That(y.ToArray(), Is.EqualTo(values).Within(1e-6f));
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(grads).Within(1e-6f));
    }

    // F.hardtanh(x, 2., 1.): clamp to min then max, so every value is max; no element is strictly inside.
    [Test] public void Hardtanh_MinAboveMax_GivesMaxAndNoGradient() => Expect(x => x.Hardtanh(2f, 1f), [1f, 1f, 1f], [0f, 0f, 0f]);

    // F.softplus(x, beta=0): log1p(exp(0)) / 0.
    [Test] public void Softplus_BetaZero_GivesInfinityAndHalfGradient() =>
        Expect(x => x.Softplus(0f), [float.PositiveInfinity, float.PositiveInfinity, float.PositiveInfinity], [0.5f, 0.5f, 0.5f]);

    [Test]
    public void Softplus_NegativeBeta_FollowsTheFormula() => Expect(x => x.Softplus(-1f),
        [-0.4740769863128662f, -0.8543552756309509f, -0.04858735203742981f], [0.3775406777858734f, 0.5744425654411316f, 0.04742587357759476f]);

    [Test]
    public void Elu_NegativeAlpha_FollowsTheFormula() =>
        Expect(x => x.Elu(-2f), [0.5f, 0.5183635950088501f, 3f], [1f, -1.48163640499115f, 1f]);
}
