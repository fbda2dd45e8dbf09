using BenchmarkDotNet.Attributes;

namespace ArenaGrad.Benchmarks;

/// <summary>Forward throughput of the engine's own transcendentals: y = f(x) over 2^20 floats, no gradient
/// recorded, inside a scope per invocation. x ~ N(0, 4) (log reads |x| + 0.01, made once), so every branch
/// of tanh and sigmoid is taken.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class TranscendentalBenchmarks
{
    /// <summary>Number of elements: 2^20.</summary>
    public const int Length = 1 << 20;

    private Arena _arena = null!;
    private Tensor _x, _positive;

    /// <summary>Makes x and a positive copy for log outside any scope.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _arena = new Arena(new ArenaOptions { Seed = 42, BlockBytes = 32 << 20 });
        _x = _arena.Randn([Length]) * 2f;
        _positive = _x.Abs() + 0.01f;
    }

    /// <summary>Frees the arena's native memory.</summary>
    [GlobalCleanup]
    public void Cleanup() => _arena.Dispose();

    /// <summary>exp(x) over 2^20 floats.</summary>
    [Benchmark]
    public float Exp1M() => Run(_x, 0);

    /// <summary>log(x) over 2^20 positive floats.</summary>
    [Benchmark]
    public float Log1M() => Run(_positive, 1);

    /// <summary>tanh(x) over 2^20 floats.</summary>
    [Benchmark]
    public float Tanh1M() => Run(_x, 2);

    /// <summary>sigmoid(x) over 2^20 floats.</summary>
    [Benchmark]
    public float Sigmoid1M() => Run(_x, 3);

    private float Run(Tensor x, int which)
    {
        using (_arena.Scope())
        using (_arena.NoGrad())
        {
            Tensor y = which switch { 0 => x.Exp(), 1 => x.Log(), 2 => x.Tanh(), _ => x.Sigmoid() };
            return y.AsSpanUnsafely()[Length / 2];
        }
    }
}
