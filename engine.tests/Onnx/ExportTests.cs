using ArenaGrad.IO;
using ArenaGrad.Nn;
using static ArenaGrad.Onnx.Tests.OnnxTestSupport;

namespace ArenaGrad.Onnx.Tests;

/// <summary>Onnx.Save: ONNX Runtime runs the written file to ArenaGrad's outputs, and Onnx.Load reads it back.</summary>
public sealed class ExportTests
{
    private static IEnumerable<TestCaseData> Models()
    {
        yield return new TestCaseData((Func<Arena, Module>)(a => new Mlp(a, [6, 16, 16, 3])), new[] { 5, 6 }).SetName("Save_Mlp_{m}");
        yield return new TestCaseData((Func<Arena, Module>)(a => new Sequential(new Linear(a, 4, 8), new Relu(), new Dropout(0.3f),
            new Linear(a, 8, 8, bias: false), new Sigmoid(), new Linear(a, 8, 5), new LeakyRelu(0.2f), new Softmax(1))), new[] { 3, 4 })
            .SetName("Save_SequentialOfEverySupportedLayer_{m}");
        yield return new TestCaseData((Func<Arena, Module>)(a => new Sequential(new Flatten(), new Linear(a, 12, 4), new Tanh())), new[] { 2, 3, 4 })
            .SetName("Save_FlattenThenLinear_{m}");
        yield return new TestCaseData((Func<Arena, Module>)(a => new Sequential(new Flatten(2), new Linear(a, 4, 3), new Sequential(new Relu(), new Linear(a, 3, 2)))),
            new[] { 2, 3, 2, 2 }).SetName("Save_FlattenFromDim2AndLinearOnRank3_{m}");
        yield return new TestCaseData((Func<Arena, Module>)(a => new Linear(a, 3, 2)), new[] { 4, 3 }).SetName("Save_BareLinear_{m}");
    }

    [TestCaseSource(nameof(Models))]
    public void OnnxRuntimeAndReimportReproduceTheModel(Func<Arena, Module> make, int[] shape)
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        Module model = make(arena);
        model.Eval();
        float[] data = Values(shape.Aggregate(1, (a, b) => a * b), seed: 11);
        Tensor input = arena.FromData(data, shape);
        float[] expected = model.Forward(input).ToArray();
        string path = Path.Combine(Path.GetTempPath(), $"arenagrad_{Guid.NewGuid():N}.onnx");
        try
        {
            IO.Onnx.Save(model, input, path);

            (float[] runtime, _) = RunOnnxRuntime(File.ReadAllBytes(path), data, shape);
            AssertClose(runtime, expected, "ONNX Runtime");

            Module reloaded = IO.Onnx.Load(arena, path);
            AssertClose(reloaded.Forward(input).ToArray(), expected, "Onnx.Load");
            Assert.That(reloaded.NamedParameters().Select(p => p.Name), Is.EquivalentTo(model.StateDict().Select(p => p.Name)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Save_BatchAxisIsDynamic_OnnxRuntimeTakesAnotherBatchSize()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 5 });
        var model = new Mlp(arena, [4, 8, 2]);
        string path = Path.Combine(Path.GetTempPath(), $"arenagrad_{Guid.NewGuid():N}.onnx");
        try
        {
            IO.Onnx.Save(model, arena.Zeros([1, 4]), path);
            float[] data = Values(7 * 4, seed: 2);
            float[] expected = model.Forward(arena.FromData(data, [7, 4])).ToArray();

            (float[] runtime, int[] outShape) = RunOnnxRuntime(File.ReadAllBytes(path), data, [7, 4]);

            Assert.That(outShape, Is.EqualTo(new[] { 7, 2 }));
            AssertClose(runtime, expected, "ONNX Runtime");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Save_UnsupportedModule_ThrowsNotSupportedNamingIt()
    {
        using var arena = new Arena();
        var model = new Sequential(new Linear(arena, 2, 2), new Unsupported());
        string path = Path.Combine(Path.GetTempPath(), $"arenagrad_{Guid.NewGuid():N}.onnx");
        Assert.That(() => IO.Onnx.Save(model, arena.Zeros([1, 2]), path),
            Throws.TypeOf<NotSupportedException>().With.Message.Contains("Unsupported"));
        Assert.That(File.Exists(path), Is.False);
    }

    private sealed class Unsupported : Module
    {
        public override Tensor Forward(Tensor input) => input;
    }
}
