using System;
using NUnit.Framework;

namespace ArenaGrad.Tests.Tape;

/// <summary>retain_grad on the results of ops, whose .grad tensor is made only when asked for.</summary>
public class RetainGradTests
{
    [Test]
    public void RetainGrad_OnElementwiseResults_KeepsEachGradient()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, -2f], [2], requiresGrad: true);
        using (arena.Scope())
        {
            Tensor a = x * 3f;      // unary
            Tensor b = a * x;       // binary, same shape
            Tensor c = b.Tanh();
            a.RetainGrad();
            b.RetainGrad();
            Tensor total = c.Sum();
            int tensors = arena.TensorCount;
            total.Backward();
            float[] xs = x.ToArray(), bs = b.ToArray();
            for (int i = 0; i < 2; i++)
            {
                float t = MathF.Tanh(bs[i]);
                Assert.That(b.Grad!.Value.ToArray()[i], Is.EqualTo(1f - t * t).Within(1e-6f));
                Assert.That(a.Grad!.Value.ToArray()[i], Is.EqualTo((1f - t * t) * xs[i]).Within(1e-6f));
            }
            Assert.That(c.Grad, Is.Null, "not retained: None");
            Assert.That(arena.TensorCount, Is.EqualTo(tensors), "backward makes no tensors: the grad views came with retain_grad");
        }
    }

    [Test]
    public void RetainGrad_OnProductAndReductionResults_KeepsEachGradient()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f, 3f, 4f], [2, 2], requiresGrad: true);
        Tensor w = arena.FromData([0.5f, -1f, 2f, 1f], [2, 2], requiresGrad: true);
        using (arena.Scope())
        {
            Tensor h = x.MatMul(w);
            Tensor rows = h.Sum(1);
            h.RetainGrad();
            rows.RetainGrad();
            (rows * rows).Sum().Backward();
            float[] r = rows.ToArray();
            Assert.That(rows.Grad!.Value.ToArray(), Is.EqualTo(new[] { 2f * r[0], 2f * r[1] }));
            Assert.That(h.Grad!.Value.ToArray(), Is.EqualTo(new[] { 2f * r[0], 2f * r[0], 2f * r[1], 2f * r[1] }));
            Assert.That(h.Grad!.Value.Shape.ToArray(), Is.EqualTo(new[] { 2, 2 }));
        }
    }

    [Test]
    public void RetainGrad_OnAnElementwiseResultOfAnOuterScope_IsRefusedAndChangesNothing()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f], [2], requiresGrad: true);
        using (arena.Scope())
        {
            Tensor y = x * 2f;
            using (arena.Scope())
            {
                int tensors = arena.TensorCount;
                var error = Assert.Throws<InvalidOperationException>(() => y.RetainGrad());
                Assert.That(error!.Message, Does.StartWith("retain_grad can only be called on a tensor made in the innermost open arena scope"));
                Assert.That(arena.TensorCount, Is.EqualTo(tensors));
            }
            y.RetainGrad(); // back in y's own scope it works
            y.Sum().Backward();
            Assert.That(y.Grad!.Value.ToArray(), Is.EqualTo(new[] { 1f, 1f }));
            Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 2f, 2f }));
        }
    }
}
