using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using ArenaGrad.Nn;

namespace ArenaGrad.Benchmarks;

/// <summary>What embedding costs per request: renting and returning a pooled arena, and one agent's inference
/// (batch 1, Mlp 8→64→64→4) on weights in its own arena versus on weights borrowed from a frozen arena, the views
/// made and released inside the step.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class SharingBenchmarks
{
    private ArenaPool _pool = null!;
    private Arena _shared = null!, _own = null!, _local = null!;
    private Mlp _sharedModel = null!, _ownModel = null!;
    private IReadOnlyList<Tensor> _sharedParameters = null!;
    private Tensor _ownInput, _localInput;
    private readonly float[] _result = new float[4];

    /// <summary>A frozen model, the same model in an ordinary arena, a borrowing arena, and a pool.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _pool = new ArenaPool();
        _shared = new Arena(new ArenaOptions { Seed = 1 });
        _sharedModel = new Mlp(_shared, [8, 64, 64, 4]);
        _sharedParameters = _sharedModel.Parameters();
        _shared.Freeze();
        _own = new Arena(new ArenaOptions { Seed = 1 });
        _ownModel = new Mlp(_own, [8, 64, 64, 4]);
        _ownModel.RequiresGrad(false);
        _ownInput = _own.Randn([1, 8]);
        _local = new Arena();
        _localInput = _local.Randn([1, 8]);
    }

    /// <summary>Frees everything.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _local.Dispose();
        _own.Dispose();
        _shared.Dispose();
        _pool.Dispose();
    }

    /// <summary>Rent an arena, make one tensor, return it (reset).</summary>
    [Benchmark]
    public void RentAndReturn()
    {
        Arena arena = _pool.Rent();
        arena.Zeros([16]);
        _pool.Return(arena);
    }

    /// <summary>Inference on the arena's own weights.</summary>
    [Benchmark(Baseline = true)]
    public float OwnWeights()
    {
        using (_own.Scope()) _ownModel.Forward(_ownInput).CopyTo(_result);
        return _result[0];
    }

    /// <summary>Inference on weights borrowed from a frozen arena (six views made and released per step).</summary>
    [Benchmark]
    public float BorrowedWeights()
    {
        using (_local.Scope())
        {
            _local.BorrowAll(_sharedParameters);
            _sharedModel.Forward(_localInput).CopyTo(_result);
        }
        return _result[0];
    }
}
