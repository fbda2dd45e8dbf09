using ArenaGrad.Nn;
using ArenaGrad.Optim;

namespace ArenaGrad.Tests.Optim;

/// <summary>Optimizer arguments, PyTorch's messages, grad-is-None handling and update formulas.</summary>
public sealed class OptimizerTests
{
    public sealed record BadOptimizer(string Name, Func<Tensor[], object> Make, Type Exception, string Message)
    {
        public override string ToString() => Name;
    }

    private static IEnumerable<BadOptimizer> BadArguments() =>
    [
        new("sgd lr", p => new Sgd(p, -1f), typeof(ArgumentOutOfRangeException), "Invalid learning rate: -1.0"),
        new("sgd momentum", p => new Sgd(p, 0.1f, momentum: -0.5f), typeof(ArgumentOutOfRangeException), "Invalid momentum value: -0.5"),
        new("sgd weight decay", p => new Sgd(p, 0.1f, weightDecay: -1e-4f), typeof(ArgumentOutOfRangeException), "Invalid weight_decay value: -0.0001"),
        new("sgd nesterov without momentum", p => new Sgd(p, 0.1f, nesterov: true), typeof(ArgumentException),
            "Nesterov momentum requires a momentum and zero dampening"),
        new("sgd nesterov with dampening", p => new Sgd(p, 0.1f, momentum: 0.9f, dampening: 0.1f, nesterov: true), typeof(ArgumentException),
            "Nesterov momentum requires a momentum and zero dampening"),
        new("adam lr", p => new Adam(p, lr: -0.001f), typeof(ArgumentOutOfRangeException), "Invalid learning rate: -0.001"),
        new("adam eps", p => new Adam(p, eps: -1e-8f), typeof(ArgumentOutOfRangeException), "Invalid epsilon value: -1e-08"),
        new("adam beta1", p => new Adam(p, beta1: 1f), typeof(ArgumentOutOfRangeException), "Invalid beta parameter at index 0: 1.0"),
        new("adam beta2", p => new Adam(p, beta2: -0.1f), typeof(ArgumentOutOfRangeException), "Invalid beta parameter at index 1: -0.1"),
        new("adam weight decay", p => new Adam(p, weightDecay: -1f), typeof(ArgumentOutOfRangeException), "Invalid weight_decay value: -1.0"),
        new("adamw beta1", p => new AdamW(p, beta1: 1.5f), typeof(ArgumentOutOfRangeException), "Invalid beta parameter at index 0: 1.5"),
        new("empty", p => new Adam([]), typeof(ArgumentException), "optimizer got an empty parameter list"),
        new("non-leaf", p => new Sgd([p[0] * 2f], 0.1f), typeof(ArgumentException), "can't optimize a non-leaf Tensor"),
        new("duplicate", p => new Sgd([p[0], p[0]], 0.1f), typeof(ArgumentException), "optimizer contains a parameter group with duplicate parameters"),
    ];

    [TestCaseSource(nameof(BadArguments))]
    public void Constructor_BadArgument_ThrowsPyTorchsMessage(BadOptimizer bad)
    {
        using var arena = new Arena();
        Tensor[] parameters = [arena.Ones([2], requiresGrad: true)];
        var error = Assert.Throws(bad.Exception, () => bad.Make(parameters))!;
        Assert.That(error.Message, Does.StartWith(bad.Message));
    }

    [Test]
    public void Constructor_InsideAScope_ThrowsBecauseTheStateWouldBeReleased()
    {
        using var arena = new Arena();
        Tensor p = arena.Ones([2], requiresGrad: true);
        using (arena.Scope())
        {
            var error = Assert.Throws<InvalidOperationException>(() => _ = new Adam([p]))!;
            Assert.That(error.Message, Does.Contain("Construct the optimizer before entering arena.Scope()"));
        }
    }

    [Test]
    public void Constructor_ParametersFromTwoArenas_Throws()
    {
        using var a = new Arena();
        using var b = new Arena();
        Assert.Throws<ArgumentException>(() => _ = new Sgd([a.Ones([1], requiresGrad: true), b.Ones([1], requiresGrad: true)], 0.1f));
    }

    [Test]
    public void LearningRate_SetNegative_ThrowsAndKeepsTheOldRate()
    {
        using var arena = new Arena();
        var sgd = new Sgd([arena.Ones([1], requiresGrad: true)], 0.1f);
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.LearningRate = -1f);
        Assert.That(sgd.LearningRate, Is.EqualTo(0.1f));
        sgd.LearningRate = 0.25f;
        Assert.That(sgd.LearningRate, Is.EqualTo(0.25f));
    }

    [Test]
    public void ZeroGrad_SetsEveryGradientToNone()
    {
        using var arena = new Arena();
        var model = new Mlp(arena, [2, 3, 1]);
        var adam = new Adam(model.Parameters());
        model.Forward(arena.Ones([1, 2])).Sum().Backward();
        Assert.That(model.Parameters().All(p => p.Grad is not null), Is.True);
        adam.ZeroGrad();
        Assert.That(model.Parameters().All(p => p.Grad is null), Is.True);
        model.Forward(arena.Ones([1, 2])).Sum().Backward();
        model.ZeroGrad();
        Assert.That(model.Parameters().All(p => p.Grad is null), Is.True, "Module.ZeroGrad too");
        Assert.That(adam.Parameters, Is.EqualTo(model.Parameters()));
    }

    [Test]
    public void Step_SkipsParametersWhoseGradIsNone_AndTheirStepCountStays()
    {
        using var arena = new Arena();
        Tensor used = arena.Ones([3], requiresGrad: true), unused = arena.Ones([3], requiresGrad: true);
        var adam = new Adam([used, unused], lr: 0.1f);
        (used * used).Sum().Backward();
        adam.Step();
        Assert.That(unused.ToArray(), Is.All.EqualTo(1f));
        Assert.That(used.ToArray(), Is.All.Not.EqualTo(1f));
        Assert.That(adam.StepCount(0), Is.EqualTo(1));
        Assert.That(adam.StepCount(1), Is.Zero);
    }

    [Test]
    public void SgdStep_PlainAndWithMomentum_FollowsPyTorchsFormula()
    {
        using var arena = new Arena();
        Tensor p = arena.FromData([1f, -2f], requiresGrad: true);
        var sgd = new Sgd([p], 0.5f, momentum: 0.9f, dampening: 0.5f, weightDecay: 0.1f);
        // step 1: d = g + 0.1p; buf = d; p -= 0.5 buf.   g = 2p (loss Σp²)
        float[] expected = [1f, -2f];
        float[] buffer = new float[2];
        for (int step = 0; step < 3; step++)
        {
            sgd.ZeroGrad();
            (p * p).Sum().Backward();
            sgd.Step();
            for (int i = 0; i < 2; i++)
            {
                float d = 2f * expected[i] + 0.1f * expected[i];
                buffer[i] = step == 0 ? d : buffer[i] * 0.9f + 0.5f * d;
                expected[i] += -0.5f * buffer[i];
            }
            Assert.That(p.ToArray(), Is.EqualTo(expected), $"after step {step + 1}");
        }
    }

    [Test]
    public void AdamStep_FirstStep_MovesEachParameterByAboutTheLearningRate()
    {
        using var arena = new Arena();
        Tensor p = arena.FromData([3f, -4f, 0.001f], requiresGrad: true);
        var adam = new Adam([p], lr: 0.01f);
        (p * p).Sum().Backward();
        adam.Step();
        // m̂ / √v̂ = g / |g| on the first step: every element moves by lr against its gradient's sign.
        Assert.That(p.ToArray(), Is.EqualTo(new[] { 2.99f, -3.99f, 0.001f - 0.01f }).Within(2e-6f));
    }

    [Test]
    public void AdamWStep_DecaysTheParameterBeforeTheAdamUpdate()
    {
        using var arena = new Arena();
        Tensor p = arena.FromData([2f], requiresGrad: true), q = arena.FromData([2f], requiresGrad: true);
        var adamW = new AdamW([p], lr: 0.1f, weightDecay: 0.5f);
        var adam = new Adam([q], lr: 0.1f);
        (p * 0f).Sum().Backward(); // zero gradient: only the decay moves p
        (q * 0f).Sum().Backward();
        adamW.Step();
        adam.Step();
        Assert.That(p.Item(), Is.EqualTo(2f * (1f - 0.1f * 0.5f)));
        Assert.That(q.Item(), Is.EqualTo(2f));
    }

    [Test]
    public void Step_UnderGradModeOn_RecordsNothingAndBumpsTheVersion()
    {
        using var arena = new Arena();
        var layer = new Linear(arena, 2, 2);
        var sgd = new Sgd(layer.Parameters(), 0.1f);
        // The input requires grad, so backward needs dx = g·W and forward saved W (as PyTorch's addmm saves mat2 only then).
        Tensor loss = layer.Forward(arena.Ones([1, 2], requiresGrad: true)).Sum();
        loss.Backward(retainGraph: true);
        int tape = arena.TapeLength;
        sgd.Step();
        Assert.That(arena.TapeLength, Is.EqualTo(tape));
        var error = Assert.Throws<InvalidOperationException>(() => loss.Backward(), "the weights were modified in place after forward saved them")!;
        Assert.That(error.Message, Does.StartWith("one of the variables needed for gradient computation has been modified by an inplace operation"));
    }
}
