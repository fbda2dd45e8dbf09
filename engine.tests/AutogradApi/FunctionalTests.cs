using System.Runtime.CompilerServices;
using System.Text.Json;
using ArenaGrad.Nn;
using ArenaGrad.Testing;

namespace ArenaGrad.Tests.AutogradApi;

/// <summary>The tensors of one Golden/higher file (make_higher.py): inputs, fixed weights and PyTorch's results.</summary>
internal sealed class HigherReference
{
    private readonly Dictionary<string, (int[] Shape, float[] Data)> _tensors = new(StringComparer.Ordinal);

    public HigherReference(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Golden", "higher", name + ".json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        foreach (JsonProperty entry in document.RootElement.GetProperty("tensors").EnumerateObject())
        {
            int[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            float[] data = entry.Value.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            _tensors.Add(entry.Name, (shape, data));
        }
    }

    public bool Has(string key) => _tensors.ContainsKey(key);

    public bool IsAllZeros(string key) => _tensors[key].Data.All(v => v == 0f);

    public Tensor Tensor(Arena arena, string key, bool requiresGrad = false) =>
        arena.FromData(_tensors[key].Data, _tensors[key].Shape, requiresGrad);

    /// <summary>The tensors named <paramref name="keys"/> (weights: "0.weight", ...), for LoadStateDict.</summary>
    public Dictionary<string, Tensor> StateDict(Arena arena, params string[] keys) => keys.ToDictionary(k => k, k => Tensor(arena, k));

    /// <summary>Same shape, and every element within atol + rtol·|expected|.</summary>
    public void AssertClose(Tensor? actual, string key, string what, float atol = 1e-5f, float rtol = 1e-4f)
    {
        Assert.That(actual.HasValue, Is.True, $"{what}: no tensor");
        (int[] shape, float[] expected) = _tensors[key];
        Assert.That(actual!.Value.Shape.ToArray(), Is.EqualTo(shape), $"{what}: shape");
        float[] values = actual.Value.ToArray();
        for (int i = 0; i < expected.Length; i++)
            Assert.That(values[i], Is.EqualTo(expected[i]).Within(atol + rtol * Math.Abs(expected[i])), $"{what}[{i}] (reference {key})");
    }
}

/// <summary>
/// <c>Autograd.Jacobian</c>, <c>Hessian</c>, <c>Vjp</c>, <c>Jvp</c> and <c>Hvp</c> against PyTorch 1.13's
/// torch.autograd.functional (Golden/higher/functional_*.json and mlp_mse_hessian.json, from make_higher.py), with its
/// semantics: fresh inputs, no history without createGraph, zeros for outputs that do not depend on the input, and its
/// error messages. Also: Autograd.Grad's span overload allocates nothing after warm-up.
/// </summary>
[TestFixture]
public sealed class FunctionalTests
{
    /// <summary>One reference case: the vector function (Jacobian, Vjp, Jvp) and the scalar one (Hessian, Hvp),
    /// written as make_higher.py writes them.</summary>
    private static (TensorFunction Vector, TensorFunction Scalar) Functions(string name, Arena arena, HigherReference reference)
    {
        switch (name)
        {
            case "elementwise":
            {
                static Tensor F(Tensor t) => t.Tanh() * t + (t * 0.5f).Exp();
                return (t => F(t[0]), t => (F(t[0]) * F(t[0])).Mean());
            }
            case "matmul":
            {
                Tensor a = reference.Tensor(arena, "A"), b = reference.Tensor(arena, "B");
                return (t => t[0].MatMul(a).Sigmoid(), t => (t[0].MatMul(a).Sigmoid().MatMul(b) * t[0]).Sum());
            }
            case "linear":
            {
                Tensor a = reference.Tensor(arena, "A");
                return (t => t[0].MatMul(a), t => t[0].MatMul(a).Sum());
            }
            case "mlp":
            {
                // An Nn module whose parameters require grad: captured tensors, constants to the helpers.
                var mlp = new Mlp(arena, [3, 5, 2]);
                mlp.LoadStateDict(reference.StateDict(arena, "0.weight", "0.bias", "2.weight", "2.bias"));
                Tensor y = reference.Tensor(arena, "y");
                return (t => mlp.Forward(t[0]), t =>
                {
                    Tensor error = mlp.Forward(t[0]) - y;
                    return (error * error).Mean(); // MSE, written with ops whose graph rules exist
                });
            }
            default: throw new ArgumentException(name);
        }
    }

    private static readonly string[] Cases = ["elementwise", "matmul", "linear", "mlp"];

    [TestCaseSource(nameof(Cases))]
    public void Helpers_MatchTorchAutogradFunctional(string name)
    {
        var reference = new HigherReference("functional_" + name);
        using var arena = new Arena();
        (TensorFunction vector, TensorFunction scalar) = Functions(name, arena, reference);
        Tensor x = reference.Tensor(arena, "x");
        Tensor vOut = reference.Tensor(arena, "v_out"), vIn = reference.Tensor(arena, "v_in");

        Tensor jacobian = Autograd.Jacobian(vector, x);
        reference.AssertClose(jacobian, "jacobian", $"{name}: jacobian");

        (Tensor output, Tensor vjp) = Autograd.Vjp(vector, x, vOut);
        reference.AssertClose(output, "output", $"{name}: vjp output");
        reference.AssertClose(vjp, "vjp", $"{name}: vjp");

        (Tensor jvpOutput, Tensor jvp) = Autograd.Jvp(vector, x, vIn);
        reference.AssertClose(jvpOutput, "output", $"{name}: jvp output");
        reference.AssertClose(jvp, "jvp", $"{name}: jvp");

        Tensor hessian = Autograd.Hessian(scalar, x);
        reference.AssertClose(hessian, "hessian", $"{name}: hessian");

        (Tensor value, Tensor hvp) = Autograd.Hvp(scalar, x, vIn);
        reference.AssertClose(value, "scalar_output", $"{name}: hvp output");
        reference.AssertClose(hvp, "hvp", $"{name}: hvp");

        foreach (Tensor result in (Tensor[])[jacobian, output, vjp, jvpOutput, jvp, hessian, value, hvp])
            Assert.That(result.RequiresGrad, Is.False, $"{name}: without createGraph nothing returned has history");
    }

    [Test]
    public void Helpers_LeaveTheInputAndCapturedParametersAlone()
    {
        var reference = new HigherReference("functional_mlp");
        using var arena = new Arena();
        var mlp = new Mlp(arena, [3, 5, 2]);
        mlp.LoadStateDict(reference.StateDict(arena, "0.weight", "0.bias", "2.weight", "2.bias"));
        Tensor x = reference.Tensor(arena, "x", requiresGrad: true), v = reference.Tensor(arena, "v_in");
        reference.AssertClose(Autograd.Jacobian(t => mlp.Forward(t[0]), x), "jacobian", "jacobian at an input that requires grad");
        reference.AssertClose(Autograd.Jvp(t => mlp.Forward(t[0]), x, v).Jvp, "jvp", "jvp at an input that requires grad");
        Autograd.Hvp(t => mlp.Forward(t[0]).Sum(), x, v);
        Assert.That(x.Grad.HasValue, Is.False, "the helpers return gradients; they never accumulate into .grad");
        foreach (Tensor parameter in mlp.Parameters())
            Assert.That(parameter.Grad.HasValue, Is.False, "nor into the captured parameters' .grad");
    }

    [Test]
    public void Jacobian_OfInputAlsoCapturedByTheFunction_DifferentiatesOnlyTheArgument()
    {
        // PyTorch issue 32576: the function's argument is a new tensor, so the captured x is a constant: d(t·x)/dt = diag(x).
        using var arena = new Arena();
        Tensor x = arena.FromData([2f, 3f], [2], requiresGrad: true);
        Tensor jacobian = Autograd.Jacobian(t => t[0] * x, x);
        Assert.That(jacobian.ToArray(), Is.EqualTo(new[] { 2f, 0f, 0f, 3f }));
    }

    [Test]
    public void MlpMseLoss_HessianAndHvp_WithRespectToAFlattenedWeightAndToTheInput()
    {
        var reference = new HigherReference("mlp_mse_hessian");
        using var arena = new Arena();
        Tensor b1 = reference.Tensor(arena, "0.bias"), w2 = reference.Tensor(arena, "2.weight"), b2 = reference.Tensor(arena, "2.bias");
        Tensor w1 = reference.Tensor(arena, "0.weight"), x = reference.Tensor(arena, "x"), y = reference.Tensor(arena, "y");
        Tensor Loss(Tensor input, Tensor weight)
        {
            Tensor error = Functional.Linear(Functional.Linear(input, weight, b1).Tanh(), w2, b2) - y;
            return (error * error).Mean();
        }
        TensorFunction byWeight = t => Loss(x, t[0].Reshape(4, 3));
        TensorFunction byInput = t => Loss(t[0], w1);
        Tensor wFlat = w1.Reshape(-1);

        reference.AssertClose(Autograd.Hessian(byWeight, wFlat), "hessian_w", "Hessian by the weight");
        (Tensor loss, Tensor hvpW) = Autograd.Hvp(byWeight, wFlat, reference.Tensor(arena, "v_w"));
        reference.AssertClose(loss, "loss", "loss");
        reference.AssertClose(hvpW, "hvp_w", "Hvp by the weight");
        reference.AssertClose(Autograd.Hessian(byInput, x), "hessian_x", "Hessian by the input");
        reference.AssertClose(Autograd.Hvp(byInput, x, reference.Tensor(arena, "v_x")).Hvp, "hvp_x", "Hvp by the input");
    }

    [Test]
    public void Vjp_WithCreateGraph_IsDifferentiable_ItsGradientIsTheHvp()
    {
        // d/dx (∇f(x) · v) = H·v: the Vjp of the scalar function (v = 1 implied), differentiated once more.
        var reference = new HigherReference("functional_elementwise");
        using var arena = new Arena();
        TensorFunction scalar = Functions("elementwise", arena, reference).Scalar;
        Tensor x = reference.Tensor(arena, "x", requiresGrad: true), v = reference.Tensor(arena, "v_in");
        (Tensor output, Tensor gradient) = Autograd.Vjp(scalar, x, createGraph: true);
        Assert.That(output.RequiresGrad && gradient.RequiresGrad, Is.True, "createGraph keeps the history");
        reference.AssertClose(output, "scalar_output", "output");
        reference.AssertClose(Autograd.Grad((gradient * v).Sum(), x), "hvp", "d(∇f·v)/dx");
    }

    [Test]
    public void JvpAndHvp_WithCreateGraph_AreDifferentiableInTheInput()
    {
        // f = Σ x³: J·v of x³ (elementwise) is 3x²·v, whose gradient (summed) is 6x·v; H·v = 6x·v, whose gradient is 6v.
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, -2f, 0.5f], [3], requiresGrad: true), v = arena.FromData([1f, 2f, 3f], [3]);
        (_, Tensor jvp) = Autograd.Jvp(t => t[0] * t[0] * t[0], x, v, createGraph: true);
        Assert.That(jvp.ToArray(), Is.EqualTo(new[] { 3f, 24f, 2.25f }));
        Assert.That(Autograd.Grad(jvp.Sum(), x).ToArray(), Is.EqualTo(new[] { 6f, -24f, 9f }));

        (_, Tensor hvp) = Autograd.Hvp(t => (t[0] * t[0] * t[0]).Sum(), x, v, createGraph: true);
        Assert.That(hvp.ToArray(), Is.EqualTo(new[] { 6f, -24f, 9f }));
        Assert.That(Autograd.Grad(hvp.Sum(), x).ToArray(), Is.EqualTo(new[] { 6f, 12f, 18f }));
    }

    [Test]
    public void Hessian_WithCreateGraph_KeepsHistory_AndGivesTheSameValues()
    {
        var reference = new HigherReference("functional_matmul");
        using var arena = new Arena();
        TensorFunction scalar = Functions("matmul", arena, reference).Scalar;
        Tensor x = reference.Tensor(arena, "x", requiresGrad: true);
        Tensor hessian = Autograd.Hessian(scalar, x, createGraph: true);
        Assert.That(hessian.RequiresGrad, Is.True);
        reference.AssertClose(hessian, "hessian", "hessian with createGraph");
        Tensor jacobian = Autograd.Jacobian(Functions("matmul", arena, reference).Vector, x, createGraph: true);
        Assert.That(jacobian.RequiresGrad, Is.True);
        reference.AssertClose(jacobian, "jacobian", "jacobian with createGraph");
    }

    [Test]
    public void JacobianAndHessian_WithCreateGraph_CanBeDifferentiatedAgain()
    {
        // Needs Stack's graph rule (the rows are stacked as torch.stack does). f = x³ elementwise: J = diag(3x²), so
        // d(Σ J)/dx = 6x; g = Σ x³: H = diag(6x), so d(Σ H)/dx = 6.
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, -2f, 0.5f], [3], requiresGrad: true);
        Tensor jacobian = Autograd.Jacobian(t => t[0] * t[0] * t[0], x, createGraph: true);
        Assert.That(jacobian.ToArray(), Is.EqualTo(new[] { 3f, 0f, 0f, 0f, 12f, 0f, 0f, 0f, 0.75f }));
        Assert.That(Autograd.Grad(jacobian.Sum(), x).ToArray(), Is.EqualTo(new[] { 6f, -12f, 3f }));
        Tensor hessian = Autograd.Hessian(t => (t[0] * t[0] * t[0]).Sum(), x, createGraph: true);
        Assert.That(hessian.ToArray(), Is.EqualTo(new[] { 6f, 0f, 0f, 0f, -12f, 0f, 0f, 0f, 3f }));
        Assert.That(Autograd.Grad(hessian.Sum(), x).ToArray(), Is.EqualTo(new[] { 6f, 6f, 6f }));
    }

    [Test]
    public void OutputsThatDoNotDependOnTheInput_GiveZeros()
    {
        // strict=False: a constant output, or one that depends only on a captured tensor, has zero derivatives.
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f, 3f], [3]), c = arena.FromData([4f, 5f], [2], requiresGrad: true);
        TensorFunction captured = _ => c * 2f, constant = _ => arena.FromData([1f, 1f], [2]);
        foreach (TensorFunction f in (TensorFunction[])[captured, constant])
        {
            Tensor jacobian = Autograd.Jacobian(f, x);
            Assert.That(jacobian.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
            Assert.That(jacobian.ToArray(), Is.All.EqualTo(0f));
            Assert.That(Autograd.Vjp(f, x, arena.Ones([2])).Vjp.ToArray(), Is.EqualTo(new[] { 0f, 0f, 0f }));
            (Tensor output, Tensor jvp) = Autograd.Jvp(f, x, arena.Ones([3]));
            Assert.That(jvp.ToArray(), Is.EqualTo(new[] { 0f, 0f }));
            Assert.That(output.RequiresGrad, Is.False);
        }
        TensorFunction scalar = _ => (c * c).Sum();
        Assert.That(Autograd.Hessian(scalar, x).ToArray(), Is.All.EqualTo(0f));
        Assert.That(Autograd.Hvp(scalar, x, arena.Ones([3])).Hvp.ToArray(), Is.EqualTo(new[] { 0f, 0f, 0f }));
        Assert.That(c.Grad.HasValue, Is.False);
    }

    [Test]
    public void ScalarInput_VMayBeOmitted()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([2f], [1]);
        Assert.That(Autograd.Jvp(t => t[0] * t[0] * t[0], x).Jvp.ToArray(), Is.EqualTo(new[] { 12f }));
        Assert.That(Autograd.Hvp(t => (t[0] * t[0] * t[0]).Sum(), x).Hvp.ToArray(), Is.EqualTo(new[] { 12f }));
        Assert.That(Autograd.Vjp(t => (t[0] * t[0]).Sum(), x).Vjp.ToArray(), Is.EqualTo(new[] { 4f }));
        Assert.That(Autograd.Hessian(t => (t[0] * t[0] * t[0]).Sum(), x).Shape.ToArray(), Is.EqualTo(new[] { 1, 1 }));
    }

    [Test]
    public void Errors_ArePyTorchs()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f, 3f, 4f, 5f, 6f], [2, 3]);
        TensorFunction f = t => t[0] * 2f;
        Assert.That(Assert.Throws<ArgumentException>(() => Autograd.Vjp(f, x, arena.Ones([3])))!.Message,
            Does.StartWith("v has invalid size: should be torch.Size([2, 3]) but got torch.Size([3])."));
        Assert.That(Assert.Throws<ArgumentException>(() => Autograd.Jvp(f, x, arena.Ones([6])))!.Message,
            Does.StartWith("v has invalid size: should be torch.Size([2, 3]) but got torch.Size([6])."));
        Assert.That(Assert.Throws<ArgumentException>(() => Autograd.Hvp(t => t[0].Sum(), x, arena.Ones([3, 2])))!.Message,
            Does.StartWith("v has invalid size: should be torch.Size([2, 3]) but got torch.Size([3, 2])."));
        Assert.That(Assert.Throws<InvalidOperationException>(() => Autograd.Vjp(f, x))!.Message, Is.EqualTo(
            "The vector v can only be None if the user-provided function returns a single Tensor with a single element."));
        Assert.That(Assert.Throws<InvalidOperationException>(() => Autograd.Jvp(f, x))!.Message, Is.EqualTo(
            "The vector v can only be None if the input to the user-provided function is a single Tensor with a single element."));
        Assert.That(Assert.Throws<InvalidOperationException>(() => Autograd.Hessian(f, x))!.Message,
            Is.EqualTo("The Tensor returned by the function given to hessian should contain a single element"));
        Assert.That(Assert.Throws<InvalidOperationException>(() => Autograd.Hvp(f, x, arena.Ones([2, 3])))!.Message,
            Is.EqualTo("The Tensor returned by the function given to hvp should contain a single element"));
    }

    private static readonly Tensor?[] s_results = new Tensor?[2];

    [Test, NonParallelizable]
    public void GradSpanOverload_WithoutCreateGraph_AllocatesZeroManagedBytes()
    {
        using var arena = new Arena();
        Tensor w = arena.FromData([0.5f, -1f, 2f, 0.25f, 1.5f, -0.75f], [2, 3], requiresGrad: true);
        Tensor b = arena.FromData([0.1f, -0.2f], [2], requiresGrad: true);
        Tensor x = arena.FromData([1f, 2f, -1f, 0.5f, 0f, 3f, -2f, 1f, 0.25f, 1f, 1f, -1f], [4, 3]);
        Assert.That(() => GradStep(arena, x, w, b), Allocates.Nothing);
        GradStep(arena, x, w, b);
        Assert.That(w.Grad.HasValue, Is.False);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void GradStep(Arena arena, Tensor x, Tensor w, Tensor b)
    {
        using (arena.Scope())
        {
            Tensor loss = Functional.Linear(x, w, b).Tanh().Mean();
            ReadOnlySpan<Tensor> parameters = [w, b];
            Autograd.Grad(new ReadOnlySpan<Tensor>(in loss), parameters, default, s_results);
            if (!s_results[0].HasValue || !s_results[1].HasValue) throw new InvalidOperationException("no gradient");
        }
    }
}
