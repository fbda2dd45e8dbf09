using ArenaGrad.Nn;

namespace ArenaGrad.Tests.Nn;

/// <summary>Each layer's forward against the tensor op it names, and PyTorch's edge cases.</summary>
public sealed class LayerTests
{
    [Test]
    public void Activations_ForwardIsTheNamedTensorOp()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([-2f, -0.5f, 0f, 0.5f, 3f], [1, 5]);
        Assert.That(new Tanh().Forward(x).ToArray(), Is.EqualTo(x.Tanh().ToArray()));
        Assert.That(new Relu().Forward(x).ToArray(), Is.EqualTo(new[] { 0f, 0f, 0f, 0.5f, 3f }));
        Assert.That(new Sigmoid().Forward(x).ToArray(), Is.EqualTo(x.Sigmoid().ToArray()));
        Assert.That(new LeakyRelu(0.2f).Forward(x).ToArray(), Is.EqualTo(new[] { -0.4f, -0.1f, 0f, 0.5f, 3f }));
        Assert.That(new LeakyRelu().Slope, Is.EqualTo(0.01f));
        Assert.That(new Softmax(-1).Forward(x).ToArray(), Is.EqualTo(x.Softmax(1).ToArray()));
    }

    [Test]
    public void Flatten_KeepsTheBatchDimAndSharesValues()
    {
        using var arena = new Arena();
        Tensor x = arena.Range(1, 24).Reshape(2, 3, 4);
        Tensor y = new Flatten().Forward(x);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 12 }));
        Assert.That(y.ToArray(), Is.EqualTo(x.ToArray()));
        Assert.That(new Flatten(0, 1).Forward(x).Shape.ToArray(), Is.EqualTo(new[] { 6, 4 }));
        Tensor matrix = arena.Zeros([2, 3]);
        Assert.That(new Flatten().Forward(matrix).Equals(matrix), Is.True, "nothing to merge: the input itself, as PyTorch");
    }

    [Test]
    public void Flatten_BadDims_ThrowPyTorchsMessages()
    {
        using var arena = new Arena();
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new Flatten().Forward(arena.Scalar(1f)))!.Message,
            Does.StartWith("Dimension out of range (expected to be in range of [-1, 0], but got 1)"));
        Assert.That(Assert.Throws<ArgumentException>(() => new Flatten(2, 1).Forward(arena.Zeros([2, 3, 4])))!.Message,
            Does.StartWith("flatten() has invalid args: start_dim cannot come after end_dim"));
    }

    [Test]
    public void Dropout_InEval_IsTheIdentity()
    {
        using var arena = new Arena();
        var dropout = new Dropout(0.3f);
        dropout.Eval();
        Tensor x = arena.Randn([4, 4]);
        Assert.That(dropout.Forward(x).Equals(x), Is.True);
    }

    [Test]
    public void Dropout_InTraining_ZeroesAboutPAndScalesTheRestByOneOverOneMinusP_GradientIsTheMask()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 5 });
        var dropout = new Dropout(0.25f);
        Tensor x = arena.Full([100, 100], 2f, requiresGrad: true);
        Tensor y = dropout.Forward(x);
        float[] values = y.ToArray();
        int zeros = values.Count(v => v == 0f);
        Assert.That(values.All(v => v == 0f || v == 2f / 0.75f), Is.True);
        Assert.That(zeros, Is.InRange(2300, 2700), "about a quarter of 10000 dropped");
        y.Sum().Backward();
        float[] grad = x.Grad!.Value.ToArray();
        for (int i = 0; i < grad.Length; i++) Assert.That(grad[i], Is.EqualTo(values[i] / 2f), "dx = mask");
    }

    [Test]
    public void Dropout_WithPOne_DropsEverything_WithPZero_ReturnsTheInput()
    {
        using var arena = new Arena();
        Tensor x = arena.Randn([3, 3]);
        Assert.That(new Dropout(1f).Forward(x).ToArray(), Is.All.EqualTo(0f));
        Assert.That(new Dropout(0f).Forward(x).Equals(x), Is.True);
    }

    [Test]
    public void Dropout_ProbabilityOutsideZeroOne_ThrowsPyTorchsMessage()
    {
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Dropout(1.5f))!.Message,
            Does.StartWith("dropout probability has to be between 0 and 1, but got 1.5"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Dropout(-0.1f))!.Message,
            Does.StartWith("dropout probability has to be between 0 and 1, but got -0.1"));
    }

    [Test]
    public void Mlp_DefaultActivation_IsTanhBetweenLinearsAndNoneAfterTheLast()
    {
        using var arena = new Arena();
        var mlp = new Mlp(arena, [2, 8, 8, 3]);
        Assert.That(Enumerable.Range(0, mlp.Count).Select(i => mlp[i].GetType().Name),
            Is.EqualTo(new[] { "Linear", "Tanh", "Linear", "Tanh", "Linear" }));
        Assert.That(mlp.Forward(arena.Zeros([5, 2])).Shape.ToArray(), Is.EqualTo(new[] { 5, 3 }));
        Assert.That(new Mlp(arena, [4, 1]).Count, Is.EqualTo(1));
    }

    [Test]
    public void Mlp_FewerThanTwoSizes_Throws()
    {
        using var arena = new Arena();
        Assert.That(Assert.Throws<ArgumentException>(() => _ = new Mlp(arena, [4]))!.Message,
            Does.StartWith("Mlp needs at least two sizes (input and output features), but got 1."));
        Assert.Throws<ArgumentException>(() => _ = new Mlp(arena, [4, 0, 2]));
    }

    [Test]
    public void Sequential_ForwardRunsLayersInOrder_AndEnumeratesThem()
    {
        using var arena = new Arena();
        var first = new Linear(arena, 3, 4);
        var model = new Sequential(first, new Relu());
        Tensor x = arena.Randn([2, 3]);
        Assert.That(model.Forward(x).ToArray(), Is.EqualTo(first.Forward(x).Relu().ToArray()));
        Assert.That(model.ToList(), Is.EqualTo(new Module[] { first, model[1] }));
        Assert.That(new Sequential().Forward(x).Equals(x), Is.True);
    }
}
