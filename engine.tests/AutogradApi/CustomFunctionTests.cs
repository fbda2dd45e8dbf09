using System.Runtime.CompilerServices;
using ArenaGrad.Testing;
using static ArenaGrad.Tests.AutogradApi.HigherOrderReference;

namespace ArenaGrad.Tests.AutogradApi;

/// <summary>Custom functions (<c>Autograd.Apply</c>, torch.autograd.Function) against PyTorch 1.13
/// (Golden/make_custom_and_hooks.py): values, grad_fn names, double backward through a custom backward, saved-tensor
/// version checks, errors and allocation.</summary>
[TestFixture]
public sealed class CustomFunctionTests
{
    private struct Cube : ICustomFunction
    {
        public readonly Tensor Forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs)
        {
            ctx.SaveForBackward(inputs[0]);
            return inputs[0] * inputs[0] * inputs[0];
        }

        public readonly void Backward(FunctionContext ctx, Tensor gradOutput, Span<Tensor?> gradInputs)
        {
            Tensor x = ctx.SavedTensors[0];
            gradInputs[0] = gradOutput * 3f * x * x;
        }
    }

    private struct ScaledProduct(float scale) : ICustomFunction
    {
        public readonly Tensor Forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs)
        {
            ctx.SaveForBackward(inputs[0], inputs[1]);
            return inputs[0] * inputs[1] * scale;
        }

        public readonly void Backward(FunctionContext ctx, Tensor gradOutput, Span<Tensor?> gradInputs)
        {
            ReadOnlySpan<Tensor> saved = ctx.SavedTensors;
            if (ctx.NeedsInputGrad(0)) gradInputs[0] = gradOutput * saved[1] * scale;
            if (ctx.NeedsInputGrad(1)) gradInputs[1] = gradOutput * saved[0] * scale;
        }
    }

    /// <summary>Applies another custom function inside its forward (which runs under no-grad, so the inner one records nothing).</summary>
    private struct CubeTwice : ICustomFunction
    {
        public readonly Tensor Forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs)
        {
            ctx.SaveForBackward(inputs[0]);
            Tensor inner = Autograd.Apply(new Cube(), inputs[0]);
            ctx.SaveForBackward(inner);
            return inner * 2f;
        }

        public readonly void Backward(FunctionContext ctx, Tensor gradOutput, Span<Tensor?> gradInputs) =>
            gradInputs[0] = gradOutput * 6f * ctx.SavedTensors[0].Square();
    }

    private struct WrongShape : ICustomFunction
    {
        public readonly Tensor Forward(FunctionContext ctx, ReadOnlySpan<Tensor> inputs) => inputs[0] * 2f;

        public readonly void Backward(FunctionContext ctx, Tensor gradOutput, Span<Tensor?> gradInputs) => gradInputs[0] = gradOutput.Sum();
    }

    [Test]
    public void Cube_MatchesPyTorch_ValuesNameAndDoubleBackward()
    {
        var reference = Load("custom_and_hooks.json").GetProperty("cube");
        using var arena = new Arena();
        Tensor x = arena.FromData(reference.Floats("x"), [3], requiresGrad: true);
        Tensor w = arena.FromData(reference.Floats("w"), [3], requiresGrad: true);
        Tensor y = Autograd.Apply(new Cube(), x);
        Assert.That(y.GradFn, Is.EqualTo(reference.GetProperty("grad_fn").GetString()));
        AssertClose(y.ToArray(), reference.Floats("y"), "y");
        Tensor?[] grads = Autograd.Grad([(y * w).Sum()], [x, w], createGraph: true);
        AssertClose(grads[0]!.Value.ToArray(), reference.Floats("gx"), "d/dx");
        AssertClose(grads[1]!.Value.ToArray(), reference.Floats("gw"), "d/dw");
        AssertClose(Autograd.Grad(grads[0]!.Value.Sum(), x).ToArray(), reference.Floats("gx_sum_grad_x"), "second derivative through the custom backward");
    }

    [Test]
    public void TwoInputsAndASetting_BackwardIntoGrad_MatchesPyTorch()
    {
        var reference = Load("custom_and_hooks.json").GetProperty("scaled_product");
        using var arena = new Arena();
        Tensor a = arena.FromData(reference.Floats("a"), [3], requiresGrad: true);
        Tensor b = arena.FromData(reference.Floats("b"), [3], requiresGrad: true);
        Autograd.Apply(new ScaledProduct(reference.GetProperty("scale").GetSingle()), a, b).Tanh().Sum().Backward();
        AssertClose(a.Grad!.Value.ToArray(), reference.Floats("grad_a"), "a.grad");
        AssertClose(b.Grad!.Value.ToArray(), reference.Floats("grad_b"), "b.grad");
    }

    [Test]
    public void NoInputRequiresGrad_NothingIsRecorded()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f], [2]);
        int tape = arena.TapeLength;
        Tensor y = Autograd.Apply(new Cube(), x);
        Assert.That(y.RequiresGrad, Is.False);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 1f, 8f }));
        Assert.That(arena.TapeLength, Is.EqualTo(tape));
    }

    [Test]
    public void SavedTensorChangedInPlace_BackwardRefusesWithPyTorchsMessage()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f], [2], requiresGrad: true);
        Tensor h = x * 1f;
        Tensor y = Autograd.Apply(new Cube(), h).Sum();
        using (arena.NoGrad()) h.MulInPlace(2f);
        var error = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.That(error!.Message, Does.StartWith("one of the variables needed for gradient computation has been modified by an inplace operation"));
        Assert.That(error.Message, Does.EndWith("(needed by CubeBackward)"));
        Assert.That(x.Grad.HasValue, Is.False, "a refused backward writes nothing");
    }

    [Test]
    public void BackwardGivingTheWrongShape_IsRefusedWithPyTorchsMessage()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f], [2], requiresGrad: true);
        Tensor y = Autograd.Apply(new WrongShape(), x).Sum();
        var error = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.That(error!.Message, Is.EqualTo("Function WrongShapeBackward returned an invalid gradient at index 0 - got [] but expected shape compatible with [2]"));
    }

    [Test]
    public void SaveForBackward_OutsideForward_IsRefused()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f], [1], requiresGrad: true);
        Assert.Throws<InvalidOperationException>(() => default(FunctionContext).SaveForBackward(x));
        Assert.Throws<ArgumentException>(() => Autograd.Apply(new Cube(), ReadOnlySpan<Tensor>.Empty));
    }

    [Test]
    public void ApplyAndBackward_InAScope_AllocateNothingAfterWarmUp()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([0.5f, -1f, 2f], [3], requiresGrad: true);
        Assert.That(() => Step(arena, x), Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Step(Arena arena, Tensor x)
    {
        using (arena.Scope())
        {
            Autograd.Apply(new ScaledProduct(2f), x, Autograd.Apply(new Cube(), x)).Sum().Backward();
            x.ZeroGrad();
        }
    }

    [Test]
    public void ACustomFunctionInsideAnothersForward_KeepsTheOuterOnesEntry()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, -2f], [2], requiresGrad: true);
        Tensor y = Autograd.Apply(new CubeTwice(), x);
        Assert.That(y.GradFn, Is.EqualTo("CubeTwiceBackward"));
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 2f, -16f }));
        y.Sum().Backward();
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 6f, 24f }));
    }
}
