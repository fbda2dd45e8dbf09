using System.Runtime.Intrinsics;
using ArenaGrad.Kernels;

namespace ArenaGrad.Tests.Nn.Normalization;

/// <summary>LayerNorm's kernels give the same bits at every vector width (Vector512, 256, 128 and scalar are each run
/// directly, so every path is tested on any machine), and agree with a double-precision reference.</summary>
public sealed unsafe class LayerNormKernelWidthTests
{
    private static readonly int[] Lengths = [1, 2, 3, 7, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 100, 257];

    private delegate void ForwardAt(float* x, float* w, float* b, float* y, float* stats, int rows, int n, float eps);

    private delegate void BackwardAt(float* g, float* x, float* w, float* stats, float* dx, float* dw, float* db, int rows, int n);

    private static readonly (string Name, ForwardAt Forward, BackwardAt Backward)[] Widths =
    [
        ("Scalar", LayerNormKernels.Forward<float, ScalarLanes>, LayerNormKernels.Backward<float, ScalarLanes>),
        ("Vector128", LayerNormKernels.Forward<Vector128<float>, Lanes128>, LayerNormKernels.Backward<Vector128<float>, Lanes128>),
        ("Vector256", LayerNormKernels.Forward<Vector256<float>, Lanes256>, LayerNormKernels.Backward<Vector256<float>, Lanes256>),
        ("Vector512", LayerNormKernels.Forward<Vector512<float>, Lanes512>, LayerNormKernels.Backward<Vector512<float>, Lanes512>),
    ];

    private static float[] Random(int count, int seed, double scale, double offset)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(offset + scale * (random.NextDouble() * 2 - 1))).ToArray();
    }

    private static (float[] Y, float[] Stats, float[] Dx, float[] Dw, float[] Db) Run(int width, int rows, int n, bool affine)
    {
        float[] x = Random(rows * n, n, 2, 0.5), w = Random(n, n + 1, 0.5, 1), b = Random(n, n + 2, 0.5, 0), g = Random(rows * n, n + 3, 1, 0.1);
        float[] y = new float[rows * n], stats = new float[3 * rows], dx = Random(rows * n, 99, 0.1, 0), dw = new float[n], db = new float[n];
        fixed (float* xp = x, wp = w, bp = b, gp = g, yp = y, sp = stats, dxp = dx, dwp = dw, dbp = db)
        {
            Widths[width].Forward(xp, affine ? wp : null, affine ? bp : null, yp, sp, rows, n, 1e-5f);
            Widths[width].Backward(gp, xp, affine ? wp : null, sp, dxp, affine ? dwp : null, affine ? dbp : null, rows, n);
        }
        return (y, stats, dx, dw, db);
    }

    [Test]
    public void EveryWidth_GivesTheScalarPathsBits_ForwardAndBackward([Values(1, 2, 3)] int widthIndex, [Values] bool affine)
    {
        foreach (int n in Lengths)
        {
            var scalar = Run(0, 3, n, affine);
            var vector = Run(widthIndex, 3, n, affine);
            Assert.That(Bits(vector.Y), Is.EqualTo(Bits(scalar.Y)), $"{Widths[widthIndex].Name} y, n = {n}");
            Assert.That(Bits(vector.Stats), Is.EqualTo(Bits(scalar.Stats)), $"{Widths[widthIndex].Name} shift, offset and rstd, n = {n}");
            Assert.That(Bits(vector.Dx), Is.EqualTo(Bits(scalar.Dx)), $"{Widths[widthIndex].Name} dx, n = {n}");
            Assert.That(Bits(vector.Dw), Is.EqualTo(Bits(scalar.Dw)), $"{Widths[widthIndex].Name} dweight, n = {n}");
            Assert.That(Bits(vector.Db), Is.EqualTo(Bits(scalar.Db)), $"{Widths[widthIndex].Name} dbias, n = {n}");
        }
    }

    [Test]
    public void Moments_AgreeWithDouble_EvenForALargeMean()
    {
        foreach (int n in Lengths)
        {
            float[] x = Random(n, 5, 0.01, 1000.0);
            float[] y = new float[n], stats = new float[3];
            fixed (float* xp = x, yp = y, sp = stats) LayerNormKernels.Forward(xp, null, null, yp, sp, 1, n, 1e-5f);
            double mean = x.Average(v => (double)v), variance = x.Average(v => ((double)v - mean) * ((double)v - mean));
            Assert.That((double)stats[0] + stats[1], Is.EqualTo(mean).Within(1e-6 * Math.Abs(mean) + 1e-6), $"mean, n = {n}");
            Assert.That(stats[2], Is.EqualTo(1 / Math.Sqrt(variance + 1e-5)).Within(1e-3 / Math.Sqrt(variance + 1e-5)), $"rstd, n = {n}");
        }
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
