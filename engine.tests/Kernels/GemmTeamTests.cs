using System.Diagnostics;
using ArenaGrad.Kernels;
using ArenaGrad.Kernels.Gemm;
using ArenaGrad.Nn;
using ArenaGrad.Optim;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Kernels;

/// <summary>Matrix products shared between threads (<see cref="ArenaOptions.IntraOpThreads"/>) give the same bits as
/// one thread, allocate nothing, and their workers end with the arena.</summary>
[NonParallelizable]
public sealed class GemmTeamTests
{
    // Each is past GemmTeam.MinimumWork: tall (split over rows, sharing packed B), wide (over columns), square, odd
    // sizes that leave edge tiles in every thread's block, a deep product with few outputs, row splits over many k
    // blocks with a short last one (the last of four threads gets one row of 37), and a depth under one k block.
    private static readonly (int M, int K, int N)[] SplitShapes =
    [
        (1000, 40, 60), (48, 512, 200), (130, 129, 131), (257, 70, 129), (20, 8192, 20), (12, 4096, 64),
        (40, 1400, 40), (37, 1600, 37), (600, 100, 90),
    ];

    [Test]
    public void TeamProducts_EveryTransposeAndThreadCount_AreBitwiseTheSingleThreadProduct(
        [Values(2, 3, 4)] int threads, [Values(false, true)] bool transposeA, [Values(false, true)] bool transposeB)
    {
        var rng = new Random(threads * 4 + (transposeA ? 2 : 0) + (transposeB ? 1 : 0));
        using var team = new GemmTeam(threads);
        foreach ((int m, int k, int n) in SplitShapes)
        {
            Assert.That((long)m * n * k, Is.GreaterThanOrEqualTo(GemmTeam.MinimumWork), "shape must exercise the split");
            float[] a = KernelAssert.Random(rng, m * k, -1, 1), b = KernelAssert.Random(rng, k * n, -1, 1);
            float[] c0 = KernelAssert.Random(rng, m * n, -1, 1);
            foreach (bool accumulate in (ReadOnlySpan<bool>)[false, true])
            {
                float[] single = (float[])c0.Clone(), shared = (float[])c0.Clone();
                MatrixMultiply.Gemm(a, b, single, m, k, n, transposeA, transposeB, accumulate);
                MatrixMultiply.Gemm(a, b, shared, m, k, n, transposeA, transposeB, accumulate, team);
                for (int i = 0; i < single.Length; i++)
                {
                    if (BitConverter.SingleToInt32Bits(single[i]) != BitConverter.SingleToInt32Bits(shared[i]))
                        Assert.Fail($"{threads} threads, m={m} k={k} n={n} tA={transposeA} tB={transposeB} accumulate={accumulate}: " +
                                    $"c[{i / n},{i % n}] is {shared[i]:R}, one thread gives {single[i]:R}");
                }
            }
        }
    }

    [Test]
    public void Training_WithTwoIntraOpThreads_IsBitwiseTheSingleThreadRun()
    {
        float[] one = Train(threads: 1, out float lossOne), two = Train(threads: 2, out float lossTwo);
        Assert.That(BitConverter.SingleToInt32Bits(lossTwo), Is.EqualTo(BitConverter.SingleToInt32Bits(lossOne)));
        Assert.That(two, Is.EqualTo(one).AsCollection, "final weights");
    }

    // Batch 128 through 64-256-256-10: the forward and both backward products of the hidden layers are split.
    private static float[] Train(int threads, out float lastLoss)
    {
        using var arena = new Arena(new ArenaOptions { Seed = 11, IntraOpThreads = threads });
        var model = new Mlp(arena, [64, 256, 256, 10]);
        var optimizer = new Adam(model.Parameters(), lr: 1e-3f);
        Tensor inputs = arena.Randn([128, 64]);
        int[] targets = new int[128];
        for (int i = 0; i < targets.Length; i++) targets[i] = i % 10;
        lastLoss = float.NaN;
        for (int step = 0; step < 5; step++)
        {
            optimizer.ZeroGrad();
            using (arena.Scope())
            {
                Tensor loss = Functional.CrossEntropy(model.Forward(inputs), targets);
                loss.Backward();
                lastLoss = loss.Item();
            }
            optimizer.Step();
        }
        var weights = new List<float>();
        foreach (Tensor p in model.Parameters()) weights.AddRange(p.ToArray());
        return [.. weights];
    }

    [Test]
    public void SharedMatMulWithBackward_AllocatesNothing()
    {
        using var arena = new Arena(new ArenaOptions { IntraOpThreads = 2 });
        Tensor a = arena.Randn([192, 160], requiresGrad: true), b = arena.Randn([160, 144], requiresGrad: true);
        Assert.That(() => MatMulStep(arena, a, b), Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    private static void MatMulStep(Arena arena, Tensor a, Tensor b)
    {
        using (arena.Scope())
        {
            a.MatMul(b).Sum().Backward();
        }
        a.ZeroGrad();
        b.ZeroGrad();
    }

    [TestCase(0)]
    [TestCase(-1)]
    [TestCase(ArenaOptions.MaxIntraOpThreads + 1)]
    public void IntraOpThreadsOutOfRange_IsRefusedNamingTheRange(int threads)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Arena(new ArenaOptions { IntraOpThreads = threads }).Dispose());
        Assert.That(error!.Message, Does.Contain($"ArenaOptions.IntraOpThreads must be between 1 and {ArenaOptions.MaxIntraOpThreads}, but got {threads}."));
    }

    [Test]
    public void Workers_EndWhenTheirArenasAreDisposedOrFinalized()
    {
        int before = LiveThreads();
        for (int i = 0; i < 40; i++) new Arena(new ArenaOptions { IntraOpThreads = 3 }).Dispose();
        Assert.That(WaitForThreadsAtMost(before + 8), Is.LessThanOrEqualTo(before + 8), "threads left after 40 disposed arenas x 2 workers");

        MakeUndisposedArenas(40);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.That(WaitForThreadsAtMost(before + 8), Is.LessThanOrEqualTo(before + 8), "threads left after 40 finalized arenas x 2 workers");
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void MakeUndisposedArenas(int count)
    {
        for (int i = 0; i < count; i++) _ = new Arena(new ArenaOptions { IntraOpThreads = 3 });
    }

    private static int LiveThreads()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.Threads.Count;
    }

    // Workers leave asynchronously: poll for up to 10 s.
    private static int WaitForThreadsAtMost(int limit)
    {
        var clock = Stopwatch.StartNew();
        int live = LiveThreads();
        while (live > limit && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(20);
            live = LiveThreads();
        }
        return live;
    }
}
