using System.Runtime.CompilerServices;
using ArenaGrad.Testing;

namespace ArenaGrad.Environments.Tests;

/// <summary>After warm-up a Step allocates no managed memory, auto-resets and reading finished episodes included.</summary>
[NonParallelizable]
public sealed class ZeroAllocationTests
{
    [Test]
    public void CartPoleStep_WithAutoResets_AllocatesZeroManagedBytes()
    {
        var vector = new CartPoleVector(4, seed: 1);
        var observations = new float[16];
        var rewards = new float[4];
        var terminated = new bool[4];
        var truncated = new bool[4];
        int[] actions = [1, 1, 0, 1]; // always one way: episodes end every 9-10 steps, so resets are measured too
        vector.Reset(observations);
        double sum = 0;
        long episodesBefore = vector.EpisodeCount;
        Assert.That(() => { sum += StepCartPole(vector, actions, observations, rewards, terminated, truncated); }, Allocates.Nothing);
        Assert.That(vector.EpisodeCount - episodesBefore, Is.GreaterThan(10), "the measured steps included auto-resets");
        Assert.That(sum, Is.GreaterThan(0));
    }

    [Test]
    public void PendulumStep_WithAutoResets_AllocatesZeroManagedBytes()
    {
        var vector = new PendulumVector(4, seed: 1);
        var observations = new float[12];
        var rewards = new float[4];
        var terminated = new bool[4];
        var truncated = new bool[4];
        float[] actions = [2f, -2f, 0.5f, 0f];
        vector.Reset(observations);
        double sum = 0;
        long stepsBefore = vector.TotalSteps;
        Assert.That(() => { sum += StepPendulum(vector, actions, observations, rewards, terminated, truncated); }, Allocates.Nothing);
        Assert.That(vector.TotalSteps - stepsBefore, Is.GreaterThan(4 * 200), "the measured steps spanned a time limit");
        Assert.That(sum, Is.LessThan(0));
    }

    /// <summary>One step, then the finished episodes' returns summed, as a trainer's logger reads them.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double StepCartPole(CartPoleVector vector, int[] actions, float[] observations, float[] rewards,
        bool[] terminated, bool[] truncated)
    {
        vector.Step(actions, observations, rewards, terminated, truncated);
        double sum = 0;
        foreach (FinishedEpisode episode in vector.FinishedEpisodes) sum += episode.Return;
        return sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double StepPendulum(PendulumVector vector, float[] actions, float[] observations, float[] rewards,
        bool[] terminated, bool[] truncated)
    {
        vector.Step(actions, observations, rewards, terminated, truncated);
        double sum = 0;
        foreach (FinishedEpisode episode in vector.FinishedEpisodes) sum += episode.Return;
        return sum;
    }
}
