using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;

namespace ArenaGrad.Benchmarks;

/// <summary>W3: single-precision matrix products through the public API, and the FMA peak of one core measured
/// in the same run, so a product's speed reads as a fraction of what this machine allows.</summary>
/// <remarks>GFLOP/s = 2·m·k·n / time. NN is <c>a.MatMul(b)</c>; NT is <c>Functional.Linear(x, w)</c> (w stored
/// [n, k], read transposed by the packer). Each call runs under no-grad in a scope, as inference does.</remarks>
[MemoryDiagnoser]
[MedianColumn]
public class GemmBenchmarks
{
    private Arena _arena = null!;
    private Tensor _a, _b, _bTransposed;

    /// <summary>Square size n of the n×n×n product.</summary>
    [Params(256, 512, 1024)]
    public int Size { get; set; }

    /// <summary>Threads sharing each product (<see cref="ArenaOptions.IntraOpThreads"/>): 1, and 2 for the two-core
    /// speed-up.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Makes a [n, n], b [n, n] and bᵀ [n, n] from N(0, 1) outside any scope.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _arena = new Arena(new ArenaOptions { Seed = 3, BlockBytes = 16 << 20, IntraOpThreads = Threads });
        _a = _arena.Randn([Size, Size]);
        _b = _arena.Randn([Size, Size]);
        _bTransposed = _arena.Randn([Size, Size]);
    }

    /// <summary>Frees the arena's native memory.</summary>
    [GlobalCleanup]
    public void Cleanup() => _arena.Dispose();

    /// <summary>c = a @ b.</summary>
    [Benchmark]
    public float SgemmNN()
    {
        using (_arena.Scope())
        using (_arena.NoGrad())
            return _a.MatMul(_b).AsSpanUnsafely()[0];
    }

    /// <summary>c = a @ bᵀ (Linear without bias).</summary>
    [Benchmark]
    public float SgemmNT()
    {
        using (_arena.Scope())
        using (_arena.NoGrad())
            return Functional.Linear(_a, _bTransposed).AsSpanUnsafely()[0];
    }
}

/// <summary>W3's training shapes: the products of one Linear layer in a batch-32 step. The forward is NT
/// (y = x wᵀ); its backward runs NN (dx = g w) and TN (dw = gᵀ x).</summary>
/// <remarks>Layers of W2 (64-128-128-8) and a wider 256-256 layer. The backward is driven by
/// <c>(y * g).Sum()</c>, whose gradient with respect to y is g; its elementwise cost is measured with it.</remarks>
[MemoryDiagnoser]
[MedianColumn]
public class GemmTrainingShapeBenchmarks
{
    private const int Batch = 32;
    private Arena _arena = null!;
    private Tensor _x, _w, _g;

    /// <summary>Layer as "in x out".</summary>
    [Params("64x128", "128x128", "128x8", "256x256")]
    public string Layer { get; set; } = "64x128";

    /// <summary>x [32, in] and w [out, in] that require grad, g [32, out].</summary>
    [GlobalSetup]
    public void Setup()
    {
        string[] sizes = Layer.Split('x');
        int inFeatures = int.Parse(sizes[0], System.Globalization.CultureInfo.InvariantCulture);
        int outFeatures = int.Parse(sizes[1], System.Globalization.CultureInfo.InvariantCulture);
        _arena = new Arena(new ArenaOptions { Seed = 4 });
        _x = _arena.Randn([Batch, inFeatures], requiresGrad: true);
        _w = _arena.Randn([outFeatures, inFeatures], requiresGrad: true);
        _g = _arena.Randn([Batch, outFeatures]);
    }

    /// <summary>Frees the arena's native memory.</summary>
    [GlobalCleanup]
    public void Cleanup() => _arena.Dispose();

    /// <summary>The forward product alone (NT), under no-grad.</summary>
    [Benchmark]
    public float LinearForwardNT()
    {
        using (_arena.Scope())
        using (_arena.NoGrad())
            return Functional.Linear(_x, _w).AsSpanUnsafely()[0];
    }

    /// <summary>Forward (NT) and backward (NN for dx, TN for dw).</summary>
    [Benchmark]
    public float LinearForwardBackward()
    {
        using (_arena.Scope())
        {
            (Functional.Linear(_x, _w) * _g).Sum().Backward();
        }
        float value = _w.Grad!.Value.AsSpanUnsafely()[0];
        _x.ZeroGrad();
        _w.ZeroGrad();
        return value;
    }
}

/// <summary>The FMA peak of one core: independent fused multiply-add chains at the widest accelerated width, enough
/// of them to cover the FMA latency on every current x64 core. One call does <see cref="FlopsPerCall"/> flops.</summary>
[MedianColumn]
public class FmaPeakBenchmarks
{
    /// <summary>Loop trips per call.</summary>
    public const int Iterations = 1 << 20;

    /// <summary>Floating-point operations per call (2 per lane per FMA).</summary>
    public static long FlopsPerCall => (long)Iterations * 12 * 2 * (Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : 4);

    /// <summary>12 independent FMA chains per trip; returns their sum so nothing is elided. Flops per call:
    /// <see cref="FlopsPerCall"/> (about 201M with Vector256, 403M with Vector512).</summary>
    [Benchmark]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "BenchmarkDotNet runs instance methods.")]
    public float FmaPeak() =>
        Vector512.IsHardwareAccelerated ? Peak512() : Vector256.IsHardwareAccelerated ? Peak256() : Peak128();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Peak512()
    {
        Vector512<float> x = Vector512.Create(0.999f), y = Vector512.Create(1.0001f);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(x, y, c0); c1 = Vector512.FusedMultiplyAdd(x, y, c1);
            c2 = Vector512.FusedMultiplyAdd(x, y, c2); c3 = Vector512.FusedMultiplyAdd(x, y, c3);
            c4 = Vector512.FusedMultiplyAdd(x, y, c4); c5 = Vector512.FusedMultiplyAdd(x, y, c5);
            c6 = Vector512.FusedMultiplyAdd(x, y, c6); c7 = Vector512.FusedMultiplyAdd(x, y, c7);
            c8 = Vector512.FusedMultiplyAdd(x, y, c8); c9 = Vector512.FusedMultiplyAdd(x, y, c9);
            c10 = Vector512.FusedMultiplyAdd(x, y, c10); c11 = Vector512.FusedMultiplyAdd(x, y, c11);
        }
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Peak256()
    {
        Vector256<float> x = Vector256.Create(0.999f), y = Vector256.Create(1.0001f);
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector256<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(x, y, c0); c1 = Vector256.FusedMultiplyAdd(x, y, c1);
            c2 = Vector256.FusedMultiplyAdd(x, y, c2); c3 = Vector256.FusedMultiplyAdd(x, y, c3);
            c4 = Vector256.FusedMultiplyAdd(x, y, c4); c5 = Vector256.FusedMultiplyAdd(x, y, c5);
            c6 = Vector256.FusedMultiplyAdd(x, y, c6); c7 = Vector256.FusedMultiplyAdd(x, y, c7);
            c8 = Vector256.FusedMultiplyAdd(x, y, c8); c9 = Vector256.FusedMultiplyAdd(x, y, c9);
            c10 = Vector256.FusedMultiplyAdd(x, y, c10); c11 = Vector256.FusedMultiplyAdd(x, y, c11);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Peak128()
    {
        Vector128<float> x = Vector128.Create(0.999f), y = Vector128.Create(1.0001f);
        Vector128<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector128<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = Vector128.FusedMultiplyAdd(x, y, c0); c1 = Vector128.FusedMultiplyAdd(x, y, c1);
            c2 = Vector128.FusedMultiplyAdd(x, y, c2); c3 = Vector128.FusedMultiplyAdd(x, y, c3);
            c4 = Vector128.FusedMultiplyAdd(x, y, c4); c5 = Vector128.FusedMultiplyAdd(x, y, c5);
            c6 = Vector128.FusedMultiplyAdd(x, y, c6); c7 = Vector128.FusedMultiplyAdd(x, y, c7);
            c8 = Vector128.FusedMultiplyAdd(x, y, c8); c9 = Vector128.FusedMultiplyAdd(x, y, c9);
            c10 = Vector128.FusedMultiplyAdd(x, y, c10); c11 = Vector128.FusedMultiplyAdd(x, y, c11);
        }
        return Vector128.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }
}
