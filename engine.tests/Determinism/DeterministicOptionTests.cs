using System.Runtime.Intrinsics.X86;

namespace ArenaGrad.Tests.Determinism;

/// <summary><see cref="ArenaOptions.Deterministic"/>: products round every multiply-add once when it is on, and
/// round twice only when it is off on a CPU without fused multiply-add.</summary>
[TestFixture]
public sealed class DeterministicOptionTests
{
    private static bool CpuFuses => Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;

    [Test]
    public void Default_IsOnExactlyWhereTheCpuFuses()
    {
        Assert.That(new ArenaOptions().Deterministic, Is.EqualTo(CpuFuses));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void MatMul_RoundsAsTheOptionAndCpuSay(bool deterministic)
    {
        const int m = 29, k = 300, n = 37; // packed (big enough), two k-blocks of 256, edge tiles on every path
        using var arena = new Arena(new ArenaOptions { Deterministic = deterministic });
        var random = new Random(5);
        float[] a = new float[m * k], b = new float[k * n];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(random.NextDouble() * 2 - 1);
        for (int i = 0; i < b.Length; i++) b[i] = (float)(random.NextDouble() * 2 - 1);
        float[] c = arena.FromData(a, [m, k]).MatMul(arena.FromData(b, [k, n])).ToArray();

        bool fused = deterministic || CpuFuses;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                // The GEMM's order: each k-block of 256 summed from zero, then the blocks added into c.
                float total = 0f;
                for (int p0 = 0; p0 < k; p0 += 256)
                {
                    float sum = 0f;
                    for (int p = p0; p < Math.Min(k, p0 + 256); p++)
                        sum = fused ? MathF.FusedMultiplyAdd(a[i * k + p], b[p * n + j], sum) : a[i * k + p] * b[p * n + j] + sum;
                    total = p0 == 0 ? sum : total + sum;
                }
                Assert.That(BitConverter.SingleToInt32Bits(c[i * n + j]), Is.EqualTo(BitConverter.SingleToInt32Bits(total)),
                    $"c[{i}, {j}] with Deterministic = {deterministic}, fused = {fused}");
            }
    }
}
