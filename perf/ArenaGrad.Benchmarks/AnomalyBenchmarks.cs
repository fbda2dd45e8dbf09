using ArenaGrad.Nn;
using BenchmarkDotNet.Attributes;

namespace ArenaGrad.Benchmarks;

/// <summary>What anomaly mode costs in backward: the training step's graph (<c>Nn.Mlp</c> 32-64-64-4, tanh, batch 32,
/// cross-entropy) is recorded once per invocation with the mode off, and its backward pass is timed with the mode
/// off (the default: one branch per instruction) and on (every gradient a rule writes is scanned for NaN and
/// infinity). Recording happens inside the measured call too, so the difference between the two is backward's.
/// <see cref="BackwardAnomalyOnForwardAlso"/> records the forward under the mode as well (a stack trace per op).</summary>
[MemoryDiagnoser]
[MedianColumn]
public class AnomalyBenchmarks
{
    private const int Batch = 32;
    private Arena _arena = null!;
    private Mlp _model = null!;
    private Tensor[] _parameters = null!;
    private Tensor _x;
    private int[] _targets = null!;

    /// <summary>Parameters, a fixed input batch and targets, all outside any scope (as in the training-step benchmark).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _arena = new Arena(new ArenaOptions { Seed = 42 });
        _model = new Mlp(_arena, [32, 64, 64, 4]);
        _parameters = [.. _model.Parameters()];
        _x = _arena.Randn([Batch, 32]);
        _targets = new int[Batch];
        for (int i = 0; i < Batch; i++) _targets[i] = i % 4;
    }

    /// <summary>Frees the arena's native memory.</summary>
    [GlobalCleanup]
    public void Cleanup() => _arena.Dispose();

    /// <summary>Forward and backward with anomaly mode off (the baseline).</summary>
    [Benchmark(Baseline = true)]
    public float BackwardAnomalyOff() => Step(forwardAnomaly: false, backwardAnomaly: false);

    /// <summary>Forward with the mode off, backward with it on: the cost of checking every gradient.</summary>
    [Benchmark]
    public float BackwardAnomalyOn() => Step(forwardAnomaly: false, backwardAnomaly: true);

    /// <summary>Both under anomaly mode: adds a stack trace per recorded op.</summary>
    [Benchmark]
    public float BackwardAnomalyOnForwardAlso() => Step(forwardAnomaly: true, backwardAnomaly: true);

    private float Step(bool forwardAnomaly, bool backwardAnomaly)
    {
        float result;
        using (_arena.Scope())
        {
            Tensor loss;
            using (_arena.DetectAnomaly(forwardAnomaly))
                loss = Functional.CrossEntropy(_model.Forward(_x), _targets);
            using (_arena.DetectAnomaly(backwardAnomaly))
                loss.Backward();
            result = loss.Item();
        }
        foreach (Tensor p in _parameters) p.ZeroGrad();
        return result;
    }
}
