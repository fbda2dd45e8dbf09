using ArenaGrad.Nn;
using BenchmarkDotNet.Attributes;

namespace ArenaGrad.Benchmarks;

/// <summary>The case ArenaGrad exists for: one training step of a small network inside a frame loop. <c>Nn.Mlp</c>
/// 32-64-64-4 with tanh, batch 32, cross-entropy, backward, and a hand-written SGD update under
/// <c>arena.NoGrad()</c> that sets every gradient back to None, all inside <c>arena.Scope()</c>.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class TrainingStepBenchmarks
{
    private const int Batch = 32;
    private Arena _arena = null!;
    private Mlp _model = null!;
    private Tensor[] _parameters = null!; // listed once: the step itself must allocate nothing
    private Tensor _x;
    private int[] _targets = null!;

    /// <summary>The model (PyTorch's Linear init), a fixed input batch and targets, all outside any scope.</summary>
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

    /// <summary>Frees the arena's native memory (BenchmarkDotNet calls this once, after the last iteration).</summary>
    [GlobalCleanup]
    public void Cleanup() => _arena.Dispose();

    /// <summary>Forward, loss, backward and SGD update; returns the loss so the work cannot be elided.</summary>
    [Benchmark]
    public float MlpTrainingStepBatch32()
    {
        float loss;
        using (_arena.Scope())
        {
            Tensor lossTensor = Functional.CrossEntropy(_model.Forward(_x), _targets);
            lossTensor.Backward();
            loss = lossTensor.Item();
            using (_arena.NoGrad())
            {
                foreach (Tensor p in _parameters)
                {
                    p.AddInPlace(p.Grad!.Value, -0.01f);
                    p.ZeroGrad();
                }
            }
        }
        return loss;
    }
}
