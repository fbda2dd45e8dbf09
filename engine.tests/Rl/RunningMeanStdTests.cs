using System.Runtime.CompilerServices;
using System.Text.Json;
using ArenaGrad.Rl;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Rl;

[NonParallelizable] // the zero-allocation test measures the process's allocations
public sealed class RunningMeanStdTests
{
    private static IEnumerable<TestCaseData> Cases() =>
        RlGolden.Cases("running_mean_std.json").Select((c, i) => new TestCaseData(c).SetArgDisplayNames($"case{i}_size{c.GetProperty("size").GetInt32()}"));

    [TestCaseSource(nameof(Cases))]
    public void UpdateAndNormalize_MatchGymsRunningMeanStdInNumpy(JsonElement c)
    {
        int size = c.GetProperty("size").GetInt32();
        using var arena = new Arena();
        var rms = new RunningMeanStd(arena, size);
        foreach (JsonElement update in c.GetProperty("updates").EnumerateArray())
        {
            int rows = update.GetProperty("rows").GetInt32();
            Tensor batch = size == 1 && rows % 2 == 0
                ? arena.FromData(RlGolden.Floats(update.GetProperty("batch")), [rows]) // [B] for a size-1 statistic
                : arena.FromData(RlGolden.Floats(update.GetProperty("batch")), [rows, size]);
            rms.Update(batch);
            // The statistics are doubles merged term for term as numpy does; only the summation order of a batch's moments may differ.
            Assert.That(rms.Count, Is.EqualTo(update.GetProperty("count").GetDouble()).Within(1e-12).Percent);
            Assert.That(rms.Mean.ToArray(), Is.EqualTo(RlGolden.Floats(update.GetProperty("mean"))).Within(1e-5).Percent, "mean");
            Assert.That(rms.Var.ToArray(), Is.EqualTo(RlGolden.Floats(update.GetProperty("var"))).Within(1e-5).Percent, "var");
        }
        float[] x = RlGolden.Floats(c.GetProperty("x"));
        Tensor normalized = rms.Normalize(arena.FromData(x, [x.Length / size, size]), c.GetProperty("clip").GetSingle());
        Assert.That(normalized.Shape.ToArray(), Is.EqualTo(new[] { x.Length / size, size }));
        Assert.That(normalized.ToArray(), Is.EqualTo(RlGolden.Floats(c.GetProperty("normalized"))).Within(1e-5).Percent);
        Assert.That(normalized.ToArray().Max(Math.Abs), Is.LessThanOrEqualTo(c.GetProperty("clip").GetSingle()));
    }

    [Test]
    public void NewStatistics_AreGymsInitialOnes()
    {
        using var arena = new Arena();
        var rms = new RunningMeanStd(arena, 3);
        Assert.That(rms.Count, Is.EqualTo(1e-4));
        Assert.That(rms.Mean.ToArray(), Is.EqualTo(new float[] { 0, 0, 0 }));
        Assert.That(rms.Var.ToArray(), Is.EqualTo(new float[] { 1, 1, 1 }));
        // Before any update, Normalize is x / √(1 + 1e-8) clipped.
        Assert.That(rms.Normalize(arena.FromData([2f, -20f, 0.5f], [3])).ToArray(),
            Is.EqualTo(new[] { (float)(2 / Math.Sqrt(1 + 1e-8)), -10f, (float)(0.5 / Math.Sqrt(1 + 1e-8)) }));
    }

    [Test]
    public void Update_OneBigBatch_GivesThePopulationMomentsAlmostExactly()
    {
        using var arena = new Arena();
        var rms = new RunningMeanStd(arena, 2);
        rms.Update(arena.FromData([1f, 10f, 3f, 20f, 5f, 30f, 7f, 40f], [4, 2]));
        // The prior (mean 0, var 1, count 1e-4) merged with the batch's moments (mean 4 and 25, var 5 and 125, count 4).
        const double n = 4.0001;
        double Mean(double m) => m * 4 / n;
        double Var(double m, double v) => (1e-4 + v * 4 + m * m * 1e-4 * 4 / n) / n;
        Assert.That(rms.Count, Is.EqualTo(n));
        Assert.That(rms.Mean.ToArray(), Is.EqualTo(new[] { (float)Mean(4), (float)Mean(25) }));
        Assert.That(rms.Var.ToArray(), Is.EqualTo(new[] { (float)Var(4, 5), (float)Var(25, 125) }));
    }

    [Test]
    public void Errors_ThrowClearMessages_AndChangeNothing()
    {
        using var arena = new Arena();
        var rms = new RunningMeanStd(arena, 3);
        Assert.Multiple(() =>
        {
            Assert.That(() => rms.Update(arena.Zeros([4, 2])),
                Throws.ArgumentException.With.Message.StartsWith("Update expects a batch of shape [B, 3], but got [4, 2]."));
            Assert.That(() => rms.Update(arena.Zeros([3])),
                Throws.ArgumentException.With.Message.StartsWith("Update expects a batch of shape [B, 3], but got [3]."));
            Assert.That(() => rms.Update(arena.Zeros([0, 3])),
                Throws.ArgumentException.With.Message.StartsWith("Update expects at least one vector, but the batch has shape [0, 3]."));
            Assert.That(() => rms.Update(arena.Zeros([2, 3], DType.Int32)),
                Throws.ArgumentException.With.Message.StartsWith("Update expects a Float32 batch, but got Int32."));
            Assert.That(() => rms.Normalize(arena.Zeros([2, 4])),
                Throws.ArgumentException.With.Message.StartsWith("Normalize expects a tensor whose last dim is the statistics' size 3, but got shape [2, 4]."));
            Assert.That(() => rms.Normalize(arena.Zeros([3]), clip: -1),
                Throws.ArgumentException.With.Message.StartsWith("Expected clip >= 0, but got -1."));
            Assert.That(() => new RunningMeanStd(arena, 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.StartsWith("Expected size > 0, but got 0."));
        });
        Assert.That(rms.Count, Is.EqualTo(1e-4));
        Assert.That(rms.Mean.ToArray(), Is.All.Zero);
        using (arena.Scope())
            Assert.That(() => new RunningMeanStd(arena, 2), Throws.InvalidOperationException.With.Message.StartsWith("RunningMeanStd makes its mean and variance tensors"));
    }

    [Test]
    public void UpdateAndNormalize_AllocateZeroManagedBytes()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 2 });
        var rms = new RunningMeanStd(arena, 4);
        Tensor batch = arena.Randn([8, 4]);
        Assert.That(() => UpdateAndNormalize(arena, rms, batch), Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void UpdateAndNormalize(Arena arena, RunningMeanStd rms, Tensor batch)
    {
        rms.Update(batch);
        using (arena.Scope()) _ = rms.Normalize(batch);
    }
}
