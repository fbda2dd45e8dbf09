using System;
using NUnit.Framework;

namespace ArenaGrad.Tests.Reliability;

/// <summary>Where this engine deliberately differs from PyTorch 1.13 (listed in the README), the behaviour it
/// has instead, pinned so it cannot drift silently.</summary>
public sealed class DeviationTests
{
    [Test]
    public void GradHandleTakenBeforeZeroGrad_ShowsTheNextBackwardsValues()
    {
        // PyTorch: after p.grad = None the old tensor keeps [1, 1, 1]; after optimizer.zero_grad() (1.13's default,
        // set_to_none=False) it shows [2, 2, 2] as here. Grad is a view of the one gradient buffer.
        using var arena = new Arena();
        Tensor w = arena.Ones([3], requiresGrad: true);
        w.Sum().Backward();
        Tensor old = w.Grad!.Value;
        w.ZeroGrad();
        Assert.That(w.Grad, Is.Null);
        (w * 2f).Sum().Backward();
        Assert.That(old.ToArray(), Is.EqualTo((float[])[2f, 2f, 2f]));
        Assert.That(w.Grad!.Value.ToArray(), Is.EqualTo((float[])[2f, 2f, 2f]));
    }

    [Test]
    public void ReshapeViewMadeUnderNoGrad_ChangedInPlaceWithGradOn_ReachesTheLeaf_AndBackwardRefusesStaleSavedValues()
    {
        // PyTorch refuses the in-place change ("A view was created in no_grad mode and is being modified inplace
        // with grad mode enabled..."); here it goes through, as a change through Detach() does in both, and the
        // version counter the view shares with its leaf still stops a backward that saved the old values.
        using var arena = new Arena();
        Tensor w = arena.Ones([3], requiresGrad: true);
        Tensor y = w * w;
        Tensor view;
        using (arena.NoGrad()) view = w.Reshape(3);
        view.MulInPlace(2f);
        Assert.That(w.ToArray(), Is.EqualTo((float[])[2f, 2f, 2f]));
        var e = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.That(e!.Message, Does.Contain("has been modified by an inplace operation"));
    }

    [Test]
    public void EmptyShapeWhoseOtherDimsOverflowStrides_IsRefused_WhereAnEqualSizedOneThatFitsIsNot()
    {
        // PyTorch allows torch.zeros(0, 46341, 46341); strides here are 32-bit, so it is refused up front.
        using var arena = new Arena();
        Assert.That(arena.Zeros([0, 46340, 46340]).Count, Is.EqualTo(0));
        var e = Assert.Throws<ArgumentException>(() => arena.Zeros([0, 46341, 46341]));
        Assert.That(e!.Message, Does.StartWith("Expected the product of the non-zero dims to be below 2^31"));
    }
}
