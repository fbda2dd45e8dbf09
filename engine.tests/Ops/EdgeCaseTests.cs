namespace ArenaGrad.Tests.Ops;

/// <summary>Scalars (shape []) and empty tensors go through every op and backward as PyTorch's do.</summary>
public sealed class EdgeCaseTests
{
    [Test]
    public void Scalars_BroadcastAgainstTensors_AndDifferentiate()
    {
        using var arena = new Arena();
        Tensor s = arena.Scalar(2f, requiresGrad: true);
        Tensor v = arena.FromData([1f, 2f, 3f], requiresGrad: true);
        Tensor y = (s * v + s).Sum();
        Assert.That(y.Item(), Is.EqualTo(18f));
        y.Backward();
        Assert.That(s.Grad!.Value.Item(), Is.EqualTo(9f)); // Σv + 3
        Assert.That(s.Grad!.Value.Shape.Length, Is.Zero);
        Assert.That(v.Grad!.Value.ToArray(), Is.EqualTo(new[] { 2f, 2f, 2f }));
    }

    [Test]
    public void Scalar_ReductionsAndUnaryOps_KeepShapeEmpty()
    {
        using var arena = new Arena();
        Tensor s = arena.Scalar(-3f, requiresGrad: true);
        Tensor y = s.Abs().Sum(0).Mean().Max(-1, keepDim: true).Exp().Log();
        Assert.That(y.Shape.Length, Is.Zero);
        Assert.That(y.Item(), Is.EqualTo(3f).Within(1e-6f));
        y.Backward();
        Assert.That(s.Grad!.Value.Item(), Is.EqualTo(-1f).Within(1e-6f));
    }

    [Test]
    public void EmptyTensors_ElementwiseAndReductions_FollowPyTorch()
    {
        using var arena = new Arena();
        Tensor e = arena.Zeros([0, 3], requiresGrad: true);
        Tensor y = (e * 2f + e).Tanh();
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 0, 3 }));
        Assert.That(e.Sum().Item(), Is.EqualTo(0f));
        Assert.That(e.Mean().Item(), Is.NaN);
        Assert.That(e.Sum(0).ToArray(), Is.EqualTo(new[] { 0f, 0f, 0f }));
        Assert.That(e.Sum(1).Shape.ToArray(), Is.EqualTo(new[] { 0 }));
        Assert.That(e.Softmax(1).Count, Is.Zero);
        Assert.That(e.ToString(), Is.EqualTo("tensor([], size=(0, 3), requires_grad=True)"));
        e.Sum().Backward();
        Assert.That(e.Grad!.Value.Count, Is.Zero);
    }

    /// <summary>Found by the property tests: softmax backward over an empty strided axis read element 0.</summary>
    [TestCase(0, false)]
    [TestCase(0, true)]
    [TestCase(1, false)]
    [TestCase(2, true)]
    public void SoftmaxOverEmptyTensor_BackwardRunsAndGivesEmptyGradient(int dim, bool log)
    {
        using var arena = new Arena();
        Tensor x = arena.Zeros([0, 2, 1], requiresGrad: true);
        Tensor y = log ? x.LogSoftmax(dim) : x.Softmax(dim);
        (y + arena.Ones([1])).Sum().Backward();
        Assert.That(x.Grad!.Value.Shape.ToArray(), Is.EqualTo(new[] { 0, 2, 1 }));
    }

    [Test]
    public void EmptyInnerDimension_MatMulGivesZeros_AndBackwardRuns()
    {
        using var arena = new Arena();
        Tensor a = arena.Zeros([2, 0], requiresGrad: true), b = arena.Zeros([0, 3], requiresGrad: true);
        Tensor c = a.MatMul(b);
        Assert.That(c.ToArray(), Is.EqualTo(new float[6]));
        c.Sum().Backward();
        Assert.That(a.Grad!.Value.Count, Is.Zero);
    }

    [Test]
    public void EmptyBatch_LinearAndConcatAndTranspose_Work()
    {
        using var arena = new Arena();
        Tensor x = arena.Zeros([0, 4]);
        Tensor w = arena.Ones([2, 4], requiresGrad: true), bias = arena.Ones([2], requiresGrad: true);
        Tensor y = Functional.Linear(x, w, bias);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 0, 2 }));
        Assert.That(Functional.Cat([y, y], 0).Shape.ToArray(), Is.EqualTo(new[] { 0, 2 }));
        Assert.That(y.Transpose(0, 1).Shape.ToArray(), Is.EqualTo(new[] { 2, 0 }));
        y.Sum().Backward();
        Assert.That(w.Grad!.Value.ToArray(), Is.EqualTo(new float[8]));
        Assert.That(bias.Grad!.Value.ToArray(), Is.EqualTo(new float[2]));
    }

    [Test]
    public void SpecialValues_PropagateLikePyTorch()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f]);
        Assert.That(x.Relu().ToArray()[0], Is.NaN);
        Assert.That(x.Tanh().ToArray()[1..3], Is.EqualTo(new[] { 1f, -1f }));
        Assert.That(x.Sigmoid().ToArray()[1..4], Is.EqualTo(new[] { 1f, 0f, 0.5f }));
        float[] exp = x.Exp().ToArray();
        Assert.That(exp[1..3], Is.EqualTo(new[] { float.PositiveInfinity, 0f }));
        // .NET's vector Exp is within 1 ulp, not exact at 0 (PyTorch gives 1 exactly); own exp is a later issue.
        Assert.That(exp[3], Is.EqualTo(1f).Within(1).Ulps);
        Assert.That(x.Max().Item(), Is.NaN);
        Assert.That(x.Sum().Item(), Is.NaN);
    }
}
