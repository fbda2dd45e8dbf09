using System;
using BenchmarkDotNet.Attributes;

namespace ArenaGrad.Benchmarks;

/// <summary>What the arena's owner-thread check costs: a chain of small ops (where per-op bookkeeping shows),
/// a validated handle read (one check each), and the bare compare the check adds to each: a thread-static copy of
/// <see cref="Environment.CurrentManagedThreadId"/> against a field (and, for scale, the property itself).</summary>
/// <remarks>Compare OpChain and ValidatedRead with the same benchmarks built from the commit before the check
/// on an idle machine; CachedThreadIdCompare is what the check adds per validation. Run with
/// <c>--filter '*ThreadCheck*'</c>.</remarks>
[MemoryDiagnoser]
[MedianColumn]
public class ThreadCheckBenchmarks
{
    private const int Reads = 100;
    private Arena _arena = null!;
    private Tensor _a, _b;
    private int _owner;

    // The same kind of field the arena's check reads: a thread-static copy of the managed thread id.
    [ThreadStatic] private static int t_threadId;

    /// <summary>Two 16-element tensors outside any scope; the owner id the compare benchmark tests against.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _arena = new Arena(new ArenaOptions { Seed = 3 });
        _a = _arena.Randn([16]);
        _b = _arena.Randn([16]);
        _owner = Environment.CurrentManagedThreadId;
        t_threadId = _owner;
    }

    /// <summary>Frees the arena.</summary>
    [GlobalCleanup]
    public void Cleanup() => _arena.Dispose();

    /// <summary>Ten elementwise ops on 16 floats in a scope (no grad): time per op, mostly bookkeeping.</summary>
    [Benchmark(OperationsPerInvoke = 10)]
    public float OpChain()
    {
        using (_arena.Scope())
        {
            Tensor x = _a + _b;
            x = x * _b;
            x = x.Tanh();
            x = x - _a;
            x = x.Exp();
            x = x * 0.5f;
            x = x + _a;
            x = x.Relu();
            x = x / _b;
            x = x.Sqrt();
            return x.AsSpanUnsafely()[0];
        }
    }

    /// <summary>A validated handle read (<see cref="Tensor.Count"/>): one handle check each.</summary>
    [Benchmark(OperationsPerInvoke = Reads)]
    public int ValidatedRead()
    {
        int total = 0;
        for (int i = 0; i < Reads; i++) total += _a.Count;
        return total;
    }

    /// <summary>The compare the owner check makes: a thread-static copy of the managed thread id (as the arena keeps) against a field.</summary>
    [Benchmark(OperationsPerInvoke = Reads)]
    public int CachedThreadIdCompare()
    {
        int mismatches = 0;
        for (int i = 0; i < Reads; i++)
            if (t_threadId != _owner) mismatches++;
        return mismatches;
    }

    /// <summary>The same compare against <see cref="Environment.CurrentManagedThreadId"/> itself, which the check avoids.</summary>
    [Benchmark(OperationsPerInvoke = Reads)]
    public int ThreadIdCompare()
    {
        int mismatches = 0;
        for (int i = 0; i < Reads; i++)
            if (Environment.CurrentManagedThreadId != _owner) mismatches++;
        return mismatches;
    }
}
