using System.Text.Json;
using ArenaGrad.IO;
using ArenaGrad.Nn;

namespace ArenaGrad.Tests.IO;

/// <summary>The interop check end to end: PyTorch's mlp.safetensors loaded into the reference Sequential
/// through LoadStateDict reproduces mlp_case.json (output, loss, every parameter gradient); and a model's
/// StateDict saved and loaded back restores it.</summary>
public sealed class SafetensorsModelTests
{
    private static JsonElement Json(string file)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(SafetensorsTests.DataPath(file)));
        return document.RootElement.Clone();
    }

    private static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => e.GetSingle()).ToArray();

    private static Sequential ReferenceModel(Arena arena) =>
        new(new Linear(arena, 6, 16), new Tanh(), new Linear(arena, 16, 16), new Relu(), new Linear(arena, 16, 3));

    [Test]
    public void LoadStateDict_FromPyTorchSafetensors_ReproducesMlpCase()
    {
        using var arena = new Arena();
        Sequential model = ReferenceModel(arena);
        model.LoadStateDict(Safetensors.Load(arena, SafetensorsTests.DataPath("mlp.safetensors")));
        JsonElement mlpCase = Json("mlp_case.json");
        Tensor input = arena.FromData(Floats(mlpCase.GetProperty("input").GetProperty("data")), [8, 6]);
        int[] targets = mlpCase.GetProperty("targets").EnumerateArray().Select(e => e.GetInt32()).ToArray();

        Tensor output = model.Forward(input);
        Tensor loss = Functional.CrossEntropy(output, targets);
        loss.Backward();

        Assert.That(output.ToArray(), Is.EqualTo(Floats(mlpCase.GetProperty("output").GetProperty("data"))).Within(1e-6f), "output");
        Assert.That(loss.Item(), Is.EqualTo(mlpCase.GetProperty("loss").GetSingle()).Within(1e-6f), "loss");
        foreach (NamedTensor parameter in model.NamedParameters())
            Assert.That(parameter.Value.Grad!.Value.ToArray(),
                Is.EqualTo(Floats(mlpCase.GetProperty("grads").GetProperty(parameter.Name).GetProperty("data"))).Within(1e-6f), parameter.Name);
    }

    [Test]
    public void SaveStateDict_ThenLoadIntoFreshModel_RestoresEveryParameter()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 5 });
        Sequential trained = ReferenceModel(arena);
        using var stream = new MemoryStream();
        Safetensors.Save(stream, trained.StateDict(), new Dictionary<string, string> { ["format"] = "pt" });

        arena.ManualSeed(99);
        Sequential fresh = ReferenceModel(arena);
        Assert.That(fresh.Parameters()[0].ToArray(), Is.Not.EqualTo(trained.Parameters()[0].ToArray()), "a different initialization");
        stream.Position = 0;
        fresh.LoadStateDict(Safetensors.Load(arena, stream));
        for (int i = 0; i < trained.Parameters().Count; i++)
            Assert.That(fresh.Parameters()[i].ToArray(), Is.EqualTo(trained.Parameters()[i].ToArray()), trained.NamedParameters()[i].Name);
    }
}
