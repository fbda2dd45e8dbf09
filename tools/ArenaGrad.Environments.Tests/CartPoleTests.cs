using System.Text.Json;

namespace ArenaGrad.Environments.Tests;

/// <summary>CartPoleVector against gym's CartPole-v1 (reference.json) and the rules of ../shared/rl/cartpole.md.</summary>
public sealed class CartPoleTests
{
    /// <summary>The reference uses the same products for squares and libm's cos and sin, so states agree to the last
    /// bit here; the tolerance only leaves room for a libm that rounds one cos differently (still far below what a
    /// wrong term in the equations produces, which is at least 1e-5 after one step).</summary>
    private const double StateTolerance = 1e-12;

    private static IEnumerable<TestCaseData> Cases() => Reference.Cases("cartpole");

    [Test]
    public void Step_PinnedTestVectorsOfTheBrief_MatchToTheLastBit()
    {
        // ../shared/rl/cartpole.md: start (0.01, -0.02, 0.03, -0.04), actions 1, 0, 0, 1, 1.
        double[][] expected =
        [
            [0.009600000000000001, 0.17467919574755525, 0.0292, -0.3230687179600081],
            [0.013093583914951107, -0.020846120233304483, 0.02273862564079984, -0.021322189539218106],
            [0.012676661510285018, -0.21628666139669434, 0.022312181850015475, 0.2784474166567325],
            [0.00835092828235113, -0.021490000379440544, 0.027881130183150124, -0.007115608467152645],
            [0.00792112827476232, 0.17322123092863484, 0.027738818013807072, -0.29087295230897875],
        ];
        var env = new Harness(1, seed: 0);
        env.Vector.SetState(0, [0.01, -0.02, 0.03, -0.04]);
        int[] actions = [1, 0, 0, 1, 1];
        for (int t = 0; t < actions.Length; t++)
        {
            env.Step(actions[t]);
            Assert.That(env.Vector.GetState(0).ToArray(), Is.EqualTo(expected[t]), $"state after step {t + 1}");
            Assert.That(env.Terminated[0] || env.Truncated[0], Is.False);
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Step_ReferenceTrajectory_MatchesGymEquations(string name)
    {
        JsonElement c = Reference.Case("cartpole", name);
        int[] actions = c.GetProperty("actions").EnumerateArray().Select(a => a.GetInt32()).ToArray();
        double[][] states = Reference.Rows(c.GetProperty("states"));
        double[][] observations = Reference.Rows(c.GetProperty("observations"));
        bool[] terminated = c.GetProperty("terminated").EnumerateArray().Select(b => b.GetBoolean()).ToArray();

        // Env 1 of 3 follows the reference; its neighbours step with other actions and must not disturb it.
        var env = new Harness(3, seed: 5);
        env.Vector.SetState(1, Reference.Doubles(c.GetProperty("start")));
        for (int t = 0; t < actions.Length; t++)
        {
            env.Step(1 - actions[t], actions[t], t % 2);
            bool last = t == actions.Length - 1;
            Assert.That(env.Terminated[1], Is.EqualTo(terminated[t]), $"terminated at step {t + 1}");
            Assert.That(env.Truncated[1], Is.EqualTo(t + 1 >= CartPoleVector.MaxEpisodeSteps), $"truncated at step {t + 1}");
            Assert.That(env.Rewards[1], Is.EqualTo(1f));
            if (terminated[t] || env.Truncated[1])
            {
                Assert.That(last, Is.True, "the reference ends where the episode ends");
                // The step's observation is the new episode's; the terminal one is kept aside.
                Assert.That(env.Vector.FinalObservations.Slice(4, 4).ToArray(), Is.EqualTo(observations[t].Select(v => (float)v).ToArray()).Within(1e-6f));
                FinishedEpisode finished = env.Vector.FinishedEpisodes.ToArray().Single(f => f.Env == 1);
                Assert.That(finished, Is.EqualTo(new FinishedEpisode(1, actions.Length, actions.Length, terminated[t], env.Truncated[1])));
            }
            else
            {
                double[] state = env.Vector.GetState(1).ToArray();
                Assert.That(state, Is.EqualTo(states[t]).Within(StateTolerance), $"state after step {t + 1}");
                Assert.That(env.Observation(1), Is.EqualTo(state.Select(v => (float)v).ToArray()), "observation = float32(state)");
                Assert.That(env.Observation(1), Is.EqualTo(observations[t].Select(v => (float)v).ToArray()).Within(1e-6f));
            }
        }
    }

    [Test]
    public void Step_AlwaysRightFromRest_TerminatesOnStep9WithReturn9()
    {
        var env = new Harness(1, seed: 1);
        env.Vector.SetState(0, [0, 0, 0, 0]);
        for (int t = 1; t <= 8; t++)
        {
            env.Step(1);
            Assert.That(env.Terminated[0], Is.False, $"step {t}");
        }
        env.Step(1);
        Assert.That(env.Terminated[0], Is.True);
        Assert.That(env.Truncated[0], Is.False);
        Assert.That(env.Vector.FinishedEpisodes.ToArray(), Is.EqualTo(new[] { new FinishedEpisode(0, 9, 9, true, false) }));
        Assert.That(env.Vector.EpisodeCount, Is.EqualTo(1));
    }

    private static readonly double[] Thresholds = [CartPoleVector.XThreshold, CartPoleVector.ThetaThresholdRadians];

    /// <summary>With zero velocities a position does not move in one Euler step, so a state exactly on a threshold stays
    /// on it (not terminated: the test is strict) and one a single ulp outside stays outside (terminated).</summary>
    [TestCase(0, 1.0, false)]
    [TestCase(0, -1.0, false)]
    [TestCase(2, 1.0, false)]
    [TestCase(2, -1.0, false)]
    [TestCase(0, 1.0, true)]
    [TestCase(0, -1.0, true)]
    [TestCase(2, 1.0, true)]
    [TestCase(2, -1.0, true)]
    public void Step_StateOnOrJustBeyondThreshold_TerminatesOnlyBeyond(int component, double sign, bool beyond)
    {
        double threshold = Thresholds[component / 2];
        double value = sign * (beyond ? Math.BitIncrement(threshold) : threshold);
        double[] state = [0, 0, 0, 0];
        state[component] = value;
        var env = new Harness(1, seed: 2);
        env.Vector.SetState(0, state);
        env.Step(0);
        Assert.That(env.Terminated[0], Is.EqualTo(beyond));
        if (!beyond) Assert.That(env.Vector.GetState(0)[component], Is.EqualTo(value), "the position did not move");
        Assert.That(env.Rewards[0], Is.EqualTo(1f), "the terminating step is rewarded too");
    }

    [Test]
    public void ThetaThreshold_IsTwelveDegrees()
    {
        Assert.That(CartPoleVector.ThetaThresholdRadians, Is.EqualTo(0.20943951).Within(1e-8));
    }

    [Test]
    public void Step_500thStepOfAnUprightEpisode_IsTruncatedNotTerminated()
    {
        // balance-0 keeps the pole up for 500 steps from its start.
        JsonElement c = Reference.Case("cartpole", "balance-0");
        int[] actions = c.GetProperty("actions").EnumerateArray().Select(a => a.GetInt32()).ToArray();
        Assert.That(actions, Has.Length.EqualTo(500));
        var env = new Harness(2, seed: 3);
        env.Vector.SetState(0, Reference.Doubles(c.GetProperty("start")));
        for (int t = 1; t <= 500; t++)
        {
            // Env 1 is held upright by resetting its state: its episode clock still runs.
            env.Vector.SetState(1, [0, 0, 0, 0]);
            env.Step(actions[t - 1], t % 2);
            Assert.That(env.Terminated[0] || env.Terminated[1], Is.False, $"step {t}");
            Assert.That(env.Truncated[0], Is.EqualTo(t == 500), $"env 0, step {t}");
            Assert.That(env.Truncated[1], Is.EqualTo(t == 500), $"env 1, step {t}");
            if (t < 500) Assert.That(env.Vector.EpisodeLengths.ToArray(), Is.EqualTo(new[] { t, t }));
        }
        Assert.That(env.Vector.FinishedEpisodes.ToArray(), Is.EqualTo(new[]
        {
            new FinishedEpisode(0, 500, 500, false, true),
            new FinishedEpisode(1, 500, 500, false, true),
        }));
        Assert.That(env.Vector.EpisodeLengths.ToArray(), Is.EqualTo(new[] { 0, 0 }));
        Assert.That(env.Vector.EpisodeReturns.ToArray(), Is.EqualTo(new[] { 0.0, 0.0 }));
        // The next episode's clock starts again from 0.
        env.Step(0, 0);
        Assert.That(env.Truncated.ToArray(), Is.EqualTo(new[] { false, false }));
        Assert.That(env.Vector.EpisodeLengths.ToArray(), Is.EqualTo(new[] { 1, 1 }));
    }

    [Test]
    public void Step_EnvsEndingTogether_AreResetInTheSameStepAndListedInEnvOrder()
    {
        var env = new Harness(4, seed: 11);
        for (int t = 0; t < 3; t++) env.Step(0, 1, 0, 1);
        double[] returnsBefore = env.Vector.EpisodeReturns.ToArray();
        Assert.That(returnsBefore, Is.EqualTo(new[] { 3.0, 3.0, 3.0, 3.0 }));

        // Envs 3 and 1 are put one step from falling; 0 and 2 keep going.
        double[] falling = [0.5, 0.3, 0.2094, 2.0];
        env.Vector.SetState(3, falling);
        env.Vector.SetState(1, falling);
        double[] state0 = env.Vector.GetState(0).ToArray();
        env.Step(1, 1, 1, 1);

        Assert.That(env.Terminated.ToArray(), Is.EqualTo(new[] { false, true, false, true }));
        Assert.That(env.Rewards.ToArray(), Is.EqualTo(new[] { 1f, 1f, 1f, 1f }));
        Assert.That(env.Vector.FinishedEpisodes.ToArray(), Is.EqualTo(new[]
        {
            new FinishedEpisode(1, 4, 4, true, false),
            new FinishedEpisode(3, 4, 4, true, false),
        }));
        Assert.That(env.Vector.EpisodeReturns.ToArray(), Is.EqualTo(new[] { 4.0, 0, 4.0, 0 }));
        Assert.That(env.Vector.EpisodeLengths.ToArray(), Is.EqualTo(new[] { 4, 0, 4, 0 }));
        foreach (int e in new[] { 1, 3 })
        {
            // The returned observation is the reset state's; the terminal one is in FinalObservations.
            double[] state = env.Vector.GetState(e).ToArray();
            Assert.That(state, Has.All.InRange(-0.05, 0.05), $"env {e} was reset");
            Assert.That(env.Observation(e), Is.EqualTo(state.Select(v => (float)v).ToArray()));
            float[] final = env.Vector.FinalObservations.Slice(4 * e, 4).ToArray();
            Assert.That(final[2], Is.GreaterThan((float)CartPoleVector.ThetaThresholdRadians), $"env {e}'s terminal angle");
            Assert.That(final[0], Is.EqualTo((float)(0.5 + 0.02 * 0.3)), $"env {e}'s terminal x");
        }
        Assert.That(env.Vector.GetState(0)[0], Is.EqualTo(state0[0] + 0.02 * state0[1]), "env 0 stepped on");

        // Nothing ends on the next step: the list is empty again.
        env.Step(0, 0, 0, 0);
        Assert.That(env.Vector.FinishedEpisodes.Length, Is.Zero);
        Assert.That(env.Vector.EpisodeLengths.ToArray(), Is.EqualTo(new[] { 5, 1, 5, 1 }));
        Assert.That(env.Vector.EpisodeCount, Is.EqualTo(2));
        Assert.That(env.Vector.TotalSteps, Is.EqualTo(4 * 5));
    }

    [Test]
    public void Reset_ManyDraws_AreUniformOnPlusMinus005()
    {
        var vector = new CartPoleVector(50, seed: 123);
        var observations = new float[50 * 4];
        var values = new List<double>[4];
        for (int k = 0; k < 4; k++) values[k] = [];
        for (int round = 0; round < 400; round++)
        {
            vector.Reset(observations);
            for (int e = 0; e < 50; e++)
            {
                ReadOnlySpan<double> s = vector.GetState(e);
                for (int k = 0; k < 4; k++)
                {
                    values[k].Add(s[k]);
                    Assert.That(observations[4 * e + k], Is.EqualTo((float)s[k]));
                }
            }
        }
        for (int k = 0; k < 4; k++)
        {
            // 20,000 draws of U(-0.05, 0.05): mean 0 (sd 2e-4), variance 0.01/12 (relative sd 1.1%), range filled.
            double mean = values[k].Average();
            double variance = values[k].Sum(v => (v - mean) * (v - mean)) / (values[k].Count - 1);
            Assert.That(values[k], Has.All.InRange(-0.05, 0.05), $"component {k}");
            Assert.That(mean, Is.EqualTo(0).Within(1e-3), $"component {k}'s mean");
            Assert.That(variance, Is.EqualTo(0.01 / 12).Within(5).Percent, $"component {k}'s variance");
            Assert.That(values[k].Min(), Is.LessThan(-0.0499));
            Assert.That(values[k].Max(), Is.GreaterThan(0.0499));
        }
    }

    [Test]
    public void Reset_ClearsEpisodeStatisticsAndContinuesTheGenerators()
    {
        var env = new Harness(2, seed: 9);
        double[] first = env.Vector.GetState(0).ToArray();
        env.Step(1, 1);
        env.Step(1, 1);
        env.Vector.Reset(env.Observations);
        Assert.That(env.Vector.EpisodeLengths.ToArray(), Is.EqualTo(new[] { 0, 0 }));
        Assert.That(env.Vector.EpisodeReturns.ToArray(), Is.EqualTo(new[] { 0.0, 0.0 }));
        Assert.That(env.Vector.FinishedEpisodes.Length, Is.Zero);
        Assert.That(env.Vector.GetState(0).ToArray(), Is.Not.EqualTo(first), "a second reset draws new states");
    }

    /// <summary>The first three resets of each env against make_reference.py's own splitmix64 + xoshiro256** (written
    /// from the authors' C code): env e is seeded with seed + e, wrapping past 2^64.</summary>
    [TestCaseSource(typeof(Reference), nameof(Reference.GeneratorCases))]
    public void Reset_FirstResets_MatchTheReferenceGenerator(string seed)
    {
        JsonElement g = Reference.Generator(seed);
        int envs = g.GetProperty("envs").GetInt32();
        var expected = g.GetProperty("cartpole").EnumerateArray().Select(Reference.Rows).ToArray();
        var vector = new CartPoleVector(envs, ulong.Parse(seed, System.Globalization.CultureInfo.InvariantCulture));
        var observations = new float[envs * 4];
        for (int reset = 0; reset < 3; reset++)
        {
            vector.Reset(observations);
            for (int e = 0; e < envs; e++)
            {
                Assert.That(vector.GetState(e).ToArray(), Is.EqualTo(expected[e][reset]), $"env {e}, reset {reset}");
            }
        }
    }

    [Test]
    public void Step_SameSeedAndActions_GiveTheSameBits_AnotherSeedDoesNot()
    {
        static (float[] Observations, long Episodes) Run(ulong seed)
        {
            var env = new Harness(4, seed);
            var trace = new List<float>();
            for (int t = 0; t < 2000; t++)
            {
                // A policy of the observation, so a different trajectory changes the actions too.
                int[] actions = Enumerable.Range(0, 4).Select(e => env.Observation(e)[2] + 0.1f * env.Observation(e)[3] > 0 == (t % 7 != e) ? 1 : 0).ToArray();
                env.Step(actions);
                trace.AddRange(env.Observations);
            }
            return (trace.ToArray(), env.Vector.EpisodeCount);
        }
        var a = Run(77);
        var b = Run(77);
        var c = Run(78);
        Assert.That(a.Observations.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(b.Observations.Select(BitConverter.SingleToInt32Bits)));
        Assert.That(a.Episodes, Is.EqualTo(b.Episodes));
        Assert.That(a.Episodes, Is.GreaterThan(10), "the trace spans many auto-resets");
        Assert.That(c.Observations, Is.Not.EqualTo(a.Observations));
    }

    [Test]
    public void Vector_EnvE_BehavesAsASingleEnvSeededWithSeedPlusE()
    {
        var vector = new Harness(3, seed: 1000);
        var singles = Enumerable.Range(0, 3).Select(e => new Harness(1, seed: 1000 + (ulong)e)).ToArray();
        for (int t = 0; t < 300; t++)
        {
            int[] actions = [t % 2, (t / 3) % 2, 1];
            vector.Step(actions);
            for (int e = 0; e < 3; e++)
            {
                singles[e].Step(actions[e]);
                Assert.That(vector.Observation(e), Is.EqualTo(singles[e].Observation(0)), $"env {e}, step {t}");
                Assert.That(vector.Terminated[e], Is.EqualTo(singles[e].Terminated[0]));
            }
        }
    }

    [TestCase(0)]
    [TestCase(-3)]
    public void Constructor_NonPositiveEnvs_Throws(int envs)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _ = new CartPoleVector(envs, 0));
        Assert.That(error!.Message, Does.Contain($"must be positive, got {envs}"));
    }

    [Test]
    public void Step_BeforeReset_ThrowsGymsOrderMessage()
    {
        var vector = new CartPoleVector(2, 0);
        var error = Assert.Throws<InvalidOperationException>(() =>
            vector.Step(new int[2], new float[8], new float[2], new bool[2], new bool[2]));
        Assert.That(error!.Message, Does.Contain("Cannot call env.step() before calling env.reset()"));
        Assert.That(vector.TotalSteps, Is.Zero);
    }

    [TestCase("actions")]
    [TestCase("observations")]
    [TestCase("rewards")]
    [TestCase("terminated")]
    [TestCase("truncated")]
    public void Step_MisSizedSpan_ThrowsAndChangesNothing(string which)
    {
        var env = new Harness(3, seed: 4);
        env.Step(0, 1, 0);
        double[] before = env.Vector.GetState(1).ToArray();
        var error = Assert.Throws<ArgumentException>(() => env.Vector.Step(
            new int[which == "actions" ? 2 : 3], new float[which == "observations" ? 13 : 12], new float[which == "rewards" ? 4 : 3],
            new bool[which == "terminated" ? 0 : 3], new bool[which == "truncated" ? 2 : 3]));
        Assert.That(error!.ParamName, Is.EqualTo(which));
        Assert.That(error.Message, Does.Contain(", got "));
        Assert.That(env.Vector.GetState(1).ToArray(), Is.EqualTo(before));
        Assert.That(env.Vector.EpisodeLengths.ToArray(), Is.EqualTo(new[] { 1, 1, 1 }));
    }

    [TestCase(2)]
    [TestCase(-1)]
    public void Step_ActionOutsideDiscrete2_ThrowsAndChangesNothing(int bad)
    {
        var env = new Harness(3, seed: 4);
        env.Step(0, 1, 0);
        double[][] before = Enumerable.Range(0, 3).Select(e => env.Vector.GetState(e).ToArray()).ToArray();
        var error = Assert.Throws<ArgumentException>(() => env.Step(1, 0, bad));
        Assert.That(error!.Message, Does.Contain($"actions[2] = {bad} invalid"));
        Assert.That(error.ParamName, Is.EqualTo("actions"));
        for (int e = 0; e < 3; e++) Assert.That(env.Vector.GetState(e).ToArray(), Is.EqualTo(before[e]), "env 0 and 1 did not move");
        Assert.That(env.Vector.EpisodeLengths.ToArray(), Is.EqualTo(new[] { 1, 1, 1 }));
        Assert.That(env.Vector.TotalSteps, Is.EqualTo(3));
    }

    [Test]
    public void ResetAndStateAccess_BadArguments_Throw()
    {
        var vector = new CartPoleVector(2, 0);
        Assert.Throws<ArgumentException>(() => vector.Reset(new float[7]));
        Assert.Throws<ArgumentOutOfRangeException>(() => vector.GetState(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => vector.SetState(-1, new double[4]));
        var error = Assert.Throws<ArgumentException>(() => vector.SetState(0, new double[3]));
        Assert.That(error!.Message, Does.Contain("got 3"));
    }

    /// <summary>A harness around a vector with its output buffers; resets on construction.</summary>
    private sealed class Harness
    {
        public Harness(int envs, ulong seed)
        {
            Vector = new CartPoleVector(envs, seed);
            Observations = new float[envs * 4];
            Rewards = new float[envs];
            Terminated = new bool[envs];
            Truncated = new bool[envs];
            Vector.Reset(Observations);
        }

        public CartPoleVector Vector { get; }

        public float[] Observations { get; }

        public float[] Rewards { get; }

        public bool[] Terminated { get; }

        public bool[] Truncated { get; }

        public void Step(params int[] actions) => Vector.Step(actions, Observations, Rewards, Terminated, Truncated);

        public float[] Observation(int env) => Observations.AsSpan(4 * env, 4).ToArray();
    }
}
