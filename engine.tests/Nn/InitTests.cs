using System.Text.Json;
using ArenaGrad.Nn;
using ArenaGrad.Tests.Rl;

namespace ArenaGrad.Tests.Nn;

public sealed class InitTests
{
    private static IEnumerable<TestCaseData> OrthogonalCases() =>
        RlGolden.Cases("orthogonal.json").Select(c => new TestCaseData(c).SetArgDisplayNames(
            $"{string.Join("x", RlGolden.Ints(c.GetProperty("shape")))}_gain{c.GetProperty("gain").GetDouble():0.###}"));

    [TestCaseSource(nameof(OrthogonalCases))]
    public void OrthogonalSteps_OnTheSameNormalMatrix_MatchTorchOrthogonal(JsonElement c)
    {
        int[] shape = RlGolden.Ints(c.GetProperty("shape"));
        int rows = shape[0], cols = shape.Skip(1).Aggregate(1, (a, b) => a * b);
        var result = new float[rows * cols];
        Init.OrthogonalFrom(RlGolden.Floats(c.GetProperty("normal")), rows, cols, c.GetProperty("gain").GetSingle(), result);
        // PyTorch factors in float32 (LAPACK sgeqrf); this QR runs in double: agreement to float32 rounding of the factorization.
        Assert.That(result, Is.EqualTo(RlGolden.Floats(c.GetProperty("result"))).Within(2e-6));
    }

    [TestCase(4, 6, 1f)]
    [TestCase(64, 4, 1.41421356f)]
    [TestCase(64, 64, 1.41421356f)]
    [TestCase(2, 64, 0.01f)]
    [TestCase(1, 64, 1f)]
    public void Orthogonal_RowsOrColumnsAreOrthonormalTimesGain(int rows, int cols, float gain)
    {
        using var arena = new Arena(new ArenaOptions { Seed = 1 });
        var layer = new Linear(arena, cols, rows);
        Tensor returned = Init.Orthogonal(layer.Weight, gain); // grad mode on: written under no-grad as torch.nn.init does
        Assert.That(returned, Is.EqualTo(layer.Weight));
        Assert.That(layer.Weight.RequiresGrad, Is.True);
        float[] w = layer.Weight.ToArray();
        // W·Wᵀ = gain²·I when rows ≤ cols, Wᵀ·W = gain²·I otherwise.
        bool byRows = rows <= cols;
        int vectors = byRows ? rows : cols, length = byRows ? cols : rows;
        double At(int v, int k) => byRows ? w[v * cols + k] : w[k * cols + v];
        double worst = 0;
        for (int i = 0; i < vectors; i++)
            for (int j = 0; j < vectors; j++)
            {
                double dot = 0;
                for (int k = 0; k < length; k++) dot += At(i, k) * At(j, k);
                worst = Math.Max(worst, Math.Abs(dot / ((double)gain * gain) - (i == j ? 1 : 0)));
            }
        Assert.That(worst, Is.LessThan(1e-5), "orthonormal up to float32 rounding");
    }

    [Test]
    public void Orthogonal_DrawsFromTheArenasGenerator()
    {
        float[] Draw(ulong seed)
        {
            using var arena = new Arena(new ArenaOptions { Seed = seed });
            Tensor w = arena.Zeros([8, 5]);
            return Init.Orthogonal(w).ToArray();
        }
        float[] three = Draw(3);
        Assert.That(Draw(3), Is.EqualTo(three));
        Assert.That(Draw(4), Is.Not.EqualTo(three));

        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        Tensor first = Init.Orthogonal(arena.Zeros([8, 5]));
        Tensor second = Init.Orthogonal(arena.Zeros([8, 5]));
        Assert.That(second.ToArray(), Is.Not.EqualTo(first.ToArray()), "the generator advances");
        Assert.That(arena.TensorCount, Is.EqualTo(2), "the normal matrix is a temporary");
    }

    [Test]
    public void Orthogonal_OfA3DTensor_FlattensTrailingDims()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 2 });
        float[] w = Init.Orthogonal(arena.Zeros([3, 2, 2])).ToArray();
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                double dot = 0;
                for (int k = 0; k < 4; k++) dot += (double)w[i * 4 + k] * w[j * 4 + k];
                Assert.That(dot, Is.EqualTo(i == j ? 1.0 : 0.0).Within(1e-6));
            }
    }

    [Test]
    public void Orthogonal_Refusals()
    {
        using var arena = new Arena();
        Assert.That(() => Init.Orthogonal(arena.Zeros([3])),
            Throws.ArgumentException.With.Message.StartsWith("Only tensors with 2 or more dimensions are supported"));
        Assert.That(() => Init.Orthogonal(arena.Zeros([3, 3], DType.Int32)), Throws.ArgumentException);
        Tensor empty = arena.Zeros([0, 3]);
        Assert.That(Init.Orthogonal(empty), Is.EqualTo(empty), "an empty tensor is a no-op, as in PyTorch");
    }

    [Test]
    public void Constant_FillsAParameterUnderNoGrad()
    {
        using var arena = new Arena();
        var layer = new Linear(arena, 3, 2);
        Init.Constant(layer.Bias!.Value, 0f);
        Assert.That(layer.Bias!.Value.ToArray(), Is.EqualTo(new[] { 0f, 0f }));
        Assert.That(arena.IsGradEnabled, Is.True);
    }
}
