using ArenaGrad.Kernels.Convolution;

namespace ArenaGrad.Tests.Nn.Convolution;

/// <summary>The convolution as one product over the batch (issue 18 performance): packed straight from x without a
/// gradient, over the unfolded columns [rows, N·L] with one; x's gradient over the batch or image by image.</summary>
public class ConvBatchProductTests
{
    [TestCase(1, 0, 1)]
    [TestCase(2, 0, 1)]
    [TestCase(4, 0, 1)]
    [TestCase(2, 1, 1)]
    [TestCase(4, 2, 1)]
    [TestCase(3, 1, 2)]
    public void BatchProducts_AgreeWithEachOther_AndWithUnfoldMatMulFold(int stride, int padding, int dilation)
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        Tensor x = arena.Randn([3, 5, 19, 17]), w = arena.Randn([10, 5, 3, 4]), b = arena.Randn([10]);
        Tensor y0;
        using (arena.NoGrad()) y0 = Functional.Conv2d(x, w, b, (stride, stride), (padding, padding), (dilation, dilation));
        Tensor gy = arena.Randn(y0.Shape.ToArray());
        int positions = y0.Shape[2] * y0.Shape[3];

        // W and x take gradients: the forward reads the unfolded columns, with the bits of the packed-from-x forward
        Tensor xg = x.Detach().SetRequiresGrad(), wg = w.Detach().SetRequiresGrad();
        Tensor y1 = Functional.Conv2d(xg, wg, b, (stride, stride), (padding, padding), (dilation, dilation));
        Assert.That(y1.ToArray(), Is.EqualTo(y0.ToArray()));
        (y1 * gy).Sum().Backward();

        // x alone: its gradient has the same bits
        Tensor xg2 = x.Detach().SetRequiresGrad();
        (Functional.Conv2d(xg2, w, b, (stride, stride), (padding, padding), (dilation, dilation)) * gy).Sum().Backward();
        Assert.That(xg2.Grad!.Value.ToArray(), Is.EqualTo(xg.Grad!.Value.ToArray()));

        // W alone: the same bits for W
        Tensor wg2 = w.Detach().SetRequiresGrad();
        (Functional.Conv2d(x, wg2, b, (stride, stride), (padding, padding), (dilation, dilation)) * gy).Sum().Backward();
        Assert.That(wg2.Grad!.Value.ToArray(), Is.EqualTo(wg.Grad!.Value.ToArray()));

        // the composition of unfold, matmul and fold
        Tensor cols = Functional.Unfold(x, (3, 4), (dilation, dilation), (padding, padding), (stride, stride)); // [3, 60, L]
        Tensor g3 = gy.Reshape(3, 10, positions);
        Tensor yRef = w.Reshape(10, 60).MatMul(cols) + b.Reshape(1, 10, 1);
        Tensor dwRef = g3.MatMul(cols.Transpose(1, 2)).Sum(0).Reshape(10, 5, 3, 4);
        Tensor dxRef = Functional.Fold(w.Reshape(10, 60).Transpose(0, 1).MatMul(g3), (19, 17), (3, 4), (dilation, dilation), (padding, padding), (stride, stride));
        AssertClose(y0.ToArray(), yRef.ToArray());
        AssertClose(wg.Grad!.Value.ToArray(), dwRef.ToArray());
        AssertClose(xg.Grad!.Value.ToArray(), dxRef.ToArray());
    }

    [Test]
    public unsafe void CopyStrided_CopiesEveryStrideAndLength()
    {
        float[] source = new float[200];
        for (int i = 0; i < source.Length; i++) source[i] = i + 0.5f;
        for (int stride = 1; stride <= 5; stride++)
            for (int count = 0; count <= 33; count++)
            {
                if ((count - 1) * stride >= source.Length) continue;
                float[] target = new float[count + 1];
                target[count] = -1f;
                fixed (float* from = source, to = target) Im2Col.CopyStrided(from, stride, count, to);
                for (int k = 0; k < count; k++) Assert.That(target[k], Is.EqualTo(source[k * stride]), $"stride {stride}, count {count}, k {k}");
                Assert.That(target[count], Is.EqualTo(-1f), "wrote past the run");
            }
    }

    private static void AssertClose(float[] got, float[] want)
    {
        Assert.That(got, Has.Length.EqualTo(want.Length));
        for (int i = 0; i < want.Length; i++) Assert.That(got[i], Is.EqualTo(want[i]).Within(1e-3f + 1e-4f * Math.Abs(want[i])), $"element {i}");
    }
}
