using ArenaGrad.Kernels;
using ArenaGrad.Kernels.Gemm;

namespace ArenaGrad.Tests.Kernels;

/// <summary>The thin-product path (<see cref="ThinGemm"/>) gives the packed GEMM's bits at every width it is called
/// with directly, for every transpose combination, assigned and accumulated, fused and separate multiply-adds.</summary>
public sealed unsafe class ThinGemmTests
{
    private static readonly (int M, int K, int N)[] Shapes =
    [
        (128, 4, 64), (64, 128, 4), (128, 2, 64), (2, 128, 8), (7, 3, 5), (13, 8, 37), (33, 256, 1), (5, 1, 3), (9, 200, 8), (1, 8, 70),
        (61, 100, 7), (48, 9, 3), (17, 256, 2), (200, 30, 5),
    ];

    [Test]
    public void EveryWidth_GivesThePackedKernelsBits([Values(16, 8, 4, 1)] int widestLanes, [Values] bool transposeA,
        [Values] bool transposeB, [Values] bool accumulate, [Values] bool fused)
    {
        var rng = new Random(widestLanes * 16 + (transposeA ? 8 : 0) + (transposeB ? 4 : 0) + (accumulate ? 2 : 0) + (fused ? 1 : 0));
        foreach ((int m, int k, int n) in Shapes)
        {
            Assert.That(ThinGemm.Applies(k, n, transposeB), Is.True, $"{m}x{k}x{n} is thin");
            float[] a = KernelAssert.Random(rng, m * k, -1, 1), b = KernelAssert.Random(rng, k * n, -1, 1);
            float[] c0 = KernelAssert.Random(rng, m * n, -1, 1);
            float[] thin = (float[])c0.Clone(), packed = (float[])c0.Clone();
            fixed (float* ap = a, bp = b, tp = thin, pp = packed)
            {
                var thinProblem = new GemmProblem(ap, bp, tp, m, k, n, transposeA, transposeB, accumulate);
                var packedProblem = new GemmProblem(ap, bp, pp, m, k, n, transposeA, transposeB, accumulate);
                if (fused)
                {
                    ThinGemm.Run<FusedMultiplyAdd>(thinProblem, widestLanes);
                    Packed<FusedMultiplyAdd>(packedProblem);
                }
                else
                {
                    ThinGemm.Run<SeparateMultiplyAdd>(thinProblem, widestLanes);
                    Packed<SeparateMultiplyAdd>(packedProblem);
                }
            }
            for (int i = 0; i < thin.Length; i++)
                Assert.That(BitConverter.SingleToInt32Bits(thin[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(packed[i])),
                    $"{m}x{k}x{n} element {i}: thin {thin[i]:R}, packed {packed[i]:R}");
        }
    }

    [Test]
    public void Applies_OnlyToThinProductsOfOneKBlock()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ThinGemm.Applies(k: 64, n: 64, transposedB: false), Is.False, "neither side thin");
            Assert.That(ThinGemm.Applies(k: 257, n: 4, transposedB: false), Is.False, "two k-blocks round differently");
            Assert.That(ThinGemm.Applies(k: 4, n: 2000, transposedB: true), Is.False, "a transposed B too big to gather");
            Assert.That(ThinGemm.Applies(k: 4, n: 2000, transposedB: false), Is.True);
            Assert.That(ThinGemm.Applies(k: 256, n: 8, transposedB: false), Is.True);
        });
    }

    /// <summary>The packed kernels of the scalar width: the reference every width must equal.</summary>
    private static void Packed<TMultiplyAdd>(GemmProblem problem) where TMultiplyAdd : IMultiplyAdd =>
        PackedGemm.Run<MicroKernelScalar<TMultiplyAdd>>(problem.A, problem.RowA, problem.ColumnA, problem.B, problem.RowB,
            problem.ColumnB, problem.C, problem.RowC, problem.M, problem.K, problem.N, problem.Accumulate);
}
