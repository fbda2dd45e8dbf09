using System.Text.Json;
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
}
