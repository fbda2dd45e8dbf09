using System.Text.Json;

namespace ArenaGrad.Environments.Tests;

/// <summary>PendulumVector against gym's Pendulum-v1 (reference.json) and the rules of ../shared/rl/cartpole.md §4.</summary>
public sealed class PendulumTests
{
    /// <summary>The reference runs numpy's sin, as gym does, and C# libm's: on the machine that wrote reference.json
    /// they differ by one ulp for most arguments (numpy 1.24 has its own vectorized float64 sin), and 200 steps carry
    /// that to about 1e-15 here; the tolerance is far below what a wrong term produces (1e-4 or more).</summary>
    private const double StateTolerance = 1e-9;

    private static IEnumerable<TestCaseData> Cases() => Reference.Cases("pendulum");

    [TestCaseSource(nameof(Cases))]
    public void Step_ReferenceTrajectory_MatchesGymEquations(string name)
    {
        JsonElement c = Reference.Case("pendulum", name);
        float[] actions = c.GetProperty("actions").EnumerateArray().Select(a => (float)a.GetDouble()).ToArray();
        double[][] states = Reference.Rows(c.GetProperty("states"));
        double[][] observations = Reference.Rows(c.GetProperty("observations"));
        double[] rewards = Reference.Doubles(c.GetProperty("rewards"));

        // Env 0 of 2 follows the reference; env 1 gets other torques.
        var env = new Harness(2, seed: 8);
        env.Vector.SetState(0, Reference.Doubles(c.GetProperty("start")));
        double sum = 0;
        for (int t = 0; t < actions.Length; t++)
        {
            env.Step(actions[t], -actions[t]);
            sum += rewards[t];
            Assert.That(env.Terminated[0], Is.False, "Pendulum never terminates");
            Assert.That(env.Rewards[0], Is.EqualTo((float)rewards[t]).Within(1e-6f).Percent, $"reward of step {t + 1}");
            Assert.That(env.Truncated[0], Is.EqualTo(t + 1 == PendulumVector.MaxEpisodeSteps), $"truncated at step {t + 1}");
            float[] expectedObservation = observations[t].Select(v => (float)v).ToArray();
            if (env.Truncated[0])
            {
                Assert.That(env.Vector.FinalObservations.Slice(0, 3).ToArray(), Is.EqualTo(expectedObservation).Within(1e-6f));
                FinishedEpisode finished = env.Vector.FinishedEpisodes[0];
                Assert.That((finished.Env, finished.Length, finished.Terminated, finished.Truncated), Is.EqualTo((0, 200, false, true)));
                Assert.That(finished.Return, Is.EqualTo(sum).Within(1e-9).Percent);
            }
            else
            {
                Assert.That(env.Vector.GetState(0).ToArray(), Is.EqualTo(states[t]).Within(StateTolerance), $"state after step {t + 1}");
                Assert.That(env.Observation(0), Is.EqualTo(expectedObservation).Within(1e-6f), $"observation after step {t + 1}");
                Assert.That(env.Vector.EpisodeReturns[0], Is.EqualTo(sum).Within(1e-9).Percent);
            }
        }
    }

    [Test]
    public void NormalizeAngle_ReferenceInputs_MatchNumpysFlooredModToTheBit()
    {
        foreach (JsonElement c in Reference.Root.GetProperty("angle_normalize").EnumerateArray())
        {
            double theta = c.GetProperty("theta").GetDouble();
            Assert.That(PendulumVector.NormalizeAngle(theta), Is.EqualTo(c.GetProperty("normalized").GetDouble()), $"theta = {theta:R}");
        }
    }

    [Test]
    public void NormalizeAngle_WrapsIntoMinusPiToPi()
    {
        Assert.That(PendulumVector.NormalizeAngle(Math.PI), Is.EqualTo(-Math.PI), "pi wraps to -pi: the interval is half-open");
        Assert.That(PendulumVector.NormalizeAngle(-Math.PI), Is.EqualTo(-Math.PI));
        Assert.That(PendulumVector.NormalizeAngle(3 * Math.PI / 2), Is.EqualTo(-Math.PI / 2).Within(1e-15));
        Assert.That(PendulumVector.NormalizeAngle(-7.0), Is.EqualTo(-7.0 + 2 * Math.PI).Within(1e-15));
        for (double theta = -100; theta < 100; theta += 0.37)
        {
            double n = PendulumVector.NormalizeAngle(theta);
            Assert.That(n, Is.InRange(-Math.PI, Math.PI));
            Assert.That(Math.Cos(n), Is.EqualTo(Math.Cos(theta)).Within(1e-12));
            Assert.That(Math.Sin(n), Is.EqualTo(Math.Sin(theta)).Within(1e-12));
        }
    }

    [Test]
    public void Step_Reward_IsMinusCostOfTheStateBeforeTheStep()
    {
        var env = new Harness(1, seed: 0);
        // theta = 2.5 pi is pi/2 past upright; cost = (pi/2)^2 + 0.1 * 3^2 + 0.001 * 1.5^2.
        env.Vector.SetState(0, [2.5 * Math.PI, 3.0]);
        env.Step(1.5f);
        double expected = -(Math.PI / 2 * (Math.PI / 2) + 0.1 * 9 + 0.001 * 2.25);
        Assert.That(env.Rewards[0], Is.EqualTo((float)expected).Within(1e-6f));
        Assert.That(env.Vector.EpisodeReturns[0], Is.EqualTo(expected).Within(1e-12));
        // Upright and still with no torque: cost 0, and the state does not move.
        env.Vector.SetState(0, [0.0, 0.0]);
        env.Step(0f);
        Assert.That(env.Rewards[0], Is.Zero);
        Assert.That(env.Vector.GetState(0).ToArray(), Is.EqualTo(new[] { 0.0, 0.0 }));
    }

    [Test]
    public void Step_InfiniteTorque_IsClampedToTheLimit()
    {
        var a = new Harness(2, seed: 6);
        var b = new Harness(2, seed: 6);
        for (int t = 0; t < 20; t++)
        {
            a.Step(float.PositiveInfinity, float.NegativeInfinity);
            b.Step(2f, -2f);
            Assert.That(a.Observations, Is.EqualTo(b.Observations));
            Assert.That(a.Rewards, Is.EqualTo(b.Rewards));
        }
    }

    [Test]
    public void Step_SpeedLimit_ClampsThetaDotToEight()
    {
        var env = new Harness(1, seed: 0);
        env.Vector.SetState(0, [Math.PI / 2, 7.99]);
        env.Step(2f);
        Assert.That(env.Vector.GetState(0).ToArray(), Is.EqualTo(new[] { Math.PI / 2 + 8.0 * 0.05, 8.0 }));
        env.Vector.SetState(0, [-Math.PI / 2, -7.99]);
        env.Step(-2f);
        Assert.That(env.Vector.GetState(0)[1], Is.EqualTo(-8.0));
    }

    [Test]
    public void Step_200thStep_IsTruncatedAndResets_NeverTerminated()
    {
        var env = new Harness(3, seed: 21);
        for (int t = 1; t <= 450; t++)
        {
            env.Step(0.5f, -1f, 2f);
            bool end = t % 200 == 0;
            Assert.That(env.Terminated, Has.All.False);
            Assert.That(env.Truncated, Has.All.EqualTo(end), $"step {t}");
            Assert.That(env.Vector.FinishedEpisodes.Length, Is.EqualTo(end ? 3 : 0));
            Assert.That(env.Vector.EpisodeLengths.ToArray(), Has.All.EqualTo(t % 200));
            if (end)
            {
                for (int e = 0; e < 3; e++)
                {
                    FinishedEpisode f = env.Vector.FinishedEpisodes[e];
                    Assert.That((f.Env, f.Length, f.Terminated, f.Truncated), Is.EqualTo((e, 200, false, true)));
                    Assert.That(f.Return, Is.LessThan(0));
                    ReadOnlySpan<double> s = env.Vector.GetState(e);
                    Assert.That(s[0], Is.InRange(-Math.PI, Math.PI), "reset");
                    Assert.That(s[1], Is.InRange(-1.0, 1.0), "reset");
                }
            }
        }
        Assert.That(env.Vector.EpisodeCount, Is.EqualTo(6));
    }

    [Test]
    public void Reset_ManyDraws_AreUniformOnTheirRanges_ObservationIsCosSinSpeed()
    {
        var vector = new PendulumVector(40, seed: 5);
        var observations = new float[40 * 3];
        var thetas = new List<double>();
        var speeds = new List<double>();
        for (int round = 0; round < 500; round++)
        {
            vector.Reset(observations);
            for (int e = 0; e < 40; e++)
            {
                double theta = vector.GetState(e)[0], speed = vector.GetState(e)[1];
                thetas.Add(theta);
                speeds.Add(speed);
                Assert.That(observations.AsSpan(3 * e, 3).ToArray(),
                    Is.EqualTo(new[] { (float)Math.Cos(theta), (float)Math.Sin(theta), (float)speed }));
            }
        }
        // 20,000 draws each: means 0 (sd 0.013 and 0.004), variances pi^2/3 and 1/3 (relative sd 1.1%).
        Assert.That(thetas, Has.All.InRange(-Math.PI, Math.PI));
        Assert.That(speeds, Has.All.InRange(-1.0, 1.0));
        Assert.That(thetas.Average(), Is.EqualTo(0).Within(0.06));
        Assert.That(speeds.Average(), Is.EqualTo(0).Within(0.02));
        Assert.That(thetas.Sum(v => v * v) / thetas.Count, Is.EqualTo(Math.PI * Math.PI / 3).Within(5).Percent);
        Assert.That(speeds.Sum(v => v * v) / speeds.Count, Is.EqualTo(1.0 / 3).Within(5).Percent);
        Assert.That(thetas.Min(), Is.LessThan(-3.1));
        Assert.That(thetas.Max(), Is.GreaterThan(3.1));
    }

    [TestCaseSource(typeof(Reference), nameof(Reference.GeneratorCases))]
    public void Reset_FirstResets_MatchTheReferenceGenerator(string seed)
    {
        JsonElement g = Reference.Generator(seed);
        int envs = g.GetProperty("envs").GetInt32();
        var expected = g.GetProperty("pendulum").EnumerateArray().Select(Reference.Rows).ToArray();
        var vector = new PendulumVector(envs, ulong.Parse(seed, System.Globalization.CultureInfo.InvariantCulture));
        var observations = new float[envs * 3];
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
        static float[] Run(ulong seed)
        {
            var env = new Harness(4, seed);
            var trace = new List<float>();
            for (int t = 0; t < 1000; t++)
            {
                // Torque from the observation (a damping controller), so a different trajectory changes the actions.
                float[] actions = Enumerable.Range(0, 4).Select(e => -0.5f * env.Observation(e)[2] + 0.1f * e).ToArray();
                env.Step(actions);
                trace.AddRange(env.Observations);
                trace.AddRange(env.Rewards);
            }
            return trace.ToArray();
        }
        float[] a = Run(3), b = Run(3), c = Run(4);
        Assert.That(a.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(b.Select(BitConverter.SingleToInt32Bits)));
        Assert.That(c, Is.Not.EqualTo(a));
    }

    [Test]
    public void Step_NaNTorque_ThrowsAndChangesNothing()
    {
        var env = new Harness(2, seed: 4);
        env.Step(1f, 1f);
        double[] before = env.Vector.GetState(0).ToArray();
        var error = Assert.Throws<ArgumentException>(() => env.Step(0.5f, float.NaN));
        Assert.That(error!.Message, Does.Contain("actions[1] is NaN"));
        Assert.That(env.Vector.GetState(0).ToArray(), Is.EqualTo(before), "env 0 did not move");
        Assert.That(env.Vector.EpisodeLengths.ToArray(), Is.EqualTo(new[] { 1, 1 }));
        Assert.That(env.Vector.TotalSteps, Is.EqualTo(2));
    }

    [Test]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new PendulumVector(0, 1));
        var vector = new PendulumVector(2, 1);
        var error = Assert.Throws<InvalidOperationException>(() => vector.Step(new float[2], new float[6], new float[2], new bool[2], new bool[2]));
        Assert.That(error!.Message, Does.Contain("Cannot call env.step() before calling env.reset()"));
        Assert.Throws<ArgumentException>(() => vector.Reset(new float[4]));
        vector.Reset(new float[6]);
        var sized = Assert.Throws<ArgumentException>(() => vector.Step(new float[2], new float[8], new float[2], new bool[2], new bool[2]));
        Assert.That(sized!.ParamName, Is.EqualTo("observations"));
        Assert.That(sized.Message, Does.Contain("got 8"));
        Assert.Throws<ArgumentException>(() => vector.Step(new float[3], new float[6], new float[2], new bool[2], new bool[2]));
        Assert.Throws<ArgumentException>(() => vector.SetState(0, new double[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => vector.GetState(2));
    }

    /// <summary>A harness around a vector with its output buffers; resets on construction.</summary>
    private sealed class Harness
    {
        public Harness(int envs, ulong seed)
        {
            Vector = new PendulumVector(envs, seed);
            Observations = new float[envs * 3];
            Rewards = new float[envs];
            Terminated = new bool[envs];
            Truncated = new bool[envs];
            Vector.Reset(Observations);
        }

        public PendulumVector Vector { get; }

        public float[] Observations { get; }

        public float[] Rewards { get; }

        public bool[] Terminated { get; }

        public bool[] Truncated { get; }

        public void Step(params float[] actions) => Vector.Step(actions, Observations, Rewards, Terminated, Truncated);

        public float[] Observation(int env) => Observations.AsSpan(3 * env, 3).ToArray();
    }
}
