using ArenaGrad.IO.OnnxFormat;
using ArenaGrad.Nn;
using Google.Protobuf;
using static ArenaGrad.Onnx.Tests.OnnxTestSupport;

namespace ArenaGrad.Onnx.Tests;

/// <summary>The layer operators (issue 18) on hand-built graphs against ONNX Runtime: attribute defaults and forms that
/// torch does not write (MaxPool's default stride 1, Pad with real pads, a rank-3 or rank-5 GlobalAveragePool, Y_h as the
/// output with Y left out, given initial states), and LSTM/GRU layout 1 against the engine's batch-first layers.</summary>
public sealed class LayerOperatorTests
{
    private static TestCaseData Case(string name, GraphProto graph, int[] inputShape, int opset = 17) =>
        new TestCaseData(Model(graph, opset), inputShape).SetName($"Load_{name}_MatchesOnnxRuntime");

    private static GraphProto With(GraphProto graph, params TensorProto[] initializers)
    {
        graph.Initializer.Add(initializers);
        return graph;
    }

    /// <summary>A node with several outputs ("" for one left out).</summary>
    internal static NodeProto MultiNode(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = op + "_node" };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        node.Attribute.Add(attributes);
        return node;
    }

    internal static TensorProto Random(string name, int[] shape, int seed) =>
        FloatTensor(name, shape, Values(shape.Aggregate(1, (a, b) => a * b), seed).Select(v => v * 0.5f).ToArray());

    private static IEnumerable<TestCaseData> Cases()
    {
        yield return Case("Conv1dNoBiasStrided", With(Graph("x", [2, 3, 11], "y", Node("Conv", ["x", "w"], "y", Ints("strides", 3), Ints("pads", 1, 1))),
            Random("w", [4, 3, 3], 1)), [2, 3, 11]);
        yield return Case("Conv2dNoAttributes", With(Graph("x", [1, 2, 5, 6], "y", Node("Conv", ["x", "w", "b"], "y")),
            Random("w", [3, 2, 2, 3], 2), Random("b", [3], 3)), [1, 2, 5, 6]);
        yield return Case("Conv2dDepthwise", With(Graph("x", [2, 4, 6, 6], "y", Node("Conv", ["x", "w"], "y", Int("group", 4), Ints("pads", 1, 1, 1, 1))),
            Random("w", [8, 1, 3, 3], 4)), [2, 4, 6, 6]);
        yield return Case("MaxPoolDefaultStride", Graph("x", [2, 3, 5, 5], "y", Node("MaxPool", ["x"], "y", Ints("kernel_shape", 2, 3))), [2, 3, 5, 5]);
        yield return Case("AveragePoolCountIncludePad", Graph("x", [2, 3, 7, 7], "y",
            Node("AveragePool", ["x"], "y", Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1), Int("count_include_pad", 1))), [2, 3, 7, 7]);
        yield return Case("PadThenAveragePool", With(Graph("x", [2, 3, 6, 5], "y",
                Node("Pad", ["x", "p"], "padded", String("mode", "constant")),
                Node("AveragePool", ["padded"], "y", Ints("kernel_shape", 2, 2), Ints("strides", 2, 2))),
            LongTensor("p", 0, 0, 1, 2, 0, 0, 1, 0)), [2, 3, 6, 5]);
        yield return Case("PadReadTwiceThenAveragePool", With(Graph("x", [1, 2, 5, 5], "y",
                Node("Pad", ["x", "p"], "padded"),
                Node("AveragePool", ["padded"], "pooled", Ints("kernel_shape", 3, 3)),
                Node("ReduceMean", ["padded"], "mean", Ints("axes", 2, 3)),
                Node("Add", ["pooled", "mean"], "y")),
            LongTensor("p", 0, 0, 1, 1, 0, 0, 1, 1)), [1, 2, 5, 5]);
        yield return Case("PadWiderThanHalfTheKernelThenAveragePool", With(Graph("x", [1, 2, 5, 5], "y",
                Node("Pad", ["x", "p"], "padded"),
                Node("AveragePool", ["padded"], "y", Ints("kernel_shape", 2, 2))),
            LongTensor("p", 0, 0, 2, 1, 0, 0, 2, 1)), [1, 2, 5, 5]);
        yield return Case("PadWithZeroConstantValue", With(Graph("x", [2, 3], "y", Node("Pad", ["x", "p", "v"], "y")),
            LongTensor("p", 1, 0, 0, 2), FloatTensor("v", [], [0f])), [2, 3]);
        yield return Case("GlobalAveragePoolRank3", Graph("x", [2, 3, 5], "y", Node("GlobalAveragePool", ["x"], "y")), [2, 3, 5]);
        yield return Case("GlobalAveragePoolRank5", Graph("x", [2, 3, 2, 3, 2], "y", Node("GlobalAveragePool", ["x"], "y")), [2, 3, 2, 3, 2]);
        yield return Case("BatchNormalizationOpset13", With(Graph("x", [2, 3, 4], "y", Node("BatchNormalization", ["x", "s", "b", "m", "v"], "y", Float("epsilon", 0.01f))),
            Random("s", [3], 5), Random("b", [3], 6), Random("m", [3], 7), FloatTensor("v", [3], [0.5f, 1f, 2f])), [2, 3, 4], opset: 13);
        yield return Case("LayerNormalizationAxis1NoBias", With(Graph("x", [2, 3, 4], "y", Node("LayerNormalization", ["x", "s"], "y", Int("axis", 1))),
            Random("s", [3, 4], 8)), [2, 3, 4]);
        yield return Case("LstmInitialStatesYhOutput", With(Graph("x", [5, 2, 3], "y",
                MultiNode("LSTM", ["x", "w", "r", "b", "", "h0", "c0"], ["", "y"], Int("hidden_size", 4))),
            Random("w", [1, 16, 3], 9), Random("r", [1, 16, 4], 10), Random("b", [1, 32], 11), Random("h0", [1, 2, 4], 12), Random("c0", [1, 2, 4], 13)), [5, 2, 3]);
        yield return Case("LstmYcOutputNoBias", With(Graph("x", [5, 2, 3], "y",
                MultiNode("LSTM", ["x", "w", "r"], ["", "", "y"], String("direction", "forward"), Int("hidden_size", 4))),
            Random("w", [1, 16, 3], 14), Random("r", [1, 16, 4], 15)), [5, 2, 3]);
        yield return Case("GruInitialStateY", With(Graph("x", [4, 3, 2], "y",
                MultiNode("GRU", ["x", "w", "r", "b", "", "h0"], ["y", "yh"], Int("linear_before_reset", 1), Int("hidden_size", 5))),
            Random("w", [1, 15, 2], 16), Random("r", [1, 15, 5], 17), Random("b", [1, 30], 18), Random("h0", [1, 3, 5], 19)), [4, 3, 2]);
    }

    [TestCaseSource(nameof(Cases))]
    public void Forward_MatchesOnnxRuntime(byte[] model, int[] inputShape) => AssertMatchesOnnxRuntime(model, inputShape, seed: 21);

    /// <summary>Layout 1 (batch-first X and Y), which ONNX Runtime's CPU kernels do not run: against the engine's own
    /// batch-first layer with the same weights (reordered to ONNX's gate order by an export of that layer).</summary>
    [TestCase("LSTM")]
    [TestCase("GRU")]
    public void Forward_Layout1_MatchesTheBatchFirstLayer(string op)
    {
        using var arena = new Arena(new ArenaOptions { Seed = 4 });
        Module layer = op == "LSTM" ? new LSTM(arena, 3, 4, batchFirst: true) : new GRU(arena, 3, 4, batchFirst: true);
        Tensor x = arena.FromData(Values(2 * 5 * 3, 9), [2, 5, 3]);
        float[] expected = layer.Forward(x).ToArray();
        // The layer's own export (layout 0 between Transposes), rewritten to one layout-1 node reading X directly.
        string path = Path.Combine(Path.GetTempPath(), $"arenagrad_{Guid.NewGuid():N}.onnx");
        ModelProto proto;
        try
        {
            IO.Onnx.Save(layer, x, path);
            proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
        GraphProto graph = proto.Graph;
        NodeProto rnn = graph.Node.Single(n => n.OpType == op).Clone();
        rnn.Input[0] = "input";
        rnn.Attribute.Add(Int("layout", 1));
        rnn.Output[0] = "y4"; // [B, T, 1, H]
        var squeeze = Node("Squeeze", ["y4", "axes"], "output");
        graph.Node.Clear();
        graph.Node.Add(rnn);
        graph.Node.Add(squeeze);
        graph.Initializer.Add(LongTensor("axes", 2));

        Module imported = Load(arena, proto.ToByteArray());

        Tensor y = imported.Forward(x);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 5, 4 }));
        AssertClose(y.ToArray(), expected, op);
    }
}
