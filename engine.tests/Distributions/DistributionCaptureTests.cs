using ArenaGrad.Distributions;

namespace ArenaGrad.Tests.Distributions;

/// <summary>LogProb and Entropy are plain engine ops, so a step using them can be captured and replayed (a PPO
/// minibatch update); validation runs at capture only. Sampling is refused while capturing (see
/// <see cref="DistributionSamplingTests.Sampling_WhileCapturing_IsRefused"/>).</summary>
public sealed class DistributionCaptureTests
{
    [Test]
    public void CategoricalLogProbAndEntropy_CapturedAndReplayedOnNewLogitsAndActions_MatchEager()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 12 });
        Tensor actions = arena.FromData([0, 2, 1, 3], [4]);
        CapturedStepCheck(arena, arena.Randn([4, 4]), x =>
        {
            var d = new Categorical(x);
            return d.LogProb(actions) + d.Entropy();
        }, () => actions.CopyFrom([3, 3, 0, 1]));
    }

    [Test]
    public void NormalLogProbAndEntropy_CapturedAndReplayedOnNewLocAndValues_MatchEager()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 13 });
        Tensor value = arena.Randn([4, 2]), scale = arena.FromData([0.5f, 2f]);
        CapturedStepCheck(arena, arena.Randn([4, 2]), x =>
        {
            var d = new Normal(x, scale);
            return d.LogProb(value) + d.Entropy();
        }, () => value.CopyFrom(arena.Randn([4, 2])));
    }

    private static void CapturedStepCheck(Arena arena, Tensor input, Func<Tensor, Tensor> step, Action changeOtherInputs)
    {
        using var captured = arena.Capture(input, step);
        Tensor next = arena.Randn(input.Shape);
        changeOtherInputs();
        float[] replayed = captured.Run(next).ToArray();
        float[] eager = step(next).ToArray();
        Assert.That(replayed, Is.EqualTo(eager));
    }
}
