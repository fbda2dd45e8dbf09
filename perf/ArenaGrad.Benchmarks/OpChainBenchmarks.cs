using BenchmarkDotNet.Attributes;

namespace ArenaGrad.Benchmarks;

/// <summary>W0: per-op bookkeeping. A chain of 100 elementwise ops on 16 floats that require grad, forward and
/// backward, inside <c>arena.Scope()</c> per invocation; the time reported is per op (forward + its share of
/// backward). At 16 floats the arithmetic is a few vector instructions, so this measures what each op costs
/// around its kernel: handle checks, slot creation (values and gradient), recording, and the backward walk.</summary>
/// <remarks>The chain repeats four ops 25 times: <c>y + x</c>, <c>y * 0.5</c>, <c>tanh(y)</c>, <c>y * x</c>
/// (binary with a leaf, scalar, unary with a saved output, binary reading both inputs). The seed gradient
/// (ones) is made once outside the scope; x's gradient is reset after each call so every call writes it
/// afresh. compare.py runs the same chain in PyTorch.</remarks>
[MemoryDiagnoser]
[MedianColumn]
public class OpChainBenchmarks
{
    /// <summary>Ops per invocation.</summary>
    public const int Ops = 100;

    /// <summary>Elements per tensor.</summary>
    public const int Length = 16;

    private Arena _arena = null!;
    private Tensor _x, _ones;

    /// <summary>Makes x ~ N(0, 1) (requires grad) and the seed gradient outside any scope.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _arena = new Arena(new ArenaOptions { Seed = 7 });
        _x = _arena.Randn([Length], requiresGrad: true);
        _ones = _arena.Ones([Length]);
    }

    /// <summary>Frees the arena's native memory.</summary>
    [GlobalCleanup]
    public void Cleanup() => _arena.Dispose();

    /// <summary>100 ops forward, one backward through all of them; returns one gradient element.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public float OpChainForwardBackward()
    {
        float result;
        using (_arena.Scope())
        {
            Tensor x = _x, y = x;
            for (int i = 0; i < Ops / 4; i++)
            {
                y = y + x;
                y = y * 0.5f;
                y = y.Tanh();
                y = y * x;
            }
            y.Backward(_ones);
            result = x.Grad is Tensor g ? g.AsSpanUnsafely()[0] : float.NaN;
        }
        _x.ZeroGrad();
        return result;
    }
}
