using System.Text.Json;
using ArenaGrad.IO.OnnxFormat;
using ArenaGrad.Nn;
using ArenaGrad.Testing;
using static ArenaGrad.Onnx.Tests.OnnxTestSupport;

namespace ArenaGrad.Onnx.Tests;

public sealed class AllocationTests
{
    [Test]
    public void ForwardBackward_ImportedTorchExportInScope_AllocatesZeroManagedBytes()
    {
        JsonElement mlpCase = Case();
        using var arena = new Arena();
        Module model = IO.Onnx.Load(arena, DataPath("mlp.onnx"));
        Tensor input = arena.FromData(Floats(mlpCase.GetProperty("input").GetProperty("data")), [8, 6]);
        int[] targets = Ints(mlpCase.GetProperty("targets"));

        Assert.That(() =>
        {
            using (arena.Scope())
            {
                Functional.CrossEntropy(model.Forward(input), targets).Backward();
            }
            model.ZeroGrad();
        }, Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    /// <summary>Bool values between nodes (Less, Not, And with a BOOL initializer) and Where's masked backward allocate
    /// nothing managed either.</summary>
    [Test]
    public void ForwardBackward_ImportedWhereGraphInScope_AllocatesZeroManagedBytes()
    {
        GraphProto graph = Graph("x", [4, 3], "y",
            Node("Less", ["x", "c"], "lt"),
            Node("Not", ["lt"], "ge"),
            Node("And", ["ge", "m"], "keep"),
            Node("Where", ["keep", "x", "d"], "w"),
            Node("Relu", ["w"], "y"));
        graph.Initializer.Add(FloatTensor("c", [3], [0f, 0.5f, -0.5f]));
        graph.Initializer.Add(new TensorProto
        {
            Name = "m", DataType = (int)TensorProto.Types.DataType.Bool, Dims = { 4, 1 }, Int32Data = { 1, 0, 1, 1 },
        });
        graph.Initializer.Add(FloatTensor("d", [3], [1f, -2f, 3f]));
        using var arena = new Arena();
        Module model = Load(arena, Model(graph));
        Tensor input = arena.FromData(Values(12, seed: 3), [4, 3], requiresGrad: true);

        Assert.That(() =>
        {
            using (arena.Scope())
            {
                model.Forward(input).Sum().Backward();
            }
            model.ZeroGrad();
            input.ZeroGrad();
        }, Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }

    /// <summary>The layer operators (issue 18) in steady state: a torch-exported Nature CNN (Conv, Relu, Flatten, Gemm), an
    /// embedding + GRU + linear model (Gather of Int32 ids, the GRU's gate reordering and per-step cells), a two-layer
    /// batch-first LSTM, torch's Pad + AveragePool, and batch and layer norms: forward and backward allocate nothing managed.</summary>
    [TestCase("nature_cnn")]
    [TestCase("embedding_gru_linear")]
    [TestCase("lstm_2layers_batchfirst")]
    [TestCase("avgpool2d")]
    [TestCase("batchnorm2d")]
    [TestCase("layernorm_2d")]
    [TestCase("maxpool2d")]
    [TestCase("global_avgpool")]
    public void ForwardBackward_ImportedLayerExportInScope_AllocatesZeroManagedBytes(string name)
    {
        JsonElement input = JsonDocument.Parse(File.ReadAllText(DataPath(name + ".json"))).RootElement.GetProperty("input");
        int[] shape = Ints(input.GetProperty("shape"));
        using var arena = new Arena();
        Module model = IO.Onnx.Load(arena, DataPath(name + ".onnx"));
        Tensor x = input.GetProperty("dtype").GetString() == "int64"
            ? arena.FromData(Ints(input.GetProperty("data")), shape)
            : arena.FromData(Floats(input.GetProperty("data")), shape, requiresGrad: true);

        Assert.That(() =>
        {
            using (arena.Scope())
            {
                model.Forward(x).Square().Sum().Backward();
            }
            model.ZeroGrad();
            if (x.RequiresGrad) x.ZeroGrad();
        }, Allocates.Nothing & Allocates.NoNativeGrowth(arena));
    }
}
