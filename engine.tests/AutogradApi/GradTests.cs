namespace ArenaGrad.Tests.AutogradApi;

/// <summary><c>Autograd.Grad</c> (torch.autograd.grad) and backward with createGraph: results, what they leave alone,
/// and PyTorch's errors.</summary>
[TestFixture]
public sealed class GradTests
{
    [Test]
    public void Grad_ReturnsTheGradientAndLeavesDotGradAlone()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f, 3f], [3], requiresGrad: true);
        Tensor y = (x * x * x).Sum();
        Tensor g = Autograd.Grad(y, x);
        Assert.That(g.ToArray(), Is.EqualTo(new[] { 3f, 12f, 27f }));
        Assert.That(g.RequiresGrad, Is.False, "without createGraph the gradient is a plain tensor");
        Assert.That(x.Grad.HasValue, Is.False, "autograd.grad never touches .grad");
    }

    [Test]
    public void Grad_WithCreateGraph_CanBeDifferentiatedAgain_ToThirdOrder()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f, 3f], [3], requiresGrad: true);
        Tensor y = (x * x * x).Sum();
        Tensor g = Autograd.Grad(y, x, createGraph: true);           // 3x²
        Assert.That(g.RequiresGrad, Is.True);
        Tensor h = Autograd.Grad(g.Sum(), x, createGraph: true);     // 6x
        Assert.That(h.ToArray(), Is.EqualTo(new[] { 6f, 12f, 18f }));
        Tensor t = Autograd.Grad(h.Sum(), x);                        // 6
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 6f, 6f, 6f }));
    }

    [Test]
    public void Backward_WithCreateGraph_LeavesADifferentiableGrad()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f], [2], requiresGrad: true);
        (x * x * x).Sum().Backward(createGraph: true);
        Tensor grad = x.Grad!.Value;
        Assert.That(grad.ToArray(), Is.EqualTo(new[] { 3f, 12f }));
        Assert.That(grad.RequiresGrad, Is.True);
        x.ZeroGrad();
        Assert.That(x.Grad.HasValue, Is.False);
        grad.Sum().Backward();
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 6f, 12f }));
    }

    [Test]
    public void Grad_UnusedInput_ThrowsPyTorchsMessage_UnlessAllowed()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f], [1], requiresGrad: true), z = arena.FromData([1f], [1], requiresGrad: true);
        Tensor y = (x * 2f).Sum();
        var error = Assert.Throws<InvalidOperationException>(() => Autograd.Grad([y], [x, z], retainGraph: true));
        Assert.That(error!.Message, Is.EqualTo(
            "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior."));
        Tensor?[] grads = Autograd.Grad([y], [x, z], allowUnused: true);
        Assert.That(grads[0]!.Value.ToArray(), Is.EqualTo(new[] { 2f }));
        Assert.That(grads[1].HasValue, Is.False);
    }

    [Test]
    public void Grad_Errors_ArePyTorchs()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f], [2], requiresGrad: true), c = arena.FromData([1f, 2f], [2]);
        Tensor y = x * 3f;
        Assert.That(Assert.Throws<InvalidOperationException>(() => Autograd.Grad(y, x))!.Message,
            Is.EqualTo("grad can be implicitly created only for scalar outputs"));
        Assert.That(Assert.Throws<InvalidOperationException>(() => Autograd.Grad(y.Sum(), c))!.Message,
            Is.EqualTo("One of the differentiated Tensors does not require grad"));
        Tensor s = y.Sum();
        Autograd.Grad(s, x);
        Assert.That(Assert.Throws<InvalidOperationException>(() => Autograd.Grad(s, x))!.Message,
            Does.StartWith("Trying to backward through the graph a second time"));
    }

    [Test]
    public void AnomalyMode_ChecksTheGraphPassToo()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([-1f, 4f], [2], requiresGrad: true);
        Tensor y = x.Sqrt().Sum();
        using (arena.DetectAnomaly())
        {
            var error = Assert.Throws<GradientAnomalyException>(() => Autograd.Grad(y, x, createGraph: true));
            Assert.That(error!.Message, Does.StartWith("Function 'SqrtBackward0' returned nan values in its 0th output."));
        }
    }

    [Test]
    public void GradIntoASpan_AndSeveralOutputsWithGradOutputs_AsPyTorch()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f], [2], requiresGrad: true), w = arena.FromData([3f, -1f], [2], requiresGrad: true);
        Tensor a = x * w, b = (x * x).Sum();
        Span<Tensor?> results = new Tensor?[2];
        Autograd.Grad([a, b], [x, w], [arena.FromData([1f, 10f], [2]), arena.FromData([2f], [])], results);
        Assert.That(results[0]!.Value.ToArray(), Is.EqualTo(new[] { 3f + 4f, -10f + 8f }), "w * v + 2 * 2x");
        Assert.That(results[1]!.Value.ToArray(), Is.EqualTo(new[] { 1f, 20f }), "x * v");
        Assert.That(Assert.Throws<ArgumentException>(() => Autograd.Grad([a], [x], [arena.Ones([3])]))!.Message,
            Is.EqualTo("Mismatch in shape: grad_output[0] has a shape of torch.Size([3]) and output[0] has a shape of torch.Size([2])."));
    }

    [Test]
    public void Grad_WithCollectionExpressions_PicksTheArrayOverload()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f], [2], requiresGrad: true);
        Tensor y = (x * x).Sum();
        Tensor?[] grads = Autograd.Grad([y], [x], [], createGraph: true);
        Assert.That(grads[0]!.Value.ToArray(), Is.EqualTo(new[] { 2f, 4f }));
    }

    [Test]
    public void Grad_ComputesOnlyWhatTheRequestedInputsNeed()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 5 });
        Tensor w = arena.Uniform([8, 4], -1f, 1f, requiresGrad: true), b = arena.Zeros([8], requiresGrad: true);
        Tensor x = arena.Uniform([3, 4], -1f, 1f, requiresGrad: true);
        Tensor y = Functional.Linear(x, w, b).Tanh().Sum();
        int before = arena.TapeLength;
        Tensor onlyX = Autograd.Grad(y, x, createGraph: true);
        int forX = arena.TapeLength - before;
        before = arena.TapeLength;
        Tensor?[] all = Autograd.Grad([y], [x, w, b], createGraph: true);
        int forAll = arena.TapeLength - before;
        Assert.That(forX, Is.LessThan(forAll), "the weight and bias gradients are neither computed nor recorded for x alone");
        Assert.That(onlyX.ToArray(), Is.EqualTo(all[0]!.Value.ToArray()));
    }

    [Test]
    public void BackwardWithCreateGraph_RefusedUnderTheCapAtAnyStep_LeavesTheArenaAndGradAsTheyWere()
    {
        int failures = 0;
        for (int nth = 1; ; nth++)
        {
            using var arena = new Arena();
            Tensor x = arena.FromData([0.5f, -1f, 2f], [3], requiresGrad: true), w = arena.FromData([1.5f, 0.25f, -0.5f], [3], requiresGrad: true);
            (x * w).Sum().Backward();                         // .grad already holds a value: the pass must add to it
            Tensor y = (x * w).Tanh().Sum();
            int tensors = arena.TensorCount, tape = arena.TapeLength;
            float[] before = x.Grad!.Value.ToArray();
            arena.FailAllocation(nth);
            try
            {
                y.Backward(createGraph: true);
            }
            catch (ArenaCapacityException)
            {
                failures++;
                arena.FailAllocation(0);
                Assert.That((arena.TensorCount, arena.TapeLength), Is.EqualTo((tensors, tape)), $"allocation {nth}: everything made is undone");
                Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(before), $"allocation {nth}: .grad untouched");
                y.Backward(createGraph: true);                // and the graph is still there
                continue;
            }
            arena.FailAllocation(0);
            Assert.That(failures, Is.GreaterThan(3), "the pass was refused at several steps before it first completed");
            return;
        }
    }

    [Test]
    public void ReluAndHardtanhGradients_DependOnTheirInput_AsPyTorchsThresholdBackward()
    {
        // torch: h = relu(x + b); g = grad(h.sum(), x, create_graph=True) requires grad (threshold_backward takes the
        // result), and grad(g.sum(), b) is zeros; the same for hardtanh.
        using var arena = new Arena();
        Tensor x = arena.FromData([-1f, 0.5f, 2f], [3], requiresGrad: true), b = arena.FromData([0.25f], [1], requiresGrad: true);
        foreach (Func<Tensor, Tensor> op in new Func<Tensor, Tensor>[] { t => t.Relu(), t => t.Hardtanh(-1f, 1f) })
        {
            Tensor g = Autograd.Grad(op(x + b).Sum(), x, createGraph: true);
            Assert.That(g.RequiresGrad, Is.True);
            Assert.That(Autograd.Grad(g.Sum(), b).ToArray(), Is.EqualTo(new[] { 0f }));
        }
    }
}
