using System;
using BenchmarkDotNet.Attributes;

namespace ArenaGrad.Benchmarks;

/// <summary>Elementwise throughput: y = tanh(x) over 2^20 floats, then y.Backward(ones), inside a scope per
/// invocation. x is a leaf that requires grad; its gradient is reset (set to None) each time, so every
/// invocation does the same work: one tanh forward pass and one backward pass writing dx = g·(1 − y²).</summary>
[MemoryDiagnoser]
[MedianColumn]
public class TanhBenchmarks
{
    /// <summary>Number of elements: 2^20.</summary>
    public const int Length = 1 << 20;

    private Arena _arena = null!;
    private Tensor _x, _ones;

    /// <summary>Makes x ~ N(0, 1) (requires grad) and the seed gradient of ones outside any scope.</summary>
    [GlobalSetup]
    public void Setup()
    {
        // Blocks large enough that y and its gradient (8 MiB) fit one block.
        _arena = new Arena(new ArenaOptions { Seed = 42, BlockBytes = 32 << 20 });
        _x = _arena.Randn([Length], requiresGrad: true);
        _ones = _arena.Ones([Length]);
    }

    /// <summary>Frees the arena's native memory (BenchmarkDotNet calls this once, after the last iteration).</summary>
    [GlobalCleanup]
    public void Cleanup() => _arena.Dispose();

    /// <summary>tanh forward + backward over 2^20 floats; returns one gradient element so nothing is elided.</summary>
    [Benchmark]
    public float TanhForwardBackward1M()
    {
        float result;
        using (_arena.Scope())
        {
            Tensor y = _x.Tanh();
            y.Backward(_ones);
            result = _x.Grad is Tensor g ? g.AsSpanUnsafely()[Length / 2] : float.NaN;
        }
        _x.ZeroGrad();
        return result;
    }
}
