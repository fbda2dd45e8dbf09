using System;
using BenchmarkDotNet.Attributes;

namespace ArenaGrad.Benchmarks;

/// <summary>Tiny inference: an MLP 32-64-64-4 with tanh, batch 1, under <c>arena.NoGrad()</c> inside
/// <c>arena.Scope()</c> per invocation. Measures per-call overhead (handles, slots, scope rewind) more than
/// arithmetic: the whole forward pass is about 6.4k multiply-adds.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class InferenceBenchmarks
{
    private Arena _arena = null!;
    private Tensor _x, _w1, _b1, _w2, _b2, _w3, _b3;

    /// <summary>Makes the parameters (PyTorch-like uniform init, requiring grad as a model's would) and the
    /// input outside any scope.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _arena = new Arena(new ArenaOptions { Seed = 42 });
        (_w1, _b1) = Linear(32, 64);
        (_w2, _b2) = Linear(64, 64);
        (_w3, _b3) = Linear(64, 4);
        _x = _arena.Randn([1, 32]);
    }

    private (Tensor Weight, Tensor Bias) Linear(int inFeatures, int outFeatures)
    {
        float bound = 1f / MathF.Sqrt(inFeatures);
        return (_arena.Uniform([outFeatures, inFeatures], -bound, bound, requiresGrad: true),
                _arena.Uniform([outFeatures], -bound, bound, requiresGrad: true));
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
            Tensor h1 = Functional.Linear(_x, _w1, _b1).Tanh();
            Tensor h2 = Functional.Linear(h1, _w2, _b2).Tanh();
            Tensor y = Functional.Linear(h2, _w3, _b3);
            return y.AsSpanUnsafely()[0];
        }
    }
}
