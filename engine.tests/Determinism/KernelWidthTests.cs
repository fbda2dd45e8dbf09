using ArenaGrad.Kernels.Gemm;

namespace ArenaGrad.Tests.Determinism;

/// <summary>The GEMM gives the same bits with every micro-kernel. The widest one a machine accelerates is the one
/// that runs, so CI's instruction-set runs cannot reach a Vector512 kernel on a CPU without AVX-512; here each kernel
/// is called directly (Vector512 runs in software where the hardware lacks it) and compared bit for bit.</summary>
[TestFixture]
public sealed unsafe class KernelWidthTests
{
    private static IEnumerable<TestCaseData> Shapes()
    {
        int[][] shapes = [[1, 1, 1], [5, 3, 7], [13, 17, 33], [12, 256, 32], [25, 300, 41], [7, 513, 65], [37, 64, 3]];
        foreach (int[] s in shapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    foreach (bool accumulate in new[] { false, true })
                        yield return new TestCaseData(s[0], s[1], s[2], ta, tb, accumulate);
    }

    [TestCaseSource(nameof(Shapes))]
    public void EveryMicroKernel_GivesTheScalarKernelsBits(int m, int k, int n, bool transposeA, bool transposeB, bool accumulate)
    {
        var random = new Random(m * 1000003 + k * 1009 + n);
        float[] a = Fill(random, m * k), b = Fill(random, k * n), c0 = Fill(random, m * n);
        float[] scalar = Run<MicroKernelScalar<FusedMultiplyAdd>>(a, b, c0, m, k, n, transposeA, transposeB, accumulate);
        Assert.Multiple(() =>
        {
            Same(Run<MicroKernel128<FusedMultiplyAdd>>(a, b, c0, m, k, n, transposeA, transposeB, accumulate), scalar, "Vector128");
            Same(Run<MicroKernel256<FusedMultiplyAdd>>(a, b, c0, m, k, n, transposeA, transposeB, accumulate), scalar, "Vector256");
            Same(Run<MicroKernel512<FusedMultiplyAdd>>(a, b, c0, m, k, n, transposeA, transposeB, accumulate), scalar, "Vector512");
        });
    }

    private static float[] Run<TKernel>(float[] a, float[] b, float[] c0, int m, int k, int n, bool transposeA, bool transposeB, bool accumulate)
        where TKernel : IMicroKernel
    {
        float[] c = (float[])c0.Clone();
        fixed (float* ap = a, bp = b, cp = c)
        {
            // op(a)[i, p] = a[i*rowA + p*colA], op(b)[p, j] = b[p*rowB + j*colB].
            PackedGemm.Run<TKernel>(ap, transposeA ? 1 : k, transposeA ? m : 1, bp, transposeB ? 1 : n, transposeB ? k : 1,
                cp, n, m, k, n, accumulate);
        }
        return c;
    }

    private static float[] Fill(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    private static void Same(float[] actual, float[] expected, string kernel)
    {
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(actual[i]) != BitConverter.SingleToInt32Bits(expected[i]))
            {
                Assert.Fail($"{kernel}: element {i} is {actual[i]:R}, the scalar kernel gives {expected[i]:R}.");
                return;
            }
    }
}
