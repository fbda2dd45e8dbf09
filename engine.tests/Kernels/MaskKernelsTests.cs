using ArenaGrad.Kernels;

namespace ArenaGrad.Tests.Kernels;

/// <summary>The flat (vector-lane) paths of <see cref="MaskKernels"/> against a scalar reference, at every length
/// around the lane count (the vector loop, its tail, and lengths with no full vector), with NaN, −0 and infinity.</summary>
[TestFixture]
public sealed class MaskKernelsTests
{
    private static readonly float[] Specials = [float.NaN, -0f, 0f, float.PositiveInfinity, float.NegativeInfinity, 1.5f, -2f];

    private static (float[] A, float[] B, int[] Condition) Draw(int n, int seed)
    {
        var random = new Random(seed);
        float Value() => random.Next(4) == 0 ? Specials[random.Next(Specials.Length)] : (float)(random.NextDouble() * 4 - 2);
        return (Enumerable.Range(0, n).Select(_ => Value()).ToArray(), Enumerable.Range(0, n).Select(_ => Value()).ToArray(),
            Enumerable.Range(0, n).Select(_ => random.Next(2)).ToArray());
    }

    // Up to three 512-bit vectors of ints and a tail, whatever the width this process runs (the same cases everywhere).
    private static IEnumerable<int> Lengths() => Enumerable.Range(0, 52);

    [TestCaseSource(nameof(Lengths))]
    public void FlatWhereMaskedFillAndGradient_MatchTheScalarDefinition(int n)
    {
        (float[] a, float[] b, int[] c) = Draw(n, n);
        int[] shape = [n], strides = [1];
        var y = new float[n];
        MaskKernels.Where(c, strides, a, strides, b, strides, shape, y);
        for (int i = 0; i < n; i++) Assert.That(BitConverter.SingleToInt32Bits(y[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(c[i] != 0 ? a[i] : b[i])), $"where[{i}]");
        MaskKernels.WhereScalar(c, strides, a, strides, -0f, shape, y);
        for (int i = 0; i < n; i++) Assert.That(BitConverter.SingleToInt32Bits(y[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(c[i] != 0 ? a[i] : -0f)), $"where scalar[{i}]");
        MaskKernels.MaskedFill(a, strides, c, strides, 7f, shape, y);
        for (int i = 0; i < n; i++) Assert.That(BitConverter.SingleToInt32Bits(y[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(c[i] != 0 ? 7f : a[i])), $"masked fill[{i}]");
        foreach (bool select in new[] { true, false })
        {
            float[] dst = b.ToArray();
            MaskKernels.MaskedGradient(a, c, strides, shape, select, dst, accumulate: true);
            for (int i = 0; i < n; i++)
                Assert.That(BitConverter.SingleToInt32Bits(dst[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(b[i] + ((c[i] != 0) == select ? a[i] : 0f))), $"gradient[{i}]");
        }
    }

    [TestCaseSource(nameof(Lengths))]
    public void FlatComparisons_MatchTheScalarDefinition(int n)
    {
        (float[] a, float[] b, _) = Draw(n, 1000 + n);
        int[] shape = [n], strides = [1];
        var y = new int[n];
        MaskKernels.Compare<LessEqualComparison>(a, strides, b, strides, shape, floats: true, y);
        for (int i = 0; i < n; i++) Assert.That(y[i], Is.EqualTo(a[i] <= b[i] ? 1 : 0), $"le[{i}]");
        MaskKernels.Compare<NotEqualComparison>(a, strides, b, strides, shape, floats: true, y);
        for (int i = 0; i < n; i++) Assert.That(y[i], Is.EqualTo(a[i] != b[i] ? 1 : 0), $"ne[{i}]");
        MaskKernels.CompareScalar<GreaterComparison>(a, floats: true, 0f, y);
        for (int i = 0; i < n; i++) Assert.That(y[i], Is.EqualTo(a[i] > 0f ? 1 : 0), $"gt scalar[{i}]");
        MaskKernels.CompareScalar<EqualComparison>(a, floats: true, float.NaN, y);
        Assert.That(y, Is.All.EqualTo(0), "NaN equals nothing");
    }
}
