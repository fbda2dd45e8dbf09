using ArenaGrad.IO;
using ArenaGrad.Nn;
using static ArenaGrad.Onnx.Tests.OnnxTestSupport;

namespace ArenaGrad.Onnx.Tests;

/// <summary>Onnx.Save of the layers of issue 18: ONNX Runtime runs each written file to the module's output (in
/// evaluation mode), and Onnx.Load reads it back to the same numbers.</summary>
public sealed class LayerExportTests
{
    private static TestCaseData Case(string name, Func<Arena, Module> make, params int[] shape) =>
        new TestCaseData(make, shape, false).SetName($"Save_{name}");

    private static IEnumerable<TestCaseData> Models()
    {
        yield return Case("Conv2dRelu", a => new Sequential(new Conv2d(a, 3, 4, 3, stride: 2, padding: 1), new Relu()), 2, 3, 9, 9);
        yield return Case("Conv2dGroupedDilatedWithoutBias", a => new Conv2d(a, 4, 6, (3, 2), (1, 2), (2, 1), (2, 1), groups: 2, bias: false), 2, 4, 8, 7);
        yield return Case("Conv1d", a => new Conv1d(a, 4, 6, 3, padding: 2, dilation: 2, groups: 2), 2, 4, 10);
        yield return Case("MaxPool2d", _ => new MaxPool2d(3, 2, 1), 2, 3, 9, 9);
        yield return Case("AvgPool2dPadded", _ => new AvgPool2d(3, 2, 1), 2, 3, 9, 9);
        yield return Case("AdaptiveAvgPool2dToOne", _ => new Sequential(new AdaptiveAvgPool2d(1), new Flatten()), 2, 3, 5, 4);
        yield return Case("AdaptiveAvgPool2dDividing", _ => new AdaptiveAvgPool2d((2, 3)), 2, 3, 4, 6);
        yield return Case("BatchNorm2d", a => new BatchNorm2d(a, 3), 4, 3, 4, 4);
        yield return Case("BatchNorm1d", a => new Sequential(new Linear(a, 4, 5), new BatchNorm1d(a, 5, eps: 1e-3f)), 6, 4);
        yield return Case("BatchNorm1dOnSequencesWithoutAffine", a => new BatchNorm1d(a, 5, affine: false), 4, 5, 3);
        yield return Case("LayerNorm", a => new LayerNorm(a, [6]), 2, 3, 6);
        yield return Case("LayerNormTwoDimsWithoutAffine", a => new LayerNorm(a, [3, 6], eps: 1e-4f, elementwiseAffine: false), 2, 3, 6);
        yield return Case("NatureCnn", a => new Sequential(
            new Conv2d(a, 4, 8, 8, stride: 4), new Relu(), new Conv2d(a, 8, 16, 4, stride: 2), new Relu(), new Conv2d(a, 16, 16, 3), new Relu(),
            new Flatten(), new Linear(a, 16, 32), new Relu(), new Linear(a, 32, 6)), 2, 4, 36, 36);
        yield return Case("Gru", a => new GRU(a, 4, 5), 6, 2, 4);
        yield return Case("GruWithoutBias", a => new GRU(a, 4, 5, bias: false), 6, 2, 4);
        yield return Case("LstmTwoLayersBatchFirst", a => new LSTM(a, 4, 5, numLayers: 2, batchFirst: true), 2, 6, 4);
        yield return Case("LstmThenLinear", a => new Sequential(new LSTM(a, 3, 4), new Linear(a, 4, 2)), 5, 3, 3);
        yield return new TestCaseData((Func<Arena, Module>)(a => new Sequential(new Embedding(a, 12, 5), new GRU(a, 5, 6, batchFirst: true), new Linear(a, 6, 3))),
            new[] { 2, 7 }, true).SetName("Save_EmbeddingGruLinear");
        yield return new TestCaseData((Func<Arena, Module>)(a => new Embedding(a, 10, 4, paddingIdx: 0)), new[] { 3, 4 }, true).SetName("Save_Embedding");
    }

    [TestCaseSource(nameof(Models))]
    public void OnnxRuntimeAndReimportReproduceTheLayer(Func<Arena, Module> make, int[] shape, bool tokens)
    {
        using var arena = new Arena(new ArenaOptions { Seed = 7 });
        Module model = make(arena);
        int count = shape.Aggregate(1, (a, b) => a * b);
        float[] data = Values(count, seed: 13);
        int[] ids = data.Select(v => (int)((v + 2) * 2.5f) % 10).ToArray(); // 0..9, every table has at least 10 rows
        Tensor input = tokens ? arena.FromData(ids, shape) : arena.FromData(data, shape);
        using (arena.NoGrad()) // one training-mode pass moves the batch norms' running statistics off 0 and 1
        using (arena.Scope())
            model.Forward(input);
        model.Eval();
        float[] expected;
        using (arena.Scope()) expected = model.Forward(input).ToArray();
        string path = Path.Combine(Path.GetTempPath(), $"arenagrad_{Guid.NewGuid():N}.onnx");
        try
        {
            IO.Onnx.Save(model, input, path);

            byte[] file = File.ReadAllBytes(path);
            (float[] runtime, _) = tokens ? RunOnnxRuntime(file, ids.Select(i => (long)i).ToArray(), shape) : RunOnnxRuntime(file, data, shape);
            AssertClose(runtime, expected, "ONNX Runtime");

            Module reloaded = IO.Onnx.Load(arena, path);
            using (arena.Scope()) AssertClose(reloaded.Forward(input).ToArray(), expected, "Onnx.Load");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A recurrent model's batch and sequence axes are both dynamic: ONNX Runtime runs the file on other sizes.</summary>
    [TestCase(false)]
    [TestCase(true)]
    public void Save_RecurrentModel_OnnxRuntimeTakesOtherBatchAndSequenceSizes(bool batchFirst)
    {
        using var arena = new Arena(new ArenaOptions { Seed = 8 });
        var model = new Sequential(new LSTM(arena, 3, 4, batchFirst: batchFirst), new Linear(arena, 4, 2));
        string path = Path.Combine(Path.GetTempPath(), $"arenagrad_{Guid.NewGuid():N}.onnx");
        try
        {
            IO.Onnx.Save(model, arena.Zeros(batchFirst ? [2, 5, 3] : [5, 2, 3]), path);
            int[] shape = batchFirst ? [3, 7, 3] : [7, 3, 3];
            float[] data = Values(63, seed: 5);
            float[] expected = model.Forward(arena.FromData(data, shape)).ToArray();

            (float[] runtime, int[] outShape) = RunOnnxRuntime(File.ReadAllBytes(path), data, shape);

            Assert.That(outShape, Is.EqualTo(new[] { shape[0], shape[1], 2 }));
            AssertClose(runtime, expected, "ONNX Runtime");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Save_AdaptiveAvgPoolThatDoesNotDivide_ThrowsNotSupportedNamingIt()
    {
        using var arena = new Arena();
        Assert.That(() => IO.Onnx.Save(new AdaptiveAvgPool2d(3), arena.Zeros([1, 2, 5, 5]), Path.Combine(Path.GetTempPath(), "never.onnx")),
            Throws.TypeOf<NotSupportedException>().With.Message.Contains("AdaptiveAvgPool2d((3, 3))"));
    }

    [Test]
    public void Save_BatchNormWithoutRunningStats_ThrowsNotSupported()
    {
        using var arena = new Arena();
        Assert.That(() => IO.Onnx.Save(new BatchNorm1d(arena, 3, trackRunningStats: false), arena.Zeros([2, 3]), Path.Combine(Path.GetTempPath(), "never.onnx")),
            Throws.TypeOf<NotSupportedException>().With.Message.Contains("running statistics"));
    }
}
