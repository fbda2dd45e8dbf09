using System.Collections.Generic;
using System.Text.Json;
using ArenaGrad.Agents;
using ArenaGrad.IO;
using ArenaGrad.Nn;
using ArenaGrad.Rl;

namespace ArenaGrad.Tools.Tests;

/// <summary>PPO on CartPole (tools/ArenaGrad.Agents), run in-process: its loss against PyTorch, learning, 0 B per
/// iteration, its files, and the same learning curve bit for bit on every instruction set.</summary>
[NonParallelizable]
public sealed class CartPoleAgentTests
{
    /// <summary>SHA-256 of the learning curve and final weights of <see cref="DigestOptions"/>, written by this machine's
    /// AVX-512 paths. The suite also runs with AVX-512, AVX2 and all intrinsics off (.ci/run), so this one constant
    /// checks that every instruction set learns the same bits. Deterministic is forced on because with AVX2 off .NET
    /// also reports no FMA, where the arena's default would round products twice. Change it only with a change that is meant to change
    /// training (a new initializer, a different kernel rounding), and say so in the commit.</summary>
    private const string DigestOfTwentyIterations = "2cf5e78f1d149117073be7a138fe1d4e1cfb64fbc4dd87321324b6baa6790ef6";

    private static AgentOptions DigestOptions(string folder) =>
        new() { Seed = 1, TotalSteps = 20 * 512, Envs = 4, OutputDirectory = folder, Quiet = true, Deterministic = true };

    [Test]
    public void Run_120Iterations_LearnsAllocatesNothingAndWritesItsFiles()
    {
        using var folder = new TempFolder();
        using var console = new TestConsole();
        string json = Path.Combine(folder.Path, "summary.json");
        var options = new AgentOptions { Seed = 2, TotalSteps = 120 * 512, Envs = 4, OutputDirectory = folder.Path, JsonPath = json };
        AgentResult result;
        using (var ppo = new CartPolePpo(options))
            result = AgentRun.Run(ppo, options, console.Console, "cartpole");

        Assert.Multiple(() =>
        {
            Assert.That(result.Steps, Is.EqualTo(120 * 512));
            // A random policy averages about 22; PPO with these settings is past 100 by 60k steps on every seed tried.
            Assert.That(result.CurveMeanReturns[10], Is.LessThan(60), "early in training");
            Assert.That(result.LastMeanReturn, Is.GreaterThan(100), "mean return of the last 20 episodes after 61,440 steps");
            Assert.That(result.ManagedBytesPerIteration, Is.Zero, "managed bytes per iteration after warm-up");
            Assert.That(result.GcCollections, Is.Zero);
            Assert.That(result.ExitCode, Is.Zero);
        });
        PngAssert.IsPng(Path.Combine(folder.Path, "cartpole_curve.png"));
        Assert.That(console.Text, Does.Contain("mean return"));
        Assert.That(console.Text, Does.Contain("managed bytes per iteration"));

        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(json));
        JsonElement root = summary.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("implementation").GetString(), Is.EqualTo("arenagrad"));
            Assert.That(root.GetProperty("environment").GetString(), Is.EqualTo("CartPole-v1"));
            Assert.That(root.GetProperty("steps").GetInt64(), Is.EqualTo(result.Steps));
            Assert.That(root.GetProperty("stepsPerSecond").GetDouble(), Is.EqualTo(result.StepsPerSecond).Within(1e-6).Percent);
            Assert.That(root.GetProperty("episodes").GetInt64(), Is.EqualTo(result.Episodes));
            Assert.That(root.GetProperty("digest").GetString(), Is.EqualTo(result.Digest));
        });
    }

    [Test]
    public void SavedPolicy_LoadsFromSafetensorsAndOnnx_AndGivesTheTrainedLogits()
    {
        using var folder = new TempFolder();
        using var console = new TestConsole();
        var options = new AgentOptions { Seed = 3, TotalSteps = 4 * 512, Envs = 4, OutputDirectory = folder.Path, Quiet = true };
        using var ppo = new CartPolePpo(options);
        AgentRun.Run(ppo, options, console.Console, "cartpole");
        Arena arena = ppo.Arena;
        Tensor observations = arena.FromData([0.01f, -0.2f, 0.03f, 0.4f, -1f, 0.5f, -0.1f, -0.7f], [2, 4]);
        float[] trained = ppo.Agent.Actor.Forward(observations).ToArray();

        // The safetensors file holds CleanRL's names: it loads into a fresh agent of the same shape.
        var fresh = new ActorCritic(arena, 4, 2, 64);
        IReadOnlyDictionary<string, Tensor> state = Safetensors.Load(arena, Path.Combine(folder.Path, "cartpole_agent.safetensors"));
        Assert.That(state.Keys, Is.EquivalentTo(new[]
        {
            "critic.0.weight", "critic.0.bias", "critic.2.weight", "critic.2.bias", "critic.4.weight", "critic.4.bias",
            "actor.0.weight", "actor.0.bias", "actor.2.weight", "actor.2.bias", "actor.4.weight", "actor.4.bias",
        }));
        fresh.LoadStateDict(state);
        Assert.That(fresh.Actor.Forward(observations).ToArray(), Is.EqualTo(trained));

        Module onnx = Onnx.Load(arena, Path.Combine(folder.Path, "cartpole_policy.onnx"));
        Assert.That(onnx.Forward(observations).ToArray(), Is.EqualTo(trained).Within(1e-6f));
    }

    [Test]
    public void LearningCurve_IsTheSameBitForBit_OnEveryInstructionSetAndRun()
    {
        using var folder = new TempFolder();
        using var console = new TestConsole();
        AgentResult first, second;
        using (var ppo = new CartPolePpo(DigestOptions(folder.Path)))
            first = AgentRun.Run(ppo, DigestOptions(folder.Path), console.Console, "cartpole");
        using (var ppo = new CartPolePpo(DigestOptions(folder.Path)))
            second = AgentRun.Run(ppo, DigestOptions(folder.Path), console.Console, "cartpole");
        Assert.That(second.Digest, Is.EqualTo(first.Digest), "two runs of one seed");
        Assert.That(first.Digest, Is.EqualTo(DigestOfTwentyIterations), "the committed digest (this machine's instruction set against the one that wrote it)");
    }

    [Test]
    public void Captured_TwentyIterations_GiveEagerModesDigestAndAllocateNothing()
    {
        using var folder = new TempFolder();
        using var console = new TestConsole();
        AgentResult eager, captured;
        using (var ppo = new CartPolePpo(DigestOptions(folder.Path)))
            eager = AgentRun.Run(ppo, DigestOptions(folder.Path), console.Console, "cartpole");
        AgentOptions options = DigestOptions(folder.Path) with { Captured = true };
        using (var ppo = new CartPolePpo(options))
        {
            captured = AgentRun.Run(ppo, options, console.Console, "cartpole");
            // The last epoch's diagnostics come from the replayed loss terms, so they must be live values, not the capture's.
            Assert.That(ppo.LastDiagnostics.Entropy, Is.GreaterThan(0f).And.LessThanOrEqualTo(MathF.Log(2f)));
        }
        Assert.Multiple(() =>
        {
            Assert.That(console.Text, Does.Contain("captured steps"), "the header says which mode ran");
            Assert.That(captured.CurveMeanReturns, Is.EqualTo(eager.CurveMeanReturns), "mean return after every iteration");
            Assert.That(captured.Digest, Is.EqualTo(eager.Digest), "curve and final weights, bit for bit");
            Assert.That(captured.Digest, Is.EqualTo(DigestOfTwentyIterations), "the committed eager digest");
            Assert.That(captured.ManagedBytesPerIteration, Is.Zero, "managed bytes per iteration after warm-up");
            Assert.That(captured.GcCollections, Is.Zero);
        });
    }

    [Test]
    public void Captured_NaNPolicy_ThrowsEagerModesCategoricalError()
    {
        // A replay skips the NaN check Categorical's constructor makes; the captured rollout makes it after the replay.
        string Failure(bool captured)
        {
            using var ppo = new CartPolePpo(new AgentOptions { Seed = 4, TotalSteps = 512, Envs = 4, Captured = captured });
            Init.Constant(ppo.Agent.Actor.Parameters()[0], float.NaN);
            ppo.Start();
            return Assert.Throws<ArgumentException>(() => ppo.RunIteration(1))!.Message;
        }
        string eager = Failure(captured: false);
        Assert.That(eager, Does.Contain("IndependentConstraint(Real(), 1)"));
        Assert.That(Failure(captured: true), Is.EqualTo(eager));
    }

    [Test]
    public void Options_OutOfRange_AreRefusedWithWhatWasExpected()
    {
        var ok = new AgentOptions { TotalSteps = 512, Envs = 4 };
        Assert.Multiple(() =>
        {
            Assert.That(() => new CartPolePpo(ok with { TotalSteps = 511 }), Throws.ArgumentException.With.Message.EqualTo(
                "--total-steps expects at least one rollout of 128 steps × 4 envs = 512 steps, but got 511."));
            Assert.That(() => new CartPolePpo(ok with { Envs = 0 }), Throws.ArgumentException.With.Message.EqualTo(
                "--envs expects a positive integer, but got 0."));
            Assert.That(() => new CartPolePpo(ok with { TotalSteps = -5 }), Throws.ArgumentException.With.Message.EqualTo(
                "--total-steps expects a positive integer, but got -5."));
            Assert.That(() => new CartPolePpo(ok with { Envs = 3 }, new PpoSettings { Minibatches = 5 }),
                Throws.ArgumentException.With.Message.EqualTo(
                    "Expected a number of minibatches that divides the batch of 128 steps × 3 envs, but got 5."));
        });
    }

    [Test]
    public void PpoLoss_OnAMinibatch_MatchesCleanRlInPyTorch()
    {
        using JsonDocument reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "Reference", "ppo_loss.json")));
        JsonElement r = reference.RootElement;
        static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

        using var arena = new Arena();
        var agent = new ActorCritic(arena, 4, 2, 64);
        var state = new Dictionary<string, Tensor>();
        foreach (JsonProperty weight in r.GetProperty("weights").EnumerateObject())
            state[weight.Name] = arena.FromData(Floats(weight.Value.GetProperty("values")),
                weight.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray());
        agent.LoadStateDict(state);

        float[] observations = Floats(r.GetProperty("observations")), oldLogProbs = Floats(r.GetProperty("oldLogProbs"));
        float[] oldValues = Floats(r.GetProperty("oldValues"));
        int[] actions = r.GetProperty("actions").EnumerateArray().Select(a => a.GetInt32()).ToArray();
        int n = actions.Length;
        var buffer = new RolloutBuffer(arena, n, 1, 4);
        for (int t = 0; t < n; t++)
            buffer.Add(observations.AsSpan(4 * t, 4), actions.AsSpan(t, 1), oldLogProbs.AsSpan(t, 1), [1f], [false], oldValues.AsSpan(t, 1));
        using (arena.NoGrad())
        {
            buffer.Advantages.CopyFrom(Floats(r.GetProperty("advantages")));
            buffer.Returns.CopyFrom(Floats(r.GetProperty("returns")));
        }
        // A shuffled index: the loss must not depend on the minibatch's order.
        int[] order = Enumerable.Range(0, n).Reverse().ToArray();
        Tensor index = arena.FromData(order, [n]);

        PpoLoss loss = PpoLoss.Compute(agent, buffer, index, new PpoSettings());
        loss.Total.Backward();
        PpoDiagnostics diagnostics = loss.Diagnostics();
        Assert.Multiple(() =>
        {
            Assert.That(loss.Total.Item(), Is.EqualTo(r.GetProperty("loss").GetDouble()).Within(2e-6));
            Assert.That(diagnostics.PolicyLoss, Is.EqualTo(r.GetProperty("policyLoss").GetDouble()).Within(2e-6));
            Assert.That(diagnostics.ValueLoss, Is.EqualTo(r.GetProperty("valueLoss").GetDouble()).Within(2e-6));
            Assert.That(diagnostics.Entropy, Is.EqualTo(r.GetProperty("entropy").GetDouble()).Within(2e-6));
            Assert.That(diagnostics.ApproxKl, Is.EqualTo(r.GetProperty("approxKl").GetDouble()).Within(2e-6));
            Assert.That(diagnostics.ClipFraction, Is.EqualTo(r.GetProperty("clipFraction").GetDouble()));
            JsonElement gradients = r.GetProperty("gradients");
            foreach (NamedTensor parameter in agent.NamedParameters())
            {
                float[] expected = Floats(gradients.GetProperty(parameter.Name));
                float scale = expected.Max(MathF.Abs);
                Assert.That(parameter.Value.Grad!.Value.ToArray(), Is.EqualTo(expected).Within(1e-5f * scale + 1e-8f), parameter.Name);
            }
        });
    }
}
