using System.Runtime.CompilerServices;
using System.Text.Json;
using ArenaGrad.Rl;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Rl;

[NonParallelizable] // the zero-allocation tests measure the process's allocations
public sealed class RolloutBufferTests
{
    private static IEnumerable<TestCaseData> GaeCases() =>
        RlGolden.Cases("gae.json").Select((c, i) => new TestCaseData(c).SetArgDisplayNames(
            $"case{i}_T{c.GetProperty("steps").GetInt32()}_N{c.GetProperty("envs").GetInt32()}"));

    /// <summary>Fills a discrete buffer with a rollout given as [T, N] arrays (observations are arbitrary).</summary>
    private static void Fill(RolloutBuffer buffer, float[] rewards, bool[] dones, float[] values)
    {
        int n = buffer.Envs;
        var observations = new float[n * buffer.ObservationSize];
        var actions = new int[n];
        var logProbs = new float[n];
        for (int t = 0; t < buffer.Steps; t++)
        {
            observations.AsSpan().Fill(t);
            buffer.Add(observations, actions, logProbs, rewards.AsSpan(t * n, n), dones.AsSpan(t * n, n), values.AsSpan(t * n, n));
        }
    }

    [TestCaseSource(nameof(GaeCases))]
    public void ComputeReturnsAndAdvantages_MatchesCleanRlPpoInPyTorch(JsonElement c)
    {
        int steps = c.GetProperty("steps").GetInt32(), envs = c.GetProperty("envs").GetInt32();
        using var arena = new Arena();
        var buffer = new RolloutBuffer(arena, steps, envs, observationSize: 2);
        Fill(buffer, RlGolden.Floats(c.GetProperty("rewards")), RlGolden.Bools(c.GetProperty("dones")), RlGolden.Floats(c.GetProperty("values")));
        Tensor lastValues = arena.FromData(RlGolden.Floats(c.GetProperty("last_values")), [1, envs]);

        buffer.ComputeReturnsAndAdvantages(lastValues, RlGolden.Bools(c.GetProperty("last_dones")),
            c.GetProperty("gamma").GetSingle(), c.GetProperty("gae_lambda").GetSingle());

        // The same float32 operations in the same order as ppo.py's tensor expression: the same bits.
        Assert.That(buffer.Advantages.ToArray(), Is.EqualTo(RlGolden.Floats(c.GetProperty("advantages"))), "advantages");
        Assert.That(buffer.Returns.ToArray(), Is.EqualTo(RlGolden.Floats(c.GetProperty("returns"))), "returns");
        Assert.That(buffer.BatchAdvantages.ToArray(), Is.EqualTo(buffer.Advantages.ToArray()), "b_advantages is a flat view");
    }

    [Test]
    public void ComputeReturnsAndAdvantages_DoneCutsTheBootstrap()
    {
        // T = 2, N = 1, γ = 0.5, λ = 1: r = [1, 2], V = [10, 20], d = [0, 1] (o_1 begins a new episode), V_T = 40.
        using var arena = new Arena();
        var buffer = new RolloutBuffer(arena, 2, 1, 1);
        Fill(buffer, [1f, 2f], [false, true], [10f, 20f]);
        buffer.ComputeReturnsAndAdvantages(arena.FromData([40f]), [false], 0.5f, 1f);
        // A_1 = 2 + 0.5·40 − 20 = 2; A_0 = 1 + 0.5·20·(1 − 1) − 10 = −9 (no bootstrap across the episode boundary).
        Assert.That(buffer.Advantages.ToArray(), Is.EqualTo(new[] { -9f, 2f }));
        Assert.That(buffer.Returns.ToArray(), Is.EqualTo(new[] { 1f, 22f }));
    }

    [Test]
    public void Constructor_MakesStorageOfTheIssuesShapes()
    {
        using var arena = new Arena();
        var discrete = new RolloutBuffer(arena, 128, 4, 4);
        var continuous = new RolloutBuffer(arena, 8, 2, 3, actionShape: 1);
        Assert.Multiple(() =>
        {
            Assert.That(discrete.Observations.Shape.ToArray(), Is.EqualTo(new[] { 128, 4, 4 }));
            Assert.That(discrete.Actions.DType, Is.EqualTo(DType.Int32));
            Assert.That(discrete.Actions.Shape.ToArray(), Is.EqualTo(new[] { 128, 4 }));
            Assert.That(discrete.BatchActions.Shape.ToArray(), Is.EqualTo(new[] { 512 }));
            Assert.That(discrete.BatchObservations.Shape.ToArray(), Is.EqualTo(new[] { 512, 4 }));
            foreach (Tensor t in new[] { discrete.LogProbs, discrete.Rewards, discrete.Dones, discrete.Values, discrete.Advantages, discrete.Returns })
            {
                Assert.That(t.Shape.ToArray(), Is.EqualTo(new[] { 128, 4 }));
                Assert.That(t.DType, Is.EqualTo(DType.Float32));
                Assert.That(t.RequiresGrad, Is.False);
            }
            Assert.That(discrete.BatchSize, Is.EqualTo(512));
            Assert.That(continuous.Actions.DType, Is.EqualTo(DType.Float32));
            Assert.That(continuous.Actions.Shape.ToArray(), Is.EqualTo(new[] { 8, 2, 1 }));
            Assert.That(continuous.BatchActions.Shape.ToArray(), Is.EqualTo(new[] { 16, 1 }));
        });
    }

    [Test]
    public void Add_WritesOneRowAndTheFlatViewsSeeIt()
    {
        using var arena = new Arena();
        var buffer = new RolloutBuffer(arena, 3, 2, 2);
        buffer.Add([1, 2, 3, 4], [1, 0], [-0.5f, -0.7f], [1, 1], [false, true], [0.25f, 0.5f]);
        buffer.Add([5, 6, 7, 8], [0, 1], [-0.1f, -0.2f], [0, 1], [true, false], [0.75f, 1f]);
        Assert.Multiple(() =>
        {
            Assert.That(buffer.Count, Is.EqualTo(2));
            Assert.That(buffer.IsFull, Is.False);
            Assert.That(buffer.Observations.ToArray().Take(8), Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }));
            Assert.That(buffer.BatchObservations.ToArray().Take(8), Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }));
            Assert.That(buffer.Actions.ToIntArray().Take(4), Is.EqualTo(new[] { 1, 0, 0, 1 }));
            Assert.That(buffer.LogProbs.ToArray().Take(4), Is.EqualTo(new[] { -0.5f, -0.7f, -0.1f, -0.2f }));
            Assert.That(buffer.Rewards.ToArray().Take(4), Is.EqualTo(new float[] { 1, 1, 0, 1 }));
            Assert.That(buffer.Dones.ToArray().Take(4), Is.EqualTo(new float[] { 0, 1, 1, 0 }));
            Assert.That(buffer.Values.ToArray().Take(4), Is.EqualTo(new[] { 0.25f, 0.5f, 0.75f, 1f }));
        });
    }

    [Test]
    public void Add_ContinuousActions_StoresFloats()
    {
        using var arena = new Arena();
        var buffer = new RolloutBuffer(arena, 2, 2, 1, actionShape: 2);
        buffer.Add([1, 2], [0.5f, -0.5f, 1.5f, -1.5f], [0, 0], [0, 0], [false, false], [0, 0]);
        Assert.That(buffer.BatchActions.ToArray().Take(4), Is.EqualTo(new[] { 0.5f, -0.5f, 1.5f, -1.5f }));
    }

    [Test]
    public void Add_WhenFull_ThrowsAndWritesNothing()
    {
        using var arena = new Arena();
        var buffer = new RolloutBuffer(arena, 1, 1, 1);
        buffer.Add([1], [1], [1], [1], [true], [1]);
        float[] before = buffer.Observations.ToArray();
        var error = Assert.Throws<InvalidOperationException>(() => buffer.Add([9], [0], [9], [9], [false], [9]));
        Assert.That(error!.Message, Does.Contain("RolloutBuffer is full: it holds 1 steps of 1 envs").And.Contain("Reset()"));
        Assert.That(buffer.Observations.ToArray(), Is.EqualTo(before));
        Assert.That(buffer.Actions.ToIntArray(), Is.EqualTo(new[] { 1 }));
        Assert.That(buffer.Count, Is.EqualTo(1));
    }

    [TestCase("observations", "RolloutBuffer.Add expects 4 observations (envs × observationSize = 2 × 2), but the span has 3.")]
    [TestCase("actions", "RolloutBuffer.Add expects 2 actions (one per env), but the span has 3.")]
    [TestCase("logProbs", "RolloutBuffer.Add expects 2 logProbs (one per env), but the span has 1.")]
    [TestCase("rewards", "RolloutBuffer.Add expects 2 rewards (one per env), but the span has 1.")]
    [TestCase("dones", "RolloutBuffer.Add expects 2 dones (one per env), but the span has 3.")]
    [TestCase("values", "RolloutBuffer.Add expects 2 values (one per env), but the span has 0.")]
    public void Add_MisShapedSpan_ThrowsClearMessageAndWritesNothing(string wrong, string message)
    {
        using var arena = new Arena();
        var buffer = new RolloutBuffer(arena, 2, 2, 2);
        float[] observations = wrong == "observations" ? [1, 2, 3] : [1, 2, 3, 4];
        int[] actions = wrong == "actions" ? [1, 1, 1] : [1, 1];
        float[] logProbs = wrong == "logProbs" ? [1] : [1, 1];
        float[] rewards = wrong == "rewards" ? [1] : [1, 1];
        bool[] dones = wrong == "dones" ? [true, true, true] : [true, true];
        float[] values = wrong == "values" ? [] : [1, 1];

        var error = Assert.Throws<ArgumentException>(() => buffer.Add(observations, actions, logProbs, rewards, dones, values));

        Assert.That(error!.Message, Does.StartWith(message));
        Assert.That(error.ParamName, Is.EqualTo(wrong));
        Assert.That(buffer.Count, Is.Zero);
        foreach (Tensor t in new[] { buffer.Observations, buffer.LogProbs, buffer.Rewards, buffer.Dones, buffer.Values })
            Assert.That(t.ToArray(), Is.All.Zero);
        Assert.That(buffer.Actions.ToIntArray(), Is.All.Zero);
    }

    [Test]
    public void Add_WrongKindOfAction_Throws()
    {
        using var arena = new Arena();
        var discrete = new RolloutBuffer(arena, 2, 1, 1);
        var continuous = new RolloutBuffer(arena, 2, 1, 1, actionShape: 1);
        Assert.That(() => discrete.Add([1], [0.5f], [0], [0], [false], [0]),
            Throws.InvalidOperationException.With.Message.Contains("holds discrete actions (actionShape 0, Int32), but Add got float actions"));
        Assert.That(() => continuous.Add([1], [1], [0], [0], [false], [0]),
            Throws.InvalidOperationException.With.Message.Contains("holds continuous actions of 1 floats (actionShape 1), but Add got Int32 actions"));
        Assert.That(discrete.Count + continuous.Count, Is.Zero);
    }

    [Test]
    public void Constructor_InsideScope_ThrowsAsModulesDo()
    {
        using var arena = new Arena();
        using (arena.Scope())
            Assert.That(() => new RolloutBuffer(arena, 2, 2, 2),
                Throws.InvalidOperationException.With.Message.StartsWith("RolloutBuffer makes its storage tensors when it is constructed, and they must outlive every training step"));
    }

    [TestCase(0, 1, 1, 0, "steps")]
    [TestCase(1, -1, 1, 0, "envs")]
    [TestCase(1, 1, 0, 0, "observationSize")]
    [TestCase(1, 1, 1, -2, "actionShape")]
    public void Constructor_BadSize_Throws(int steps, int envs, int observationSize, int actionShape, string parameter)
    {
        using var arena = new Arena();
        int tensors = arena.TensorCount;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new RolloutBuffer(arena, steps, envs, observationSize, actionShape));
        Assert.That(error!.ParamName, Is.EqualTo(parameter));
        Assert.That(error.Message, Does.StartWith("Expected "));
        Assert.That(arena.TensorCount, Is.EqualTo(tensors));
    }

    [Test]
    public void ComputeReturnsAndAdvantages_Refusals_WriteNothing()
    {
        using var arena = new Arena();
        var buffer = new RolloutBuffer(arena, 2, 2, 1);
        Assert.That(() => buffer.ComputeReturnsAndAdvantages(arena.Zeros([2]), [false, false], 0.99f, 0.95f),
            Throws.InvalidOperationException.With.Message.EqualTo("ComputeReturnsAndAdvantages expects a full rollout of 2 steps, but 0 have been added."));
        Fill(buffer, [1, 1, 1, 1], [false, false, false, false], [0, 0, 0, 0]);
        Assert.Multiple(() =>
        {
            Assert.That(() => buffer.ComputeReturnsAndAdvantages(arena.Zeros([3]), [false, false], 0.99f, 0.95f),
                Throws.ArgumentException.With.Message.StartsWith("Expected lastValues to hold one value per env (2), but got shape [3]."));
            Assert.That(() => buffer.ComputeReturnsAndAdvantages(arena.Zeros([2], DType.Int32), [false, false], 0.99f, 0.95f),
                Throws.ArgumentException.With.Message.StartsWith("Expected lastValues of dtype Float32, but got Int32."));
            Assert.That(() => buffer.ComputeReturnsAndAdvantages(arena.Zeros([2]), [false], 0.99f, 0.95f),
                Throws.ArgumentException.With.Message.StartsWith("Expected lastDones to hold one flag per env (2), but the span has 1."));
        });
        Assert.That(buffer.Advantages.ToArray(), Is.All.Zero);
        Assert.That(buffer.Returns.ToArray(), Is.All.Zero);
    }

    [Test]
    public void Minibatches_CoverEveryIndexOncePerEpoch_InAFreshOrder()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 5 });
        var buffer = new RolloutBuffer(arena, 128, 4, 4);
        var epochs = new List<int[]>();
        for (int epoch = 0; epoch < 4; epoch++)
        {
            var seen = new List<int>();
            int minibatches = 0;
            foreach (Tensor index in buffer.Minibatches(4))
            {
                Assert.That(index.DType, Is.EqualTo(DType.Int32));
                Assert.That(index.Shape.ToArray(), Is.EqualTo(new[] { 128 }));
                seen.AddRange(index.ToIntArray());
                minibatches++;
            }
            Assert.That(minibatches, Is.EqualTo(4));
            Assert.That(seen.Order(), Is.EqualTo(Enumerable.Range(0, 512)), "every transition exactly once per epoch");
            epochs.Add([.. seen]);
        }
        Assert.That(epochs[0], Is.Not.EqualTo(Enumerable.Range(0, 512)), "shuffled");
        Assert.That(epochs[1], Is.Not.EqualTo(epochs[0]), "a fresh permutation each epoch");

        // The arena's generator decides the order: the same seed gives the same epochs.
        using var again = new Arena(new ArenaOptions { Seed = 5 });
        var twin = new RolloutBuffer(again, 128, 4, 4);
        var first = new List<int>();
        foreach (Tensor index in twin.Minibatches(4)) first.AddRange(index.ToIntArray());
        Assert.That(first, Is.EqualTo(epochs[0]));
    }

    [Test]
    public void Minibatches_DrawEveryPermutationAboutEquallyOften()
    {
        // Fisher–Yates done right gives each of the 4! orders with probability 1/24; an off-by-one (j < i) never keeps an element in place.
        using var arena = new Arena(new ArenaOptions { Seed = 8 });
        var buffer = new RolloutBuffer(arena, 2, 2, 1);
        var counts = new Dictionary<string, int>();
        for (int epoch = 0; epoch < 2400; epoch++)
            foreach (Tensor index in buffer.Minibatches(1))
            {
                string key = string.Join(",", index.ToIntArray());
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        Assert.That(counts, Has.Count.EqualTo(24));
        Assert.That(counts.Values, Is.All.InRange(60, 140), "expected 100 each");
    }

    [Test]
    public void Minibatches_IndexSelectPicksTheStoredRows()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        var buffer = new RolloutBuffer(arena, 4, 2, 1);
        for (int t = 0; t < 4; t++)
            buffer.Add([10 * t, 10 * t + 1], [t, t + 1], [0, 0], [0, 0], [false, false], [t, t]);
        foreach (Tensor index in buffer.Minibatches(2))
        {
            int[] rows = index.ToIntArray();
            float[] observations = buffer.BatchObservations.IndexSelect(0, index).ToArray();
            int[] actions = buffer.BatchActions.IndexSelect(0, index).ToIntArray();
            for (int k = 0; k < rows.Length; k++)
            {
                int t = rows[k] / 2, e = rows[k] % 2;
                Assert.That(observations[k], Is.EqualTo(10 * t + e));
                Assert.That(actions[k], Is.EqualTo(t + e));
            }
        }
    }

    [TestCase(0, "Expected a number of minibatches in [1, 8] (steps × envs = 4 × 2), but got 0.")]
    [TestCase(9, "Expected a number of minibatches in [1, 8] (steps × envs = 4 × 2), but got 9.")]
    [TestCase(3, "Expected a number of minibatches that divides the batch of steps × envs = 8 transitions")]
    public void Minibatches_BadCount_Throws(int count, string message)
    {
        using var arena = new Arena();
        var buffer = new RolloutBuffer(arena, 4, 2, 1);
        Assert.That(() => buffer.Minibatches(count), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.StartsWith(message));
    }

    [Test]
    public void Minibatches_FirstCallWithACountInsideScope_Throws_LaterCallsMayBeInside()
    {
        using var arena = new Arena();
        var buffer = new RolloutBuffer(arena, 4, 2, 1);
        using (arena.Scope())
            Assert.That(() => buffer.Minibatches(2), Throws.InvalidOperationException.With.Message.StartsWith(
                "RolloutBuffer.Minibatches makes its index tensor of 4 indices on the first call with a count"));
        _ = buffer.Minibatches(2);
        using (arena.Scope())
        {
            int total = 0;
            foreach (Tensor index in buffer.Minibatches(2)) total += index.Count;
            Assert.That(total, Is.EqualTo(8));
        }
    }

    [Test]
    public void Minibatches_ABackwardAfterTheNextMinibatch_FailsLoudly()
    {
        using var arena = new Arena();
        var buffer = new RolloutBuffer(arena, 4, 2, 1);
        Tensor w = arena.Ones([8, 1], requiresGrad: true);
        MinibatchEnumerator_Advance(buffer, w);
    }

    private static void MinibatchEnumerator_Advance(RolloutBuffer buffer, Tensor w)
    {
        RolloutBuffer.MinibatchEnumerator minibatches = buffer.Minibatches(2);
        Assert.That(minibatches.MoveNext(), Is.True);
        Tensor loss = w.IndexSelect(0, minibatches.Current).Sum();
        Assert.That(minibatches.MoveNext(), Is.True); // overwrites the index the graph saved
        Assert.That(() => loss.Backward(), Throws.InvalidOperationException.With.Message.Contains("modified by an inplace operation"));
    }

    [Test]
    public void Reset_LetsTheNextRolloutBeAdded()
    {
        using var arena = new Arena();
        var buffer = new RolloutBuffer(arena, 1, 1, 1);
        buffer.Add([1], [1], [1], [1], [false], [1]);
        Assert.That(buffer.IsFull, Is.True);
        buffer.Reset();
        Assert.That(buffer.Count, Is.Zero);
        buffer.Add([2], [0], [2], [2], [true], [2]);
        Assert.That(buffer.Observations.ToArray(), Is.EqualTo(new[] { 2f }));
    }

    [Test]
    public void RolloutAndEpochs_AllocateZeroManagedBytes_AfterWarmUp()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 9 });
        var buffer = new RolloutBuffer(arena, 16, 4, 4);
        Tensor lastValues = arena.Zeros([4]);
        var observations = new float[16];
        var actions = new int[4];
        var floats = new float[4];
        var dones = new bool[4];
        Tensor w = arena.Ones([4, 1], requiresGrad: true);
        Assert.That(() => Iteration(arena, buffer, lastValues, observations, actions, floats, dones, w), Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Iteration(Arena arena, RolloutBuffer buffer, Tensor lastValues, float[] observations, int[] actions, float[] floats, bool[] dones, Tensor w)
    {
        buffer.Reset();
        while (!buffer.IsFull) buffer.Add(observations, actions, floats, floats, dones, floats);
        buffer.ComputeReturnsAndAdvantages(lastValues, dones, 0.99f, 0.95f);
        for (int epoch = 0; epoch < 2; epoch++)
            foreach (Tensor index in buffer.Minibatches(4))
                using (arena.Scope())
                    buffer.BatchObservations.IndexSelect(0, index).MatMul(w).Sum().Backward();
    }
}
