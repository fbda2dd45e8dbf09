using ArenaGrad.Nn;
using BenchmarkDotNet.Attributes;

namespace ArenaGrad.Benchmarks;

/// <summary>Tiny inference: an <c>Nn.Mlp</c> 32-64-64-4 with tanh, batch 1, under <c>arena.NoGrad()</c> inside
/// <c>arena.Scope()</c> per invocation. Measures per-call overhead (handles, slots, scope rewind) more than
/// arithmetic: the whole forward pass is about 6.4k multiply-adds.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class InferenceBenchmarks
{
    private Arena _arena = null!;
    private Mlp _model = null!;
    private Tensor _x;

    /// <summary>Makes the model (PyTorch's Linear init, parameters requiring grad) and the input outside any scope.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _arena = new Arena(new ArenaOptions { Seed = 42 });
        _model = new Mlp(_arena, [32, 64, 64, 4]);
        _x = _arena.Randn([1, 32]);
    }

    /// <summary>Frees the arena's native memory (BenchmarkDotNet calls this once, after the last iteration).</summary>
    [GlobalCleanup]
    public void Cleanup() => _arena.Dispose();

    /// <summary>One forward pass; returns the first logit so the work cannot be elided.</summary>
    [Benchmark]
    public float MlpInferenceBatch1()
    {
        using (_arena.Scope())
        using (_arena.NoGrad())
        {
            return _model.Forward(_x).AsSpanUnsafely()[0];
        }
    }
}
