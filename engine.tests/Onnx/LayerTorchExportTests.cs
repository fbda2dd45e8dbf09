using System.Text.Json;
using ArenaGrad.IO;
using ArenaGrad.Nn;
using static ArenaGrad.Onnx.Tests.OnnxTestSupport;

namespace ArenaGrad.Onnx.Tests;

/// <summary>The layer models of issue 18 as torch.onnx.export (PyTorch 1.13, opset 17) writes them (make_layer_models.py):
/// Onnx.Load runs each to PyTorch's output, and ONNX Runtime runs the file to the same numbers.</summary>
public sealed class LayerTorchExportTests
{
    private static readonly string[] Cases =
    [
        "conv2d", "conv2d_grouped", "conv1d", "maxpool2d", "avgpool2d", "avgpool2d_nopad", "global_avgpool", "batchnorm2d", "batchnorm1d",
        "layernorm", "layernorm_2d", "embedding", "gru", "lstm", "lstm_2layers_batchfirst", "nature_cnn", "embedding_gru_linear",
    ];

    /// <summary>Loads case <paramref name="name"/>: the model, its input as an engine tensor (Int32 token ids for an INT64
    /// input), and PyTorch's output.</summary>
    private static (Module Model, Tensor Input, float[] Expected, int[] Shape) Open(Arena arena, string name, out JsonElement input)
    {
        JsonElement root = JsonDocument.Parse(File.ReadAllText(DataPath(name + ".json"))).RootElement;
        input = root.GetProperty("input");
        int[] shape = Ints(input.GetProperty("shape"));
        Tensor x = input.GetProperty("dtype").GetString() == "int64"
            ? arena.FromData(Ints(input.GetProperty("data")), shape)
            : arena.FromData(Floats(input.GetProperty("data")), shape);
        Module model = IO.Onnx.Load(arena, DataPath(name + ".onnx"));
        JsonElement output = root.GetProperty("output");
        return (model, x, Floats(output.GetProperty("data")), Ints(output.GetProperty("shape")));
    }

    [TestCaseSource(nameof(Cases))]
    public void Forward_TorchExport_MatchesPyTorchAndOnnxRuntime(string name)
    {
        using var arena = new Arena();
        (Module model, Tensor x, float[] expected, int[] shape) = Open(arena, name, out JsonElement input);

        Tensor y = model.Forward(x);

        Assert.That(y.Shape.ToArray(), Is.EqualTo(shape));
        AssertClose(y.ToArray(), expected, "PyTorch");
        byte[] file = File.ReadAllBytes(DataPath(name + ".onnx"));
        int[] inputShape = Ints(input.GetProperty("shape"));
        (float[] runtime, int[] runtimeShape) = input.GetProperty("dtype").GetString() == "int64"
            ? RunOnnxRuntime(file, input.GetProperty("data").EnumerateArray().Select(e => e.GetInt64()).ToArray(), inputShape)
            : RunOnnxRuntime(file, Floats(input.GetProperty("data")), inputShape);
        Assert.That(runtimeShape, Is.EqualTo(shape));
        AssertClose(y.ToArray(), runtime, "ONNX Runtime");
    }

    /// <summary>The imported layers train: a loss over the output reaches every parameter (the recurrent weights through
    /// the gate reordering, the embedding table through the lookup).</summary>
    [TestCase("nature_cnn")]
    [TestCase("embedding_gru_linear")]
    [TestCase("lstm_2layers_batchfirst")]
    [TestCase("layernorm")]
    public void Backward_TorchExport_ReachesEveryParameter(string name)
    {
        using var arena = new Arena();
        (Module model, Tensor x, _, _) = Open(arena, name, out _);
        using (arena.Scope())
        {
            model.Forward(x).Square().Sum().Backward();
            foreach (NamedTensor parameter in model.NamedParameters())
                Assert.That(parameter.Value.Grad!.Value.ToArray().Any(g => g != 0f), Is.True, parameter.Name);
        }
    }

    /// <summary>torch writes avg_pool2d with padding as Pad then AveragePool; the importer runs them as one average pool
    /// with that padding (no padded copy). A Pad that another node reads as well stays a Pad.</summary>
    [Test]
    public void Load_TorchAvgPool_FoldsThePadIntoThePool()
    {
        using var arena = new Arena();
        Assert.That(((OnnxModule)IO.Onnx.Load(arena, DataPath("avgpool2d.onnx"))).NodeCount, Is.EqualTo(1));
        Assert.That(((OnnxModule)IO.Onnx.Load(arena, DataPath("avgpool2d_nopad.onnx"))).NodeCount, Is.EqualTo(1));
    }

    /// <summary>BatchNormalization's running statistics are buffers, not parameters; saving the imported model and loading
    /// it again gives the same numbers.</summary>
    [Test]
    public void Load_TorchBatchNorm_RunningStatisticsAreBuffers_AndSurviveSave()
    {
        using var arena = new Arena();
        (Module model, Tensor x, float[] expected, _) = Open(arena, "batchnorm2d", out _);
        Assert.That(model.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight", "bias" }));
        Assert.That(model.NamedBuffers().Select(p => p.Name), Is.EqualTo(new[] { "running_mean", "running_var" }));
        Assert.That(model.Buffers().All(b => !b.RequiresGrad), Is.True);
        string path = Path.Combine(Path.GetTempPath(), $"arenagrad_{Guid.NewGuid():N}.onnx");
        try
        {
            IO.Onnx.Save(model, x, path);
            AssertClose(IO.Onnx.Load(arena, path).Forward(x).ToArray(), expected, "saved and loaded again");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>torch builds an LSTM's zero initial state from the input's runtime shape (Shape, Gather, Unsqueeze,
    /// Concat, Expand); that subgraph is read as a left-out state and not run.</summary>
    [Test]
    public void Load_TorchLstm_DropsTheZeroStateSubgraph()
    {
        using var arena = new Arena();
        var model = (OnnxModule)IO.Onnx.Load(arena, DataPath("lstm_2layers_batchfirst.onnx"));
        Assert.That(model.NodeCount, Is.EqualTo(6)); // Transpose, LSTM, Squeeze, LSTM, Squeeze, Transpose
    }
}
