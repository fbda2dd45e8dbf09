namespace ArenaGrad.Tests.Reliability;

/// <summary>The public <see cref="Autograd.GradCheck"/>: what it reports, and that it leaves the arena as it found it.</summary>
public sealed class GradCheckApiTests
{
    private Arena _arena = null!;

    [SetUp]
    public void CreateArena() => _arena = new Arena();

    [TearDown]
    public void DisposeArena() => _arena.Dispose();

    [Test]
    public void GradCheck_CorrectGradients_PassesAndCountsEveryDifferentiatedElement()
    {
        Tensor x = _arena.FromData([0.5f, -1f, 2f, 0.25f, 1.5f, -0.75f], [2, 3], requiresGrad: true);
        Tensor w = _arena.FromData([0.3f, -0.2f, 0.9f], [3], requiresGrad: true);
        GradCheckResult result = Autograd.GradCheck(t => (t[0] * t[1]).Tanh() + t[0].Exp(), [x, w]);
        Assert.That(result.Passed, Is.True, result.ToString());
        Assert.That(result.CheckedElements, Is.EqualTo(9));
        Assert.That(result.Error, Is.LessThanOrEqualTo(result.Tolerance));
    }

    [Test]
    public void GradCheck_WrongGradient_FailsAndNamesTheWorstElement()
    {
        // f(x) = detach(x) * x: backward says x, the finite difference says 2x. The error relative to the
        // tolerance grows with |x|, so element 1 (x = 5) is the worst.
        Tensor x = _arena.FromData([1f, 5f, 2f], [3], requiresGrad: true);
        GradCheckResult result = Autograd.GradCheck(t => (t[0].Detach() * t[0]).Sum(), [x]);
        Assert.That(result.Passed, Is.False);
        Assert.That(result.InputIndex, Is.EqualTo(0));
        Assert.That(result.FlatIndex, Is.EqualTo(1));
        Assert.That(result.Analytic, Is.EqualTo(5.0).Within(1e-6));
        Assert.That(result.Numeric, Is.EqualTo(10.0).Within(1e-2));
        Assert.That(result.Error, Is.EqualTo(5.0).Within(1e-2));
        var error = Assert.Throws<InvalidOperationException>(() => result.ThrowIfFailed());
        Assert.That(error!.Message, Does.StartWith("Jacobian mismatch for output 0 with respect to input 0, element 1: analytical 5, numerical 10"));
    }

    [Test]
    public void GradCheck_FrozenInput_IsHeldFixedAndNotChecked()
    {
        Tensor x = _arena.FromData([0.5f, 1.5f], [2], requiresGrad: true);
        Tensor frozen = _arena.FromData([2f, 3f, 4f], [3, 1]);
        GradCheckResult result = Autograd.GradCheck(t => t[0] * t[1], [x, frozen]);
        Assert.That(result.Passed, Is.True, result.ToString());
        Assert.That(result.CheckedElements, Is.EqualTo(2));
        Assert.That(result.InputIndex, Is.EqualTo(0));
    }

    [Test]
    public void GradCheck_NonScalarOutput_IsProjectedWithFixedWeights()
    {
        // A rule that is right for a plain sum but wrong elementwise would pass a sum-only check; the projection
        // weights differ per element, so each output element's gradient counts.
        Tensor x = _arena.FromData([0.5f, 1.5f, -2f, 0.7f], [2, 2], requiresGrad: true);
        GradCheckResult first = Autograd.GradCheck(t => t[0].Softmax(1), [x]);
        GradCheckResult second = Autograd.GradCheck(t => t[0].Softmax(1), [x]);
        Assert.That(first.Passed, Is.True, first.ToString());
        Assert.That(second, Is.EqualTo(first), "the projection is the same on every call");
        Assert.That(first.Analytic, Is.Not.EqualTo(0.0), "softmax rows sum to 1: only a non-uniform projection sees a gradient");
    }

    [Test]
    public void GradCheck_LeavesInputsCapturedTensorsAndArenaAsTheyWere()
    {
        Tensor x = _arena.FromData([0.5f, 1.5f], [2], requiresGrad: true);
        Tensor captured = _arena.FromData([2f, 3f], [2], requiresGrad: true);
        (captured * 10f).Sum().Backward();                      // captured.grad = [10, 10]
        int tensors = _arena.TensorCount, tape = _arena.TapeLength;

        GradCheckResult result = Autograd.GradCheck(t => (t[0] * captured).Sum(), [x]);

        Assert.That(result.Passed, Is.True, result.ToString());
        Assert.That(x.Grad, Is.Null, "the check differentiates copies of the inputs");
        Assert.That(captured.Grad!.Value.ToArray(), Is.EqualTo(new[] { 10f, 10f }), "captured gradients are put back");
        Assert.That(_arena.TensorCount, Is.EqualTo(tensors));
        Assert.That(_arena.TapeLength, Is.EqualTo(tape));
    }

    [Test]
    public void GradCheck_UnderNoGrad_StillRecordsTheAnalyticPass()
    {
        Tensor x = _arena.FromData([0.5f, 1.5f], [2], requiresGrad: true);
        using (_arena.NoGrad())
        {
            GradCheckResult result = Autograd.GradCheck(t => t[0].Square(), [x]);
            Assert.That(result.Passed, Is.True, result.ToString());
            Assert.That(_arena.IsGradEnabled, Is.False);
        }
    }

    [Test]
    public void GradCheck_NoInputRequiresGrad_ThrowsPyTorchMessage()
    {
        Tensor x = _arena.Ones([2]);
        var error = Assert.Throws<ArgumentException>(() => Autograd.GradCheck(t => t[0] * 2f, [x]));
        Assert.That(error!.Message, Does.StartWith(
            "gradcheck expects at least one input tensor to require gradient, but none of the them have requires_grad=True."));
    }

    [Test]
    public void GradCheck_BadArguments_Refused()
    {
        Tensor x = _arena.Ones([2], requiresGrad: true);
        using var other = new Arena();
        Tensor foreign = other.Ones([2], requiresGrad: true);
        Assert.Throws<ArgumentException>(() => Autograd.GradCheck(t => t[0], []));
        Assert.Throws<ArgumentException>(() => Autograd.GradCheck(t => t[0] + t[1], [x, foreign]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Autograd.GradCheck(t => t[0], [x], epsilon: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => Autograd.GradCheck(t => t[0], [x], absoluteTolerance: -1));
    }

    [Test]
    public void GradCheck_EmptyInput_PassesWithNothingChecked()
    {
        Tensor x = _arena.Zeros([0, 3], requiresGrad: true);
        GradCheckResult result = Autograd.GradCheck(t => t[0].Sum(), [x]);
        Assert.That(result.Passed, Is.True);
        Assert.That(result.CheckedElements, Is.Zero);
        Assert.That(result.InputIndex, Is.EqualTo(-1));
    }

    [Test]
    public void GradCheck_NanGradient_Fails()
    {
        // sqrt at 0: backward gives inf, the central difference over [-ε, ε] reads NaN from sqrt(-ε).
        Tensor x = _arena.FromData([0f, 1f], [2], requiresGrad: true);
        GradCheckResult result = Autograd.GradCheck(t => t[0].Sqrt(), [x]);
        Assert.That(result.Passed, Is.False);
        Assert.That(result.FlatIndex, Is.EqualTo(0));
    }
}
