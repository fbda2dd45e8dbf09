using System.Collections.Generic;
using ArenaGrad.Agents;
using ArenaGrad.Environments;
using ArenaGrad.IO;
using ArenaGrad.Nn;

namespace ArenaGrad.Tools.Tests;

/// <summary>SAC on Pendulum-v1 (tools/ArenaGrad.Agents, <c>pendulum</c>), run in-process with few steps.</summary>
[NonParallelizable]
public sealed class PendulumAgentTests
{
    /// <summary>A uniformly random torque scores about −1200 per episode (../shared/rl/cartpole.md, section 4).</summary>
    private const double RandomPolicyReturn = -1200;

    [Test]
    public void Run_7000Steps_LearnsToSwingUpAllocatesNothingAndWritesAUsablePolicy()
    {
        using var folder = new TempFolder();
        using var console = new TestConsole();
        string json = Path.Combine(folder.Path, "summary.json");
        var options = new AgentOptions { Seed = 1, TotalSteps = 7000, Envs = 1, OutputDirectory = folder.Path, JsonPath = json, Quiet = true };
        using var trainer = new PendulumSac(options);
        AgentResult result = AgentRun.Run(trainer, options, console.Console, "pendulum");

        // The ONNX file, loaded into an arena of its own, drives the pendulum with the deterministic torque 2·tanh(μ).
        string onnx = Path.Combine(folder.Path, "pendulum_policy.onnx");
        using var arena = new Arena();
        Module exported = Onnx.Load(arena, onnx);
        double greedy = GreedyReturn(arena, exported, episodes: 10, seed: 1000);
        
        Assert.Multiple(() =>
        {
            Assert.That(result.Steps, Is.EqualTo(7000));
            Assert.That(result.Episodes, Is.EqualTo(35));
            // Episodes 16-35 (seed 1 gives −267); a policy that does not learn stays near −1200 or below.
            Assert.That(result.LastMeanReturn, Is.GreaterThan(-600), "mean of the last 20 episodes after 7000 steps");
            Assert.That(greedy, Is.GreaterThan(-400), "the exported policy's mean return over 10 fresh episodes");
            Assert.That(trainer.Alpha, Is.LessThan(0.5f), "α is tuned down from 1 as the entropy falls");
            Assert.That(result.ManagedBytesPerIteration, Is.Zero, "managed bytes per iteration after warm-up");
            Assert.That(result.GcCollections, Is.Zero);
            Assert.That(result.ExitCode, Is.Zero);
        });

        PngAssert.IsPng(Path.Combine(folder.Path, "pendulum_curve.png"));
        Assert.That(File.ReadAllText(json), Does.Contain("\"environment\": \"Pendulum-v1\""));
        IReadOnlyDictionary<string, Tensor> weights = Safetensors.Load(arena, Path.Combine(folder.Path, "pendulum_agent.safetensors"));
        Assert.That(weights.Keys, Is.EquivalentTo(trainer.StateDict().Select(named => named.Name)));
        Assert.That(weights.Keys, Does.Contain("actor.4.bias").And.Contain("qf2_target.0.weight").And.Contain("log_alpha"));
        Assert.That(weights["actor.4.weight"].Shape.ToArray(), Is.EqualTo(new[] { 2, 64 }), "[mean, log_std] head");
        Assert.That(weights["log_alpha"].Item(), Is.EqualTo(MathF.Log(trainer.Alpha)).Within(1e-6f));
        // The targets trail the Q networks: Polyak-averaged, not copied.
        Assert.That(weights["qf1_target.4.weight"].ToArray(), Is.Not.EqualTo(weights["qf1.4.weight"].ToArray()));
        // The ONNX graph computes what the trainer's policy computes.
        float[] input = [0.6f, -0.8f, 1.5f, -1f, 0f, -3f];
        using (trainer.Arena.Scope())
        using (arena.Scope())
        {
            float[] expected = trainer.Policy.Forward(trainer.Arena.FromData(input, [2, 3])).ToArray();
            Assert.That(exported.Forward(arena.FromData(input, [2, 3])).ToArray(), Is.EqualTo(expected).Within(1e-5f));
        }
        Assert.That(console.Text, Does.Contain("SAC on Pendulum-v1"));
        Assert.That(console.Text, Does.Contain("managed bytes per iteration"));
    }

    /// <summary>SHA-256 of the learning curve and final weights of seed 7's first 1,400 steps, written by this machine's
    /// AVX-512 paths; .ci/run also runs the suite with AVX-512, AVX2 and all intrinsics off, so every instruction set
    /// must reproduce it (Normal's RSample, the tanh squash, the twin Q updates, Polyak and α included). Change it only
    /// with a change meant to move training's bits, and say so in the commit.</summary>
    private const string DigestOfSeedSeven = "53bb69d62e23e4df8df3ef78d4281a95ef5379bb348d404eef19cf64e56fb5f4";

    [Test]
    public void Run_SameSeedTwice_GivesTheSameDigestOnEveryInstructionSetAndAnotherSeedDoesNot()
    {
        // 1400 steps: 800 random, then 600 with updates of Q, actor, α and the targets. Deterministic is forced on
        // because with AVX2 off .NET also reports no FMA, where the arena's default would round products twice.
        string Digest(ulong seed)
        {
            using var folder = new TempFolder();
            using var console = new TestConsole();
            var options = new AgentOptions { Seed = seed, TotalSteps = 1400, Envs = 1, OutputDirectory = folder.Path, Quiet = true, Deterministic = true };
            using var trainer = new PendulumSac(options);
            return AgentRun.Run(trainer, options, console.Console, "pendulum").Digest;
        }

        string first = Digest(7);
        Assert.That(Digest(7), Is.EqualTo(first));
        Assert.That(first, Is.EqualTo(DigestOfSeedSeven), "the committed digest (this instruction set against the one that wrote it)");
        Assert.That(Digest(8), Is.Not.EqualTo(first));
    }

    [Test]
    public void Constructor_BadOptionsOrSettings_ThrowsArgumentExceptionsSayingWhatWasExpected()
    {
        var options = new AgentOptions { Seed = 1, TotalSteps = 15_000, Envs = 1 };

        static string Message(AgentOptions options, SacSettings? settings = null) =>
            Assert.Throws<ArgumentException>(() => new PendulumSac(options, settings).Dispose())!.Message;

        Assert.Multiple(() =>
        {
            Assert.That(Message(options with { TotalSteps = 199 }),
                Is.EqualTo("--total-steps expects at least one iteration of 200 steps × 1 envs = 200 steps, but got 199."));
            Assert.That(Message(options with { TotalSteps = 0 }), Is.EqualTo("--total-steps expects a positive integer, but got 0."));
            Assert.That(Message(options with { Envs = 0 }), Is.EqualTo("--envs expects a positive integer, but got 0."));
            Assert.That(Message(options, new SacSettings { Hidden = 0 }), Is.EqualTo("Hidden expects a positive integer, but got 0."));
            Assert.That(Message(options, new SacSettings { BatchSize = -1 }), Is.EqualTo("BatchSize expects a positive integer, but got -1."));
            Assert.That(Message(options, new SacSettings { LearningStarts = -1 }), Does.StartWith("LearningStarts expects a non-negative integer"));
            Assert.That(Message(options, new SacSettings { Tau = 1.5f }), Is.EqualTo("Tau expects a number in [0, 1], but got 1.5."));
            Assert.That(Message(options, new SacSettings { Gamma = float.NaN }), Is.EqualTo("Gamma expects a number in [0, 1], but got NaN."));
            Assert.That(Message(options, new SacSettings { QLearningRate = 0 }), Is.EqualTo("QLearningRate expects a positive number, but got 0."));
            Assert.That(Message(options, new SacSettings { PolicyFrequency = 0 }), Is.EqualTo("PolicyFrequency expects a positive integer, but got 0."));
            Assert.That(Message(options, new SacSettings { StepsPerIteration = 0 }), Is.EqualTo("StepsPerIteration expects a positive integer, but got 0."));
        });
    }

    /// <summary>Mean return of <paramref name="policy"/> (observations to [μ, log σ]) over <paramref name="episodes"/>
    /// fresh Pendulum-v1 episodes with the torque 2·tanh(μ).</summary>
    private static double GreedyReturn(Arena arena, Module policy, int episodes, ulong seed)
    {
        var envs = new PendulumVector(episodes, seed);
        float[] observations = new float[episodes * PendulumVector.ObservationSize], actions = new float[episodes], rewards = new float[episodes];
        bool[] terminated = new bool[episodes], truncated = new bool[episodes];
        envs.Reset(observations);
        double total = 0;
        for (int t = 0; t < PendulumVector.MaxEpisodeSteps; t++)
        {
            using (arena.Scope())
            using (arena.NoGrad())
            {
                float[] output = policy.Forward(arena.FromData(observations, [episodes, PendulumVector.ObservationSize])).ToArray();
                for (int e = 0; e < episodes; e++) actions[e] = PendulumVector.MaxTorque * MathF.Tanh(output[2 * e]);
            }
            envs.Step(actions, observations, rewards, terminated, truncated);
            total += rewards.Sum();
        }
        Assert.That(truncated, Is.All.True, "every episode ends on its 200th step");
        return total / episodes;
    }
}
