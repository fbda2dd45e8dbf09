using ArenaGrad.Distributions;

namespace ArenaGrad.Tests.Distributions;

/// <summary>Sampling: frequencies and moments over many draws within bounds that a wrong sampler fails (about five
/// standard errors), the arena's seeded generator (same seed, same draws), dtypes and shapes, and Categorical actions
/// feeding Gather, CrossEntropy and LogProb.</summary>
public sealed class DistributionSamplingTests
{
    private const int Draws = 40_000;

    private static double Bound(double p, int n) => 5 * Math.Sqrt(p * (1 - p) / n);

    [Test]
    public void CategoricalSample_FrequenciesMatchEachRowsProbabilities_AndZeroProbabilityIsNeverDrawn()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        // Two rows with different distributions, repeated Draws times: [Draws, 2, 4]; row 1 has a -inf logit.
        float[] rows = [MathF.Log(0.1f), MathF.Log(0.2f), MathF.Log(0.3f), MathF.Log(0.4f), 0f, float.NegativeInfinity, MathF.Log(3f), MathF.Log(1f)];
        double[][] expected = [[0.1, 0.2, 0.3, 0.4], [0.2, 0, 0.6, 0.2]];
        Tensor logits = arena.FromData(rows, [1, 2, 4]).Expand(Draws, 2, 4);
        Tensor actions = new Categorical(logits).Sample();

        Assert.That(actions.DType, Is.EqualTo(DType.Int32));
        Assert.That(actions.Shape.ToArray(), Is.EqualTo(new[] { Draws, 2 }));
        Assert.That(actions.RequiresGrad, Is.False);
        int[] a = actions.ToIntArray();
        for (int row = 0; row < 2; row++)
            for (int k = 0; k < 4; k++)
            {
                int count = 0;
                for (int n = 0; n < Draws; n++) count += a[n * 2 + row] == k ? 1 : 0;
                double p = expected[row][k];
                if (p == 0) Assert.That(count, Is.Zero, $"row {row}: class {k} has probability 0");
                else Assert.That((double)count / Draws, Is.EqualTo(p).Within(Bound(p, Draws)), $"row {row}, class {k}");
            }
    }

    [Test]
    public void CategoricalSample_OfOneRow_IsAScalar_AndAPeakedRowAlwaysGivesItsClass()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 5 });
        Tensor action = new Categorical(arena.FromData([0f, 1f, 2f])).Sample();
        Assert.That(action.Rank, Is.Zero);
        Assert.That(action.ToIntArray()[0], Is.InRange(0, 2));
        Tensor peaked = new Categorical(arena.FromData([-200f, 200f, -200f, float.NegativeInfinity], [1, 4]).Expand(1000, 4)).Sample();
        Assert.That(peaked.ToIntArray(), Is.All.EqualTo(1));
    }

    [Test]
    public void Sample_DrawsFromTheArenasSeededGenerator_SameSeedSameDraws()
    {
        int[] CategoricalDraws(ulong seed)
        {
            using var arena = new Arena(new ArenaOptions { Seed = seed });
            return new Categorical(arena.Zeros([64, 5])).Sample().ToIntArray();
        }
        float[] NormalDraws(ulong seed, bool afterManualSeed)
        {
            using var arena = new Arena(new ArenaOptions { Seed = afterManualSeed ? 99 : seed });
            if (afterManualSeed) arena.ManualSeed(seed);
            return new Normal(arena.Zeros([64]), arena.Ones([64])).Sample().ToArray();
        }
        int[] first = CategoricalDraws(11), again = CategoricalDraws(11), other = CategoricalDraws(12);
        Assert.That(again, Is.EqualTo(first));
        Assert.That(other, Is.Not.EqualTo(first));
        Assert.That(NormalDraws(11, false), Is.EqualTo(NormalDraws(11, true)), "ManualSeed reseeds the generator sampling uses");

        // Normal.Sample with loc 0 and scale 1 is exactly arena.Randn from the same generator state.
        using var a = new Arena(new ArenaOptions { Seed = 21 });
        using var b = new Arena(new ArenaOptions { Seed = 21 });
        Assert.That(new Normal(a.Zeros([50]), a.Ones([50])).Sample().ToArray(), Is.EqualTo(b.Randn([50]).ToArray()));
    }

    [Test]
    public void NormalSample_MeanAndStdOfEachElementMatchLocAndScale_AndRequiresNoGrad()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 8 });
        float[] locs = [1f, -3f, 0.25f], scales = [0.5f, 2f, 0.01f];
        Tensor loc = arena.FromData(locs, [1, 3], requiresGrad: true), scale = arena.FromData(scales, [3], requiresGrad: true);
        var d = new Normal(loc.Expand(Draws, 3), scale);
        Tensor x = d.Sample();
        Assert.That(x.RequiresGrad, Is.False);
        Assert.That(x.Shape.ToArray(), Is.EqualTo(new[] { Draws, 3 }));
        AssertMoments(x.ToArray(), locs, scales);
    }

    [Test]
    public void NormalRSample_HasTheSameMoments_IsLocPlusEpsTimesScale_AndItsGradientIsOneAndEps()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 9 });
        float[] locs = [2f, -0.5f], scales = [1.5f, 0.2f];
        Tensor loc = arena.FromData(locs, requiresGrad: true), scale = arena.FromData(scales, requiresGrad: true);
        var d = new Normal(loc.Unsqueeze(0).Expand(Draws, 2), scale);
        Tensor x = d.RSample();
        Assert.That(x.RequiresGrad, Is.True);
        AssertMoments(x.ToArray(), locs, scales);

        using var twin = new Arena(new ArenaOptions { Seed = 9 });
        float[] eps = twin.Randn([Draws, 2]).ToArray(), values = x.ToArray();
        for (int i = 0; i < 10; i++)
            Assert.That(values[i], Is.EqualTo(locs[i % 2] + eps[i] * scales[i % 2]), "ε comes from the arena's generator, as Randn");
        x.Sum().Backward();
        Assert.That(loc.Grad!.Value.ToArray(), Is.EqualTo(new float[] { Draws, Draws }));
        double eps0 = 0, eps1 = 0;
        for (int n = 0; n < Draws; n++) { eps0 += eps[2 * n]; eps1 += eps[2 * n + 1]; }
        Assert.That(scale.Grad!.Value.ToArray()[0], Is.EqualTo(eps0).Within(1e-3 * Draws / 100));
        Assert.That(scale.Grad!.Value.ToArray()[1], Is.EqualTo(eps1).Within(1e-3 * Draws / 100));
    }

    private static void AssertMoments(float[] x, float[] locs, float[] scales)
    {
        int k = locs.Length, n = x.Length / k;
        for (int j = 0; j < k; j++)
        {
            double sum = 0, squares = 0;
            for (int i = 0; i < n; i++) sum += x[i * k + j];
            double mean = sum / n;
            for (int i = 0; i < n; i++) squares += (x[i * k + j] - mean) * (x[i * k + j] - mean);
            double std = Math.Sqrt(squares / (n - 1));
            Assert.That(mean, Is.EqualTo(locs[j]).Within(5 * scales[j] / Math.Sqrt(n)), $"mean of element {j}");
            Assert.That(std, Is.EqualTo(scales[j]).Within(5 * scales[j] / Math.Sqrt(2.0 * n)), $"std of element {j}");
        }
    }

    [Test]
    public void BernoulliSample_FrequencyOfOnesMatchesSigmoidOfEachLogit_AsFloatZerosAndOnes()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 4 });
        float[] logits = [-1f, 0f, 2f, -30f];
        Tensor draws = new Bernoulli(arena.FromData(logits, [1, 4], requiresGrad: true).Expand(Draws, 4)).Sample();
        Assert.That(draws.DType, Is.EqualTo(DType.Float32));
        Assert.That(draws.RequiresGrad, Is.False);
        float[] x = draws.ToArray();
        Assert.That(x, Is.All.EqualTo(0f).Or.EqualTo(1f));
        for (int j = 0; j < 4; j++)
        {
            double p = 1 / (1 + Math.Exp(-logits[j]));
            double ones = 0;
            for (int i = 0; i < Draws; i++) ones += x[i * 4 + j];
            Assert.That(ones / Draws, Is.EqualTo(p).Within(Math.Max(Bound(p, Draws), 1e-9)), $"logit {logits[j]}");
        }
    }

    [Test]
    public void CategoricalActions_FeedGatherCrossEntropyAndLogProbDirectly()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 6 });
        Tensor logits = arena.Randn([16, 5], requiresGrad: true);
        var d = new Categorical(logits);
        Tensor actions = d.Sample();
        float[] logProb = d.LogProb(actions).ToArray();
        float[] gathered = d.Logits.Gather(1, actions.Unsqueeze(1)).Squeeze(1).ToArray();
        float[] crossEntropy = Functional.CrossEntropy(logits, actions, Reduction.None).ToArray();
        for (int i = 0; i < 16; i++)
        {
            Assert.That(gathered[i], Is.EqualTo(logProb[i]), "gather of the normalized logits");
            Assert.That(-crossEntropy[i], Is.EqualTo(logProb[i]).Within(1e-5), "cross entropy is −log p");
        }
    }

    [Test]
    public void Modes_MeansAndShapes_AreTorchs()
    {
        using var arena = new Arena();
        var cat = new Categorical(arena.FromData([0f, 3f, 1f, 5f, 5f, -1f], [2, 3]));
        Assert.That(cat.Mode.ToIntArray(), Is.EqualTo(new[] { 1, 0 }), "argmax, first of equal maxima");
        Assert.That(cat.Mean.ToArray(), Is.All.NaN);
        Assert.That(cat.Stddev.Shape.ToArray(), Is.EqualTo(new[] { 2 }));
        Assert.That(cat.NumEvents, Is.EqualTo(3));
        Assert.That(cat.BatchShape.ToArray(), Is.EqualTo(new[] { 2 }));
        Assert.That(cat.ToString(), Is.EqualTo("Categorical(logits: torch.Size([2, 3]))"));
        Assert.That(cat.LogProb(arena.FromData([2f, 0f])).ToArray(), Is.EqualTo(cat.LogProb(arena.FromData([2, 0])).ToArray()),
            "whole numbers in a Float32 tensor are actions too, as torch's value.long()");

        var bern = new Bernoulli(arena.FromData([-1f, 0f, 2f]));
        Assert.That(bern.Mode.ToArray(), Is.EqualTo(new[] { 0f, float.NaN, 1f }));
        Assert.That(bern.ToString(), Is.EqualTo("Bernoulli(logits: torch.Size([3]))"));

        var normal = new Normal(arena.FromData([1f, 2f], [2, 1]), arena.FromData([3f, 4f, 5f]));
        Assert.That(normal.BatchShape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(normal.Mode.ToArray(), Is.EqualTo(new[] { 1f, 1f, 1f, 2f, 2f, 2f }));
        Assert.That(normal.Variance.ToArray(), Is.EqualTo(new[] { 9f, 16f, 25f, 9f, 16f, 25f }));
        Assert.That(new Normal(arena.Scalar(0f), arena.Scalar(2f)).ToString(), Is.EqualTo("Normal(loc: 0.0, scale: 2.0)"));
    }

    [Test]
    public void Sampling_WhileCapturing_IsRefused()
    {
        using var arena = new Arena();
        Tensor input = arena.Zeros([2, 3]);
        Assert.Throws<InvalidOperationException>(() => arena.Capture(input, x => new Categorical(x).Sample().To(DType.Float32)));
        Assert.Throws<InvalidOperationException>(() => arena.Capture(input, x => new Normal(x, arena.Ones([2, 3])).RSample()));
    }
}
