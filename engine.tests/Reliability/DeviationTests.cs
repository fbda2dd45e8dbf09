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
    public void ReshapeViewMadeUnderNoGrad_ChangedInPlaceWithGradOn_IsRefusedWithPyTorchMessage_AndChangesNothing()
    {
        // PyTorch 1.13: x.view(3) under no_grad of a leaf that requires grad, then v.mul_(2) with grad on, raises this.
        using var arena = new Arena();
        Tensor w = arena.Ones([3], requiresGrad: true);
        Tensor view, viewOfView;
        using (arena.NoGrad())
        {
            view = w.Reshape(3, 1);
            viewOfView = view.Reshape(3);
        }
        Tensor viewMadeWithGradOn = view.Reshape(1, 3); // a view of such a view stays one (PyTorch propagates it too)
        foreach (Tensor v in (Tensor[])[view, viewOfView, viewMadeWithGradOn])
        {
            var e = Assert.Throws<InvalidOperationException>(() => v.MulInPlace(2f));
            Assert.That(e!.Message, Does.StartWith("A view was created in no_grad mode and is being modified inplace with grad mode enabled."));
        }
        Assert.Throws<InvalidOperationException>(() => view.FillInPlace(0f));
        Assert.Throws<InvalidOperationException>(() => view.AddInPlace(view, 1f));
        Assert.Throws<InvalidOperationException>(() => view.CopyFrom(arena.Zeros([3, 1])));
        Assert.That(w.ToArray(), Is.EqualTo((float[])[1f, 1f, 1f]));
    }

    [Test]
    public void NoGradViews_InPlaceInsideNoGrad_OrOfATensorWithoutGrad_OrThroughDetach_GoThrough()
    {
        // PyTorch allows each: the view and the in-place both under no_grad; a base that does not require grad; detach().
        using var arena = new Arena();
        Tensor w = arena.Ones([3], requiresGrad: true), plain = arena.Ones([3]);
        Tensor view, plainView;
        using (arena.NoGrad())
        {
            view = w.Reshape(3);
            plainView = plain.Reshape(3);
            view.MulInPlace(2f);
        }
        plainView.MulInPlace(3f);
        w.Detach().MulInPlace(2f);
        Assert.That(w.ToArray(), Is.EqualTo((float[])[4f, 4f, 4f]));
        Assert.That(plain.ToArray(), Is.EqualTo((float[])[3f, 3f, 3f]));
    }

    [Test]
    public void DetachedTensorChangedInPlace_ReachesTheLeaf_AndBackwardRefusesStaleSavedValues()
    {
        // As in PyTorch: the change goes through, and the version counter shared with the leaf stops a stale backward.
        using var arena = new Arena();
        Tensor w = arena.Ones([3], requiresGrad: true);
        Tensor y = w * w;
        w.Detach().MulInPlace(2f);
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
