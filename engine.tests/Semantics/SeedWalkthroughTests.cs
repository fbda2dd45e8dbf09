namespace ArenaGrad.Tests.Semantics;

/// <summary>SEMANTICS.md, last section: the seed's walk-through, line by line, as PyTorch prints it.</summary>
public sealed class SeedWalkthroughTests
{
    [Test]
    public void Walkthrough_MatchesPyTorchLineByLine()
    {
        using var arena = new Arena();

        // lis = torch.range(1,6).reshape((-1,3))
        Tensor lis = arena.Range(1, 6).Reshape(-1, 3);
        Assert.That(lis.ToString(), Is.EqualTo("tensor([[1., 2., 3.],\n        [4., 5., 6.]])"));
        Assert.That(lis.RequiresGrad, Is.False);

        // lis.requires_grad_()
        Tensor same = lis.SetRequiresGrad();
        Assert.That(lis.RequiresGrad, Is.True);
        Assert.That(same, Is.EqualTo(lis), "requires_grad_() returns the tensor itself");
        Assert.That(lis.ToString(), Is.EqualTo("tensor([[1., 2., 3.],\n        [4., 5., 6.]], requires_grad=True)"));

        // x = torch.ones(1); y = torch.ones(1); z = x + y
        Tensor x = arena.Ones([1]), y = arena.Ones([1]);
        Tensor z = x + y;
        Assert.That(z.RequiresGrad, Is.False);

        // z.backward() -> RuntimeError
        var error = Assert.Throws<InvalidOperationException>(() => z.Backward());
        Assert.That(error!.Message, Is.EqualTo("element 0 of tensors does not require grad and does not have a grad_fn"));

        // w = torch.ones(1, requires_grad=True); total = w + z
        Tensor w = arena.Ones([1], requiresGrad: true);
        Tensor total = w + z;
        Assert.That(total.RequiresGrad, Is.True);
        Assert.That(total.ToString(), Is.EqualTo("tensor([3.], grad_fn=<AddBackward0>)"));

        // total.backward(); w.grad
        total.Backward();
        Assert.That(w.Grad.HasValue, Is.True);
        Assert.That(w.Grad!.Value.ToString(), Is.EqualTo("tensor([1.])"));

        // z.grad == x.grad == y.grad == None
        Assert.That(z.Grad.HasValue, Is.False);
        Assert.That(x.Grad.HasValue, Is.False);
        Assert.That(y.Grad.HasValue, Is.False);

        // SetRequiresGrad(false) turns it off again on a leaf.
        lis.SetRequiresGrad(false);
        Assert.That(lis.RequiresGrad, Is.False);
    }

    [Test]
    public void NoGradScope_RecordsNothing()
    {
        using var arena = new Arena();
        Tensor w = arena.Ones([3], requiresGrad: true);
        int before = arena.TapeLength;
        using (arena.NoGrad())
        {
            Tensor v = (w * 2f).Exp().Sum();
            Assert.That(v.RequiresGrad, Is.False);
            Assert.That(v.IsLeaf, Is.True);
        }
        Assert.That(arena.TapeLength, Is.EqualTo(before));
        Assert.That(w.RequiresGrad, Is.True, "leaves keep their flag");
    }
}
