using System.Text.Json;
using ArenaGrad.IO;
using ArenaGrad.Nn;
using ArenaGrad.Optim;
using ArenaGrad.Tests.Optim;
using static ArenaGrad.Onnx.Tests.OnnxTestSupport;

namespace ArenaGrad.Onnx.Tests;

/// <summary>mlp.onnx, written by torch.onnx.export (PyTorch 1.13.1), against the numbers of mlp_case.json.</summary>
public sealed class TorchExportTests
{
    [Test]
    public void Load_TorchExport_NamesParametersAsTheInitializers()
    {
        using var arena = new Arena();
        Module model = IO.Onnx.Load(arena, DataPath("mlp.onnx"));
        Assert.That(model.NamedParameters().Select(p => p.Name), Is.EquivalentTo(new[] { "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias" }));
        Assert.That(model.NamedParameters().Single(p => p.Name == "0.weight").Value.Shape.ToArray(), Is.EqualTo(new[] { 16, 6 }));
        Assert.That(model.Parameters().All(p => p.RequiresGrad), Is.True);
        Assert.That(((OnnxModule)model).OpsetVersion, Is.EqualTo(17));
    }

    [Test]
    public void Forward_TorchExport_MatchesPyTorchsOutput()
    {
        JsonElement mlpCase = Case();
        using var arena = new Arena();
        Module model = IO.Onnx.Load(arena, DataPath("mlp.onnx"));
        Tensor input = arena.FromData(Floats(mlpCase.GetProperty("input").GetProperty("data")), Ints(mlpCase.GetProperty("input").GetProperty("shape")));

        Tensor output = model.Forward(input);

        Assert.That(output.Shape.ToArray(), Is.EqualTo(Ints(mlpCase.GetProperty("output").GetProperty("shape"))));
        AssertClose(output.AsSpanUnsafely(), Floats(mlpCase.GetProperty("output").GetProperty("data")), "output");
    }

    [Test]
    public void Backward_TorchExportUnderCrossEntropy_GivesPyTorchsGradientsByOnnxName()
    {
        JsonElement mlpCase = Case();
        using var arena = new Arena();
        Module model = IO.Onnx.Load(arena, DataPath("mlp.onnx"));
        Tensor input = arena.FromData(Floats(mlpCase.GetProperty("input").GetProperty("data")), Ints(mlpCase.GetProperty("input").GetProperty("shape")));

        Tensor loss = Functional.CrossEntropy(model.Forward(input), Ints(mlpCase.GetProperty("targets")));
        loss.Backward();

        AssertClose([loss.Item()], [mlpCase.GetProperty("loss").GetSingle()], "loss");
        foreach (NamedTensor parameter in model.NamedParameters())
        {
            JsonElement expected = mlpCase.GetProperty("grads").GetProperty(parameter.Name);
            Assert.That(parameter.Value.Shape.ToArray(), Is.EqualTo(Ints(expected.GetProperty("shape"))), parameter.Name);
            AssertClose(parameter.Value.Grad!.Value.AsSpanUnsafely(), Floats(expected.GetProperty("data")), $"grad {parameter.Name}");
        }
    }

    [Test]
    public void Forward_TorchExport_AgreesWithOnnxRuntime()
    {
        JsonElement mlpCase = Case();
        float[] data = Floats(mlpCase.GetProperty("input").GetProperty("data"));
        using var arena = new Arena();
        Module model = IO.Onnx.Load(arena, DataPath("mlp.onnx"));

        (float[] expected, int[] shape) = RunOnnxRuntime(File.ReadAllBytes(DataPath("mlp.onnx")), data, [8, 6]);
        Tensor output = model.Forward(arena.FromData(data, [8, 6]));

        Assert.That(output.Shape.ToArray(), Is.EqualTo(shape));
        AssertClose(output.AsSpanUnsafely(), expected, "output");
    }

    /// <summary>Fine-tuning the imported model: 25 SGD steps (lr 0.1) reproduce optim_sgd.json, PyTorch's run of the
    /// same model from the same weights, loss by loss and parameter by parameter.</summary>
    [Test]
    public void FineTune_TorchExportWithSgd_FollowsPyTorchsTrajectory()
    {
        JsonElement mlpCase = Case();
        JsonElement run = JsonDocument.Parse(File.ReadAllText(DataPath("optim_sgd.json"))).RootElement;
        using var arena = new Arena();
        Module model = IO.Onnx.Load(arena, DataPath("mlp.onnx"));
        Tensor input = arena.FromData(Floats(mlpCase.GetProperty("input").GetProperty("data")), [8, 6]);
        int[] targets = Ints(mlpCase.GetProperty("targets"));
        var optimizer = new Sgd(model.Parameters(), lr: run.GetProperty("settings").GetProperty("lr").GetSingle());

        int steps = run.GetProperty("steps").GetInt32();
        float[] losses = CrossEntropySteps.Run(arena, model, optimizer, input, targets, steps);

        AssertClose(losses, Floats(run.GetProperty("losses")), "losses");
        foreach (NamedTensor parameter in model.NamedParameters())
            AssertClose(parameter.Value.AsSpanUnsafely(), Floats(run.GetProperty("final").GetProperty(parameter.Name)), $"final {parameter.Name}");
    }
}
