namespace ArenaGrad.Tests.Optim;

/// <summary>Functional.ClipGradNorm as torch.nn.utils.clip_grad_norm_.</summary>
public sealed class ClipGradNormTests
{
    private static (Arena Arena, Tensor[] Parameters) WithGradients(float[] a, float[] b)
    {
        var arena = new Arena();
        Tensor p = arena.Zeros([a.Length], requiresGrad: true), q = arena.Zeros([b.Length], requiresGrad: true);
        // d(Σ p·ga + Σ q·gb)/dp = ga
        ((p * arena.FromData(a)).Sum() + (q * arena.FromData(b)).Sum()).Backward();
        return (arena, [p, q]);
    }

    [Test]
    public void ClipGradNorm_AboveMax_ReturnsTheTotalNormAndScalesEveryGradient()
    {
        (Arena arena, Tensor[] parameters) = WithGradients([3f, 0f], [4f]);
        using (arena)
        {
            float total = Functional.ClipGradNorm(parameters, 1f);
            Assert.That(total, Is.EqualTo(5f));
            float coefficient = 1f / (5f + 1e-6f);
            Assert.That(parameters[0].Grad!.Value.ToArray(), Is.EqualTo(new[] { 3f * coefficient, 0f }));
            Assert.That(parameters[1].Grad!.Value.ToArray(), Is.EqualTo(new[] { 4f * coefficient }));
        }
    }

    [Test]
    public void ClipGradNorm_BelowMax_LeavesGradientsAsTheyWere()
    {
        (Arena arena, Tensor[] parameters) = WithGradients([0.3f], [0.4f]);
        using (arena)
        {
            Assert.That(Functional.ClipGradNorm((IReadOnlyList<Tensor>)parameters, 1f), Is.EqualTo(0.5f).Within(1e-7f));
            Assert.That(parameters[0].Grad!.Value.Item(), Is.EqualTo(0.3f));
        }
    }

    [Test]
    public void ClipGradNorm_SkipsNoneGradients_AndReturnsZeroWhenThereAreNone()
    {
        using var arena = new Arena();
        Tensor a = arena.Ones([2], requiresGrad: true), b = arena.Ones([2], requiresGrad: true);
        Assert.That(Functional.ClipGradNorm([a, b], 1f), Is.Zero);
        (a * 3f).Sum().Backward();
        Assert.That(Functional.ClipGradNorm(new[] { a, b }.Where(_ => true), 10f), Is.EqualTo(MathF.Sqrt(18f)).Within(1e-6f), "any IEnumerable");
        Assert.That(b.Grad, Is.Null);
    }

    [Test]
    public void ClipGradNorm_NonFiniteWithErrorIfNonfinite_ThrowsPyTorchsMessage()
    {
        (Arena arena, Tensor[] parameters) = WithGradients([float.PositiveInfinity], [1f]);
        using (arena)
        {
            var error = Assert.Throws<InvalidOperationException>(() => Functional.ClipGradNorm(parameters, 1f, errorIfNonfinite: true))!;
            Assert.That(error.Message, Does.StartWith("The total norm of order 2.0 for gradients from `parameters` is non-finite"));
            Assert.That(float.IsPositiveInfinity(Functional.ClipGradNorm(parameters, 1f)), Is.True);
        }
    }
}
