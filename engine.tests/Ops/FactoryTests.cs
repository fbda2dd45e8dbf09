namespace ArenaGrad.Tests.Ops;

/// <summary>Factories: values, shapes and seeded randomness.</summary>
public sealed class FactoryTests
{
    [Test]
    public void Range_IncludesEnd_AsTorchRange()
    {
        using var arena = new Arena();
        Assert.That(arena.Range(1, 6).ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f, 4f, 5f, 6f }));
        Assert.That(arena.Range(0, 1, 0.25f).ToArray(), Is.EqualTo(new[] { 0f, 0.25f, 0.5f, 0.75f, 1f }));
        Assert.That(arena.Range(3, 1, -1).ToArray(), Is.EqualTo(new[] { 3f, 2f, 1f }));
    }

    [Test]
    public void Arange_ExcludesEnd_AsTorchArange()
    {
        using var arena = new Arena();
        Assert.That(arena.Arange(4).ToArray(), Is.EqualTo(new[] { 0f, 1f, 2f, 3f }));
        Assert.That(arena.Arange(1, 2, 0.3f).ToArray(), Is.EqualTo(new[] { 1f, 1.3f, 1.6f, 1.9f }).Within(1e-6f));
        Assert.That(arena.Arange(5, 5).Shape.ToArray(), Is.EqualTo(new[] { 0 }));
    }

    [Test]
    public void FullZerosOnesScalar_HaveShapeAndValue()
    {
        using var arena = new Arena();
        Assert.That(arena.Full([2, 2], 3.5f).ToArray(), Is.EqualTo(new[] { 3.5f, 3.5f, 3.5f, 3.5f }));
        Assert.That(arena.Zeros([2, 3, 4, 5]).Shape.ToArray(), Is.EqualTo(new[] { 2, 3, 4, 5 }));
        Assert.That(arena.Ones([0, 3]).Count, Is.Zero);
        Tensor scalar = arena.Scalar(2f);
        Assert.That(scalar.Rank, Is.Zero);
        Assert.That(scalar.Item(), Is.EqualTo(2f));
    }

    [Test]
    public void RandAndRandn_SameSeed_SameValues_DifferentSeed_DifferentValues()
    {
        using var one = new Arena(new ArenaOptions { Seed = 42 });
        using var two = new Arena(new ArenaOptions { Seed = 42 });
        using var three = new Arena(new ArenaOptions { Seed = 43 });
        Assert.That(one.Rand([100]).ToArray(), Is.EqualTo(two.Rand([100]).ToArray()));
        Assert.That(one.Randn([100]).ToArray(), Is.EqualTo(two.Randn([100]).ToArray()));
        Assert.That(three.Rand([100]).ToArray(), Is.Not.EqualTo(two.Rand([100]).ToArray()));
        one.ManualSeed(7);
        two.ManualSeed(7);
        Assert.That(one.Uniform([10], -2, 2).ToArray(), Is.EqualTo(two.Uniform([10], -2, 2).ToArray()));
    }

    [Test]
    public void Rand_InUnitInterval_Randn_HasUnitMoments()
    {
        using var arena = new Arena();
        float[] uniform = arena.Rand([100_000]).ToArray();
        Assert.That(uniform.Min(), Is.GreaterThanOrEqualTo(0f));
        Assert.That(uniform.Max(), Is.LessThan(1f));
        Assert.That(uniform.Average(), Is.EqualTo(0.5).Within(0.01));
        float[] normal = arena.Randn([100_000]).ToArray();
        double mean = normal.Average();
        double variance = normal.Select(v => (v - mean) * (v - mean)).Average();
        Assert.That(mean, Is.EqualTo(0).Within(0.02));
        Assert.That(variance, Is.EqualTo(1).Within(0.03));
    }

    [Test]
    public void Clamp_Gradient_PassesInsideBoundsInclusive()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([-1.2f, -0.9f, 0.3f, 0.8f, 0.9f], requiresGrad: true);
        Tensor y = x.Clamp(-0.9f, 0.8f);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { -0.9f, -0.9f, 0.3f, 0.8f, 0.8f }));
        y.Sum().Backward();
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 0f, 1f, 1f, 1f, 0f }));
    }

    [Test]
    public void Max_Ties_ShareTheGradientEvenly()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 3f, 3f, 2f], [2, 2], requiresGrad: true);
        x.Max().Backward();
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 0f, 0.5f, 0.5f, 0f }));
    }
}
