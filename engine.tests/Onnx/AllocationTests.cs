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
}
