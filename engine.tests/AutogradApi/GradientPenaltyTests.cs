using ArenaGrad.Nn;

namespace ArenaGrad.Tests.AutogradApi;

/// <summary>
/// A WGAN-GP gradient-penalty step against PyTorch 1.13 (Golden/higher/gradient_penalty.json, make_higher.py): the
/// critic D = Linear(4,16)-Tanh-Linear(16,16)-ReLU-Linear(16,1) with PyTorch's weights, a batch x of 8,
/// g = ∇ₓ D(x) from <c>Autograd.Grad(createGraph: true)</c> seeded with ones, and
/// penalty = ((‖g‖₂ per row) − 1)².mean(), differentiated with respect to every parameter of D (and x).
/// </summary>
[TestFixture]
public sealed class GradientPenaltyTests
{
    private static readonly string[] ParameterNames = ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"];

    private static (Sequential Critic, Tensor X) Setup(Arena arena, HigherReference reference)
    {
        var critic = new Sequential(new Linear(arena, 4, 16), new Tanh(), new Linear(arena, 16, 16), new Relu(), new Linear(arena, 16, 1));
        critic.LoadStateDict(reference.StateDict(arena, ParameterNames));
        return (critic, reference.Tensor(arena, "x", requiresGrad: true));
    }

    /// <summary>The penalty, checking each intermediate against the reference on the way.</summary>
    private static Tensor Penalty(Arena arena, HigherReference reference, Sequential critic, Tensor x)
    {
        Tensor output = critic.Forward(x);
        reference.AssertClose(output, "d_out", "D(x)");
        Tensor[] ones = [arena.Ones(output.Shape)];
        Tensor gradient = Autograd.Grad([output], [x], ones, createGraph: true)[0]!.Value;
        Assert.That(gradient.RequiresGrad, Is.True, "createGraph: the input gradient is differentiable");
        reference.AssertClose(gradient, "grad_x", "∇ₓ D(x)");
        Tensor norm = (gradient * gradient).Sum(1).Sqrt(); // the values of gradient.norm(2, dim=1)
        reference.AssertClose(norm, "norm", "‖∇ₓ D(x)‖ per row");
        Tensor excess = norm - 1f;
        Tensor penalty = (excess * excess).Mean();
        reference.AssertClose(penalty, "penalty", "penalty");
        return penalty;
    }

    /// <summary>The reference gradient; or none where PyTorch's is all zeros because the parameter reaches ∇ₓD only
    /// through ReLU's mask. Known deviation: PyTorch's relu backward, threshold_backward(grad, result, 0), has
    /// result as a differentiable input with derivative zeros_like, so 2.bias (ReLU's pre-activation) gets a gradient
    /// of zeros; the engine's ReLU graph rule reads its output only through a comparison, so 2.bias is not reached and
    /// its gradient is None (allowUnused) / its .grad stays null. The values agree.</summary>
    private static void AssertGradient(HigherReference reference, Tensor? actual, string name, string what)
    {
        if (actual is null && reference.IsAllZeros("grad." + name)) return;
        reference.AssertClose(actual, "grad." + name, what, atol: 1e-5f, rtol: 1e-3f);
    }

    [Test]
    public void Penalty_AndItsGradientsWithRespectToEveryParameter_MatchPyTorch()
    {
        var reference = new HigherReference("gradient_penalty");
        using var arena = new Arena();
        (Sequential critic, Tensor x) = Setup(arena, reference);
        Tensor penalty = Penalty(arena, reference, critic, x);

        Tensor[] inputs = [.. critic.Parameters(), x];
        Tensor?[] grads = Autograd.Grad([penalty], inputs, allowUnused: true);
        reference.AssertClose(grads[^1], "grad.x", "d penalty / d x", atol: 1e-5f, rtol: 1e-3f);
        for (int i = 0; i < ParameterNames.Length; i++)
        {
            string name = ParameterNames[i];
            if (reference.Has("grad." + name))
                AssertGradient(reference, grads[i], name, $"d penalty / d {name}");
            else
                Assert.That(grads[i].HasValue, Is.False, $"{name} does not reach ∇ₓD: PyTorch's allow_unused gives None");
        }
    }

    [Test]
    public void Penalty_Backward_AccumulatesTheSameGradientsIntoDotGrad()
    {
        // The usual training step: penalty.Backward() runs the fused pass through the graph the first pass recorded.
        var reference = new HigherReference("gradient_penalty");
        using var arena = new Arena();
        (Sequential critic, Tensor x) = Setup(arena, reference);
        Tensor penalty = Penalty(arena, reference, critic, x);
        penalty.Backward();

        IReadOnlyList<NamedTensor> named = critic.NamedParameters();
        Assert.That(named.Select(p => p.Name), Is.EqualTo(ParameterNames));
        foreach (NamedTensor parameter in named)
        {
            if (reference.Has("grad." + parameter.Name))
                AssertGradient(reference, parameter.Value.Grad, parameter.Name, $".grad of {parameter.Name}");
            else
                Assert.That(parameter.Value.Grad.HasValue, Is.False, $"{parameter.Name} does not reach the penalty: its .grad stays None");
        }
        reference.AssertClose(x.Grad, "grad.x", "x.grad: the penalty depends on x too", atol: 1e-5f, rtol: 1e-3f);
    }
}
