using ArenaGrad.Kernels;
using ArenaGrad.Kernels.Gemm;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.Kernels;

/// <summary>BLIS's shared packed B (<see cref="SharedPanels"/>): threads that pack each B block together and compute
/// their own rows give the bits of one thread packing alone, with every micro-kernel, whatever rows and panels each
/// member gets (none included), and the barrier lets no member past a block before every member has packed its share.</summary>
[NonParallelizable]
public sealed unsafe class SharedPanelsTests
{
    // (m, k, n): odd sizes with edge tiles in both directions; k below one block; many k blocks with a short last one;
    // fewer rows than members (members without rows still pack and meet); fewer B panels than members (members
    // without panels still meet); a column count past several panels of every width.
    private static readonly (int M, int K, int N)[] Shapes =
    [
        (130, 129, 131), (61, 37, 45), (50, 5 * GemmBlocking.K + 3, 45), (5, 300, 70), (13, 513, 40),
        (40, 2 * GemmBlocking.K, 20), (97, GemmBlocking.K, 100),
    ];

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (int members in new[] { 2, 3, 4 })
            foreach (bool transposeA in new[] { false, true })
                foreach (bool transposeB in new[] { false, true })
                    yield return new TestCaseData(members, transposeA, transposeB);
    }

    [TestCaseSource(nameof(Cases))]
    public void MembersSharingPanels_WithEveryMicroKernel_GiveTheSoloBits(int members, bool transposeA, bool transposeB)
    {
        var random = new Random(members * 4 + (transposeA ? 2 : 0) + (transposeB ? 1 : 0));
        foreach ((int m, int k, int n) in Shapes)
        {
            float[] a = KernelAssert.Random(random, m * k, -1, 1), b = KernelAssert.Random(random, k * n, -1, 1);
            float[] c0 = KernelAssert.Random(random, m * n, -1, 1);
            foreach (bool accumulate in new[] { false, true })
            {
                var problem = new Problem(a, b, c0, m, k, n, transposeA, transposeB, accumulate);
                string where = $"{members} members, m={m} k={k} n={n} tA={transposeA} tB={transposeB} accumulate={accumulate}";
                Same(problem.Shared<MicroKernelScalar<FusedMultiplyAdd>>(members), problem.Solo<MicroKernelScalar<FusedMultiplyAdd>>(), n, "scalar, " + where);
                Same(problem.Shared<MicroKernel128<FusedMultiplyAdd>>(members), problem.Solo<MicroKernel128<FusedMultiplyAdd>>(), n, "Vector128, " + where);
                Same(problem.Shared<MicroKernel256<FusedMultiplyAdd>>(members), problem.Solo<MicroKernel256<FusedMultiplyAdd>>(), n, "Vector256, " + where);
                Same(problem.Shared<MicroKernel512<FusedMultiplyAdd>>(members), problem.Solo<MicroKernel512<FusedMultiplyAdd>>(), n, "Vector512, " + where);
            }
        }
    }

    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void Barrier_LetsNoMemberPastARoundBeforeEveryMemberHasReachedIt(int members)
    {
        const int Rounds = 3000;
        var panels = new SharedPanels(members);
        int[] reached = new int[members];
        int early = 0;
        RunMembers(members, member =>
        {
            for (int round = 1; round <= Rounds; round++)
            {
                Volatile.Write(ref reached[member], round);
                panels.Wait();
                for (int other = 0; other < members; other++)
                {
                    if (Volatile.Read(ref reached[other]) < round) Interlocked.Increment(ref early);
                }
                // A member may already have reached round + 1, but never round + 2: that needs this member's next arrival.
                for (int other = 0; other < members; other++)
                {
                    if (Volatile.Read(ref reached[other]) > round + 1) Interlocked.Increment(ref early);
                }
            }
        });
        Assert.That(early, Is.Zero, "members saw another member outside the round they were both in");
        Assert.That(reached, Is.All.EqualTo(Rounds));
    }

    [Test]
    public void TeamProductSharingPanels_AllocatesNothingOnAnyThread()
    {
        // Rows split (m >= n), not thin, past GemmTeam.MinimumWork, three k blocks: the shared-panel path.
        const int M = 240, K = 700, N = 200;
        using var team = new GemmTeam(2);
        float[] a = KernelAssert.Random(new Random(5), M * K, -1, 1), b = KernelAssert.Random(new Random(6), K * N, -1, 1);
        float[] c = new float[M * N];
        void Product() => MatrixMultiply.Gemm(a, b, c, M, K, N, transposeA: false, transposeB: false, accumulate: false, team);
        Assert.That(Product, Allocates.Nothing);

        // The meter reads the calling thread; the worker reports its own thread's count after each product.
        long worker = team.WorkerAllocatedBytes;
        for (int i = 0; i < 100; i++) Product();
        Assert.That(team.WorkerAllocatedBytes - worker, Is.Zero, "bytes the worker allocated in 100 products");
    }

    private static void Same(float[] actual, float[] expected, int n, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(actual[i]) != BitConverter.SingleToInt32Bits(expected[i]))
                Assert.Fail($"{what}: c[{i / n},{i % n}] is {actual[i]:R}, packing alone gives {expected[i]:R}");
        }
    }

    /// <summary>Runs member 0 on this thread and the others on threads of their own; rethrows what any member threw.</summary>
    private static void RunMembers(int members, Action<int> body)
    {
        var errors = new Exception?[members];
        var threads = new Thread[members - 1];
        for (int t = 1; t < members; t++)
        {
            int member = t;
            threads[t - 1] = new Thread(() =>
            {
                try { body(member); }
                catch (Exception e) { errors[member] = e; }
            });
            threads[t - 1].Start();
        }
        try { body(0); }
        catch (Exception e) { errors[0] = e; }
        foreach (Thread thread in threads) thread.Join();
        foreach (Exception? error in errors)
        {
            if (error is not null) throw new AggregateException(error);
        }
    }

    private sealed class Problem(float[] a, float[] b, float[] c0, int m, int k, int n, bool transposeA, bool transposeB, bool accumulate)
    {
        public float[] Solo<TKernel>() where TKernel : IMicroKernel => Run<TKernel>(1, member => GemmPart.Alone(m));

        /// <summary>Rows split as a team splits them: blocks of 12 (every kernel's tile height divides it), the last
        /// members with fewer rows or none.</summary>
        public float[] Shared<TKernel>(int members) where TKernel : IMicroKernel
        {
            var panels = new SharedPanels(members);
            panels.Reserve(PackedGemm.PackedBFloats(k, n));
            int block = ((m + members - 1) / members + 11) / 12 * 12;
            return Run<TKernel>(members, member => new GemmPart(panels, member, Math.Min(m, member * block), Math.Min(m, (member + 1) * block)));
        }

        private float[] Run<TKernel>(int members, Func<int, GemmPart> part) where TKernel : IMicroKernel
        {
            float[] c = (float[])c0.Clone();
            RunMembers(members, member =>
            {
                fixed (float* ap = a, bp = b, cp = c)
                {
                    var panels = new StridedPanels(bp, transposeB ? 1 : n, transposeB ? k : 1);
                    PackedGemm.Run<TKernel, StridedPanels>(ap, transposeA ? 1 : k, transposeA ? m : 1, panels, cp, n, m, k, n, accumulate, part(member));
                }
            });
            return c;
        }
    }
}
