using ArenaGrad.Kernels;

namespace ArenaGrad.Tests.Kernels;

/// <summary><see cref="DotRows.MultiplyShallow"/> (outputs as vectors over a transposed w, for k &lt; 16) gives
/// <see cref="DotRows.Multiply"/>'s bits, row by row, at every width it is called with directly.</summary>
public sealed class ShallowDotsTests
{
    [Test]
    public void EveryWidth_GivesTheDotByDotBits([Values(16, 8, 4, 1)] int widestLanes, [Values] bool accumulate)
    {
        var rng = new Random(widestLanes * 2 + (accumulate ? 1 : 0));
        foreach ((int m, int k, int n) in new[] { (4, 4, 64), (1, 1, 1), (3, 15, 37), (7, 8, 70), (2, 5, 3), (5, 2, 16), (6, 15, 273) })
        {
            Assert.That(DotRows.IsShallow(k, n), Is.True);
            // Signed zeros and an exact cancellation too: the sum must start at +0 as the dot-by-dot path does.
            float[] x = KernelAssert.Random(rng, m * k, -1, 1), w = KernelAssert.Random(rng, n * k, -1, 1);
            x[0] = -0f;
            w[0] = 1f;
            float[] c0 = KernelAssert.Random(rng, m * n, -1, 1);
            float[] shallow = (float[])c0.Clone(), reference = (float[])c0.Clone();
            DotRows.MultiplyShallow(x, w, shallow, m, k, n, accumulate, widestLanes);
            for (int i = 0; i < m; i++)
                DotRows.Multiply(x.AsSpan(i * k, k), w, reference.AsSpan(i * n, n), accumulate);
            for (int e = 0; e < shallow.Length; e++)
                Assert.That(BitConverter.SingleToInt32Bits(shallow[e]), Is.EqualTo(BitConverter.SingleToInt32Bits(reference[e])),
                    $"{m}x{k}x{n} element {e}: shallow {shallow[e]:R}, dot by dot {reference[e]:R}");
        }
    }

    [Test]
    public void IsShallow_BelowOneBlockAndWithinTheStackCopy()
    {
        Assert.Multiple(() =>
        {
            Assert.That(DotRows.IsShallow(16, 4), Is.False, "a whole 16-lane block is summed by lanes");
            Assert.That(DotRows.IsShallow(15, 273), Is.True);
            Assert.That(DotRows.IsShallow(8, 513), Is.False, "w's transposed copy would not fit");
        });
    }
}
