namespace ArenaGrad.Tests.Ops;

/// <summary>The math family (issue 16) against finite differences (<see cref="Autograd.GradCheck"/>), on inputs chosen
/// away from each op's kinks and jumps, with broadcasting for minimum and maximum.</summary>
public sealed class MathGradCheckTests
{
    private static readonly int[] S23 = [2, 3];

    /// <summary>Inputs of <paramref name="shapes"/> drawn uniformly from [lo, hi] (fixed seed), all requiring grad; values
    /// within 0.05 of any of <paramref name="avoid"/>'s points (a kink or a jump) are redrawn.</summary>
    private static void Check(TensorFunction program, int[][] shapes, float lo = -2f, float hi = 2f, Func<float, bool>? avoid = null,
        int seed = 16, double tolerance = 3e-2)
    {
        var random = new Random(seed);
        using var arena = new Arena();
        var inputs = new Tensor[shapes.Length];
        for (int i = 0; i < shapes.Length; i++)
        {
            int count = shapes[i].Aggregate(1, (a, b) => a * b);
            var values = new float[count];
            for (int j = 0; j < count; j++)
                do values[j] = lo + (float)random.NextDouble() * (hi - lo);
                while (avoid?.Invoke(values[j]) == true);
            inputs[i] = arena.FromData(values, shapes[i], requiresGrad: true);
        }
        GradCheckResult result = Autograd.GradCheck(program, inputs, epsilon: 1e-2f, absoluteTolerance: 3e-3, relativeTolerance: tolerance);
        Assert.That(result.Passed, Is.True, result.ToString());
        Assert.That(result.CheckedElements, Is.EqualTo(shapes.Sum(s => s.Aggregate(1, (a, b) => a * b))));
    }

    private static bool Near(float x, float point) => MathF.Abs(x - point) < 0.05f;

    [Test] public void Sin() => Check(t => t[0].Sin(), [S23], -4f, 4f);
    [Test] public void Sin_LargeArguments() => Check(t => t[0].Sin(), [S23], 100f, 110f);
    [Test] public void Cos() => Check(t => t[0].Cos(), [S23], -4f, 4f);
    [Test] public void Log1p() => Check(t => t[0].Log1p(), [S23], -0.7f, 3f);
    [Test] public void Expm1() => Check(t => t[0].Expm1(), [S23], -3f, 2f);
    [Test] public void Erf() => Check(t => t[0].Erf(), [S23], -2.5f, 2.5f);
    [Test] public void Rsqrt() => Check(t => t[0].Rsqrt(), [S23], 0.3f, 3f);
    [Test] public void Reciprocal() => Check(t => t[0].Reciprocal(), [S23], 0.4f, 3f);
    [Test] public void Reciprocal_Negative() => Check(t => t[0].Reciprocal(), [S23], -3f, -0.4f);
    // Zero gradient away from the jumps: finite differences see a constant.
    [Test] public void Sign() => Check(t => t[0].Sign() * t[0], [S23], avoid: x => Near(x, 0f));
    [Test] public void Floor() => Check(t => t[0].Floor() * t[0], [S23], -3f, 3f, avoid: x => Near(x, MathF.Round(x)));
    [Test] public void Round() => Check(t => t[0].Round() * t[0], [S23], -3f, 3f, avoid: x => Near(x, MathF.Floor(x) + 0.5f));
    [Test] public void Softplus() => Check(t => t[0].Softplus(), [S23], -4f, 4f);
    [Test] public void Softplus_BetaAndThreshold() => Check(t => t[0].Softplus(2f, 3f), [[3, 4]], -3f, 3f, avoid: x => Near(x, 1.5f));
    [Test] public void Elu() => Check(t => t[0].Elu(), [S23], -3f, 3f, avoid: x => Near(x, 0f));
    [Test] public void Elu_Alpha() => Check(t => t[0].Elu(0.4f), [S23], -3f, 3f, avoid: x => Near(x, 0f));
    [Test] public void Gelu() => Check(t => t[0].Gelu(), [S23], -3f, 3f);
    [Test] public void Gelu_Tanh() => Check(t => t[0].Gelu(tanhApproximation: true), [S23], -3f, 3f);
    [Test] public void Silu() => Check(t => t[0].Silu(), [S23], -4f, 4f);
    [Test] public void Mish() => Check(t => t[0].Mish(), [S23], -4f, 4f);
    [Test] public void Hardtanh() => Check(t => t[0].Hardtanh(), [[3, 4]], -2f, 2f, avoid: x => Near(x, -1f) || Near(x, 1f));
    [Test] public void Hardtanh_Bounds() => Check(t => t[0].Hardtanh(-0.5f, 1.5f), [[3, 4]], -2f, 2f, avoid: x => Near(x, -0.5f) || Near(x, 1.5f));
    [Test] public void Minimum_SameShape() => Check(t => Functional.Minimum(t[0], t[1]), [S23, S23], seed: 3);
    [Test] public void Minimum_BroadcastBothWays() => Check(t => Functional.Minimum(t[0], t[1]), [[2, 1], [1, 3]], seed: 4);
    [Test] public void Maximum_SameShape() => Check(t => Functional.Maximum(t[0], t[1]), [S23, S23], seed: 5);
    [Test] public void Maximum_BroadcastRightToLeft() => Check(t => Functional.Maximum(t[0], t[1]), [S23, [3]], seed: 6);
    [Test] public void Maximum_ScalarOperand() => Check(t => Functional.Maximum(t[1], t[0]), [S23, []], seed: 7);

    [Test]
    public void MinimumAndMaximum_OnTies_ShareTheGradientEvenly()
    {
        // torch.maximum / torch.minimum (derivatives.yaml): where(self == other, grad / 2, grad), masked where the side loses.
        using var arena = new Arena();
        Tensor a = arena.FromData([1f, 2f, 3f, float.NaN], [4], requiresGrad: true);
        Tensor b = arena.FromData([1f, 5f, 0f, 1f], [4], requiresGrad: true);
        (Functional.Maximum(a, b) + Functional.Minimum(a, b) * 3f).Sum().Backward();
        // maximum: a gets [0.5, 0, 1, 1] (NaN: both sides get g), b [0.5, 1, 0, 1]; minimum x3: a [1.5, 3, 0, 3], b [1.5, 0, 3, 3].
        Assert.That(a.Grad!.Value.ToArray(), Is.EqualTo(new[] { 2f, 3f, 1f, 4f }));
        Assert.That(b.Grad!.Value.ToArray(), Is.EqualTo(new[] { 2f, 1f, 3f, 4f }));
    }

    [Test]
    public void SignFloorRound_GradientIsZero_EvenForAnInfiniteUpstreamGradient()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([0.5f, -1.5f, 2f], [3], requiresGrad: true);
        Tensor y = x.Sign() + x.Floor() + x.Round();
        y.Backward(arena.FromData([float.PositiveInfinity, 1f, float.NaN], [3]));
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 0f, 0f, 0f }));
    }

    [Test]
    public void GradFnNames_ArePyTorchs()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([0.5f, 1.5f], [2], requiresGrad: true);
        Assert.Multiple(() =>
        {
            Assert.That(x.Sin().GradFn, Is.EqualTo("SinBackward0"));
            Assert.That(x.Cos().GradFn, Is.EqualTo("CosBackward0"));
            Assert.That(x.Log1p().GradFn, Is.EqualTo("Log1PBackward0"));
            Assert.That(x.Expm1().GradFn, Is.EqualTo("Expm1Backward0"));
            Assert.That(x.Erf().GradFn, Is.EqualTo("ErfBackward0"));
            Assert.That(x.Rsqrt().GradFn, Is.EqualTo("RsqrtBackward0"));
            Assert.That(x.Reciprocal().GradFn, Is.EqualTo("ReciprocalBackward0"));
            Assert.That(x.Sign().GradFn, Is.EqualTo("SignBackward0"));
            Assert.That(x.Floor().GradFn, Is.EqualTo("FloorBackward0"));
            Assert.That(x.Round().GradFn, Is.EqualTo("RoundBackward0"));
            Assert.That(x.Softplus().GradFn, Is.EqualTo("SoftplusBackward0"));
            Assert.That(x.Elu().GradFn, Is.EqualTo("EluBackward0"));
            Assert.That(x.Gelu().GradFn, Is.EqualTo("GeluBackward0"));
            Assert.That(x.Gelu(tanhApproximation: true).GradFn, Is.EqualTo("GeluBackward0"));
            Assert.That(x.Silu().GradFn, Is.EqualTo("SiluBackward0"));
            Assert.That(x.Mish().GradFn, Is.EqualTo("MishBackward0"));
            Assert.That(x.Hardtanh().GradFn, Is.EqualTo("HardtanhBackward0"));
            Assert.That(Functional.Minimum(x, x).GradFn, Is.EqualTo("MinimumBackward0"));
            Assert.That(Functional.Maximum(x, x).GradFn, Is.EqualTo("MaximumBackward0"));
        });
    }
}
