using BenchmarkDotNet.Attributes;
using ArenaGrad.Nn;
using ArenaGrad.Optim;

namespace ArenaGrad.Benchmarks;

/// <summary>W2, the training workload with the library's own types: <c>Nn.Mlp</c> 64-128-128-8 with ReLU, batch 32,
/// MSE loss, backward, and one <see cref="Adam"/> step (lr 1e-3), with <c>ZeroGrad</c> first and the forward and
/// backward inside <c>arena.Scope()</c>. compare.py runs the same with <c>nn.Sequential</c> and <c>torch.optim.Adam</c>.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class AdamTrainingStepBenchmarks
{
    private const int Batch = 32;
    private Arena _arena = null!;
    private Mlp _model = null!;
    private Adam _adam = null!;
    private Tensor _x, _target;

    /// <summary>The model (PyTorch's Linear init from the arena's seeded generator), Adam's state, a fixed input batch and
    /// regression targets, all outside any scope.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _arena = new Arena(new ArenaOptions { Seed = 42 });
        _model = new Mlp(_arena, [64, 128, 128, 8], () => new Relu());
        _adam = new Adam(_model.Parameters(), lr: 1e-3f);
        _x = _arena.Randn([Batch, 64]);
        _target = _arena.Randn([Batch, 8]);
    }

    /// <summary>Frees the arena's native memory (BenchmarkDotNet calls this once, after the last iteration).</summary>
    [GlobalCleanup]
    public void Cleanup() => _arena.Dispose();

    /// <summary>ZeroGrad, forward, MSE, backward, Adam step; returns the loss so the work cannot be elided.</summary>
    [Benchmark]
    public float MlpAdamTrainingStepW2()
    {
        float loss;
        _adam.ZeroGrad();
        using (_arena.Scope())
        {
            Tensor lossTensor = Functional.MseLoss(_model.Forward(_x), _target);
            lossTensor.Backward();
            loss = lossTensor.Item();
        }
        _adam.Step();
        return loss;
    }
}
