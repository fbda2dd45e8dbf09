using BenchmarkDotNet.Attributes;

namespace ArenaGrad.Benchmarks;

/// <summary>Issue 16's ported snippet as a workload: PPO's clipped surrogate objective on one CleanRL CartPole minibatch
/// (128 rows, 2 actions), forward and backward. It runs through the ops a PPO port needs (log_softmax, gather with an
/// Int32 index, unsqueeze/squeeze, exp, clamp, minimum, mean), so it measures their per-op cost at an agent's sizes.
/// compare.py runs the same lines in PyTorch.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class PpoObjectiveBenchmarks
{
    /// <summary>Rows of the minibatch: CleanRL's CartPole default, 4 envs x 128 steps / 4 minibatches.</summary>
    public const int Rows = 128;

    private Arena _arena = null!;
    private Tensor _logits, _oldLogp, _advantages, _actions;

    /// <summary>Makes the logits (require grad), old log-probabilities, advantages and Int32 actions outside any scope.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _arena = new Arena(new ArenaOptions { Seed = 11 });
        _logits = _arena.Randn([Rows, 2], requiresGrad: true);
        _oldLogp = _arena.Uniform([Rows], -1.2f, -0.2f);
        _advantages = _arena.Randn([Rows]);
        int[] actions = new int[Rows];
        for (int i = 0; i < Rows; i++) actions[i] = (i * 7) % 2;
        _actions = _arena.FromData(actions, [Rows]);
    }

    /// <summary>Frees the arena's native memory.</summary>
    [GlobalCleanup]
    public void Cleanup() => _arena.Dispose();

    /// <summary>The objective and its gradient with respect to the logits; returns one gradient element.</summary>
    [Benchmark]
    public float PpoClippedObjectiveB128()
    {
        float result;
        using (_arena.Scope())
        {
            Tensor newLogp = _logits.LogSoftmax(1).Gather(1, _actions.Unsqueeze(1)).Squeeze(1);
            Tensor ratio = (newLogp - _oldLogp).Exp();
            Tensor loss = -Functional.Minimum(ratio * _advantages, ratio.Clamp(0.8f, 1.2f) * _advantages).Mean();
            loss.Backward();
            result = _logits.Grad is Tensor g ? g.AsSpanUnsafely()[0] : float.NaN;
        }
        _logits.ZeroGrad();
        return result;
    }
}
