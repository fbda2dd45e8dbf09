using System.Text.Json;
using ArenaGrad.Nn;
using ArenaGrad.Tests.Optim;

namespace ArenaGrad.Tests.Nn;

/// <summary>mlp_case.json (PyTorch 1.13.1): the reference Sequential with the weights of mlp.safetensors reproduces the
/// output, the mean cross-entropy and every parameter's gradient.</summary>
public sealed class MlpCaseTests
{
    [Test]
    public void ForwardLossAndGradients_MatchPyTorch()
    {
        JsonElement mlpCase = InteropData.Load("mlp_case.json");
        using var arena = new Arena();
        Sequential model = InteropData.Model(arena);
        model.LoadStateDict(InteropData.State(arena, model, InteropData.Load("optim_sgd.json").GetProperty("start")));
        (Tensor input, int[] targets) = InteropData.Batch(arena);

        Tensor output = model.Forward(input);
        Tensor loss = Functional.CrossEntropy(output, targets);
        loss.Backward();

        Assert.That(output.Shape.ToArray(), Is.EqualTo(InteropData.Ints(mlpCase.GetProperty("output").GetProperty("shape"))));
        InteropData.AssertClose(output.AsSpanUnsafely(), InteropData.Doubles(mlpCase.GetProperty("output").GetProperty("data")), "output");
        InteropData.AssertClose([loss.Item()], [mlpCase.GetProperty("loss").GetDouble()], "loss");
        foreach (NamedTensor parameter in model.NamedParameters())
        {
            JsonElement expected = mlpCase.GetProperty("grads").GetProperty(parameter.Name);
            Assert.That(parameter.Value.Shape.ToArray(), Is.EqualTo(InteropData.Ints(expected.GetProperty("shape"))), parameter.Name);
            InteropData.AssertClose(parameter.Value.Grad!.Value.AsSpanUnsafely(), InteropData.Doubles(expected.GetProperty("data")), $"grad {parameter.Name}");
        }
    }

    [Test]
    public void Mlp_WithReluActivation_HasTheReferenceModelsNamesAndShapes()
    {
        using var arena = new Arena();
        var mlp = new Mlp(arena, [6, 16, 16, 3], () => new Relu());
        Assert.That(mlp.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias" }));
        Assert.That(mlp.NamedParameters().Select(p => string.Join("x", p.Value.Shape.ToArray())),
            Is.EqualTo(new[] { "16x6", "16", "16x16", "16", "3x16", "3" }));
        Assert.That(mlp.Count, Is.EqualTo(5));
        Assert.That(mlp[1], Is.TypeOf<Relu>());
        Assert.That(mlp[3], Is.TypeOf<Relu>());
        Assert.That(mlp[4], Is.TypeOf<Linear>());
    }
}
