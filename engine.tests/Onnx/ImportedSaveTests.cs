using ArenaGrad.IO;
using ArenaGrad.IO.OnnxFormat;
using ArenaGrad.Nn;
using ArenaGrad.Optim;
using static ArenaGrad.Onnx.Tests.OnnxTestSupport;

namespace ArenaGrad.Onnx.Tests;

/// <summary><c>Onnx.Save</c> of a module that <c>Onnx.Load</c> made: fine-tune an imported model and write it back.</summary>
public sealed class ImportedSaveTests
{
    private static string TempFile() => Path.Combine(Path.GetTempPath(), $"arenagrad-{Guid.NewGuid():N}.onnx");

    [Test]
    public void Save_AfterFineTuning_WritesTheNewWeightsThatOnnxRuntimeAndLoadBothRun()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        Module model = IO.Onnx.Load(arena, DataPath("mlp.onnx"));
        Tensor input = arena.FromData(Values(5 * 6, seed: 11), [5, 6]);
        float[] before = model.Forward(input).ToArray();
        var optimizer = new Sgd(model.Parameters(), 0.5f);
        for (int step = 0; step < 3; step++)
        {
            optimizer.ZeroGrad();
            using (arena.Scope()) Functional.CrossEntropy(model.Forward(input), [0, 1, 2, 0, 1]).Backward();
            optimizer.Step();
        }
        float[] tuned = model.Forward(input).ToArray();
        Assert.That(tuned, Is.Not.EqualTo(before), "the steps changed the model");

        string path = TempFile();
        try
        {
            IO.Onnx.Save(model, input, path);
            byte[] saved = File.ReadAllBytes(path);
            (float[] fromRuntime, int[] shape) = RunOnnxRuntime(saved, input.ToArray(), [5, 6]);
            Assert.That(shape, Is.EqualTo(new[] { 5, 3 }));
            AssertClose(fromRuntime, tuned, "ONNX Runtime on the saved model");

            using var other = new Arena();
            Module reloaded = Load(other, saved);
            Assert.That(reloaded.Forward(other.FromData(input.ToArray(), [5, 6])).ToArray(), Is.EqualTo(tuned), "the same ops on the same weights");
            Assert.That(reloaded.NamedParameters().Select(p => p.Name), Is.EqualTo(model.NamedParameters().Select(p => p.Name)));
            Assert.That(((OnnxModule)reloaded).OpsetVersion, Is.EqualTo(((OnnxModule)model).OpsetVersion), "written back as it was read");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Save_ImportedGraphWithConstantsAndBoolValues_KeepsEveryNode()
    {
        // A graph with a Constant-free float initializer that is a parameter, an int64 shape initializer and a Bool
        // comparison: the saved file must still hold the shape and the comparison.
        GraphProto graph = Graph("x", [2, 3], "y",
            Node("Reshape", ["x", "shape"], "r"),
            Node("Mul", ["r", "w"], "m"),
            Node("Greater", ["m", "zero"], "mask"),
            Node("Where", ["mask", "m", "zero"], "y"));
        graph.Initializer.Add(LongTensor("shape", 3, 2));
        graph.Initializer.Add(FloatTensor("w", [2], [0.5f, -2f]));
        graph.Initializer.Add(FloatTensor("zero", [], [0f]));
        graph.Output[0] = Info("y", [3, 2]);
        byte[] model = Model(graph);

        using var arena = new Arena();
        Module module = Load(arena, model);
        using (arena.NoGrad()) module.NamedParameters().Single(p => p.Name == "w").Value.CopyFrom(arena.FromData([3f, -1f], [2]));
        Tensor input = arena.FromData(Values(6, seed: 2), [2, 3]);
        float[] expected = module.Forward(input).ToArray();

        string path = TempFile();
        try
        {
            IO.Onnx.Save(module, input, path);
            byte[] saved = File.ReadAllBytes(path);
            AssertClose(RunOnnxRuntime(saved, input.ToArray(), [2, 3]).Values, expected, "ONNX Runtime");
            using var other = new Arena();
            Assert.That(Load(other, saved).Forward(other.FromData(input.ToArray(), [2, 3])).ToArray(), Is.EqualTo(expected));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Save_ImportedModule_WithASampleThatDoesNotFit_ThrowsAndWritesNothing()
    {
        using var arena = new Arena();
        Module model = IO.Onnx.Load(arena, DataPath("mlp.onnx"));
        string path = TempFile();
        Assert.Throws<ArgumentException>(() => IO.Onnx.Save(model, arena.Zeros([2, 5]), path));
        Assert.That(File.Exists(path), Is.False);
    }

    [Test]
    public void Save_ImportedModuleInsideASequential_IsRefusedByName()
    {
        using var arena = new Arena();
        Module imported = IO.Onnx.Load(arena, DataPath("mlp.onnx"));
        var model = new Sequential(imported, new Relu());
        string path = TempFile();
        var error = Assert.Throws<NotSupportedException>(() => IO.Onnx.Save(model, arena.Zeros([2, 6]), path))!;
        Assert.That(error.Message, Does.Contain("Onnx.Save cannot write a OnnxModule").And.Contain("saved on its own"));
        Assert.That(File.Exists(path), Is.False);
    }
}
