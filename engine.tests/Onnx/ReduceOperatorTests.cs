using ArenaGrad.IO.OnnxFormat;
using ArenaGrad.Nn;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static ArenaGrad.Onnx.Tests.OnnxTestSupport;

namespace ArenaGrad.Onnx.Tests;

/// <summary>The reduce family's ONNX operators (issue 16) against ONNX Runtime: ReduceMin, ReduceProd, ReduceL1, ReduceL2
/// and ReduceLogSumExp (axes as input at opset 18, as attribute at opset 13), CumSum with a constant axis, and ArgMax/ArgMin,
/// whose int64 indices the importer carries only as the graph output (an Int32 tensor).</summary>
public sealed class ReduceOperatorTests
{
    private static readonly int[] Shape234 = [2, 3, 4];

    private static GraphProto WithInitializers(GraphProto graph, params TensorProto[] initializers)
    {
        graph.Initializer.Add(initializers);
        return graph;
    }

    private static TestCaseData Case(string name, GraphProto graph, int opset) =>
        new TestCaseData(Model(graph, opset)).SetName($"Load_{name}_MatchesOnnxRuntime");

    private static IEnumerable<TestCaseData> FloatCases()
    {
        foreach (string op in new[] { "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSumExp" })
        {
            yield return Case(op + "AxesInputKeepDims", WithInitializers(Graph("x", Shape234, "y", Node(op, ["x", "axes"], "y")),
                LongTensor("axes", 0, -1)), 18);
            yield return Case(op + "AxesInputNoKeepDims", WithInitializers(Graph("x", Shape234, "y", Node(op, ["x", "axes"], "y", Int("keepdims", 0))),
                LongTensor("axes", 1)), 18);
            yield return Case(op + "AllAxes", Graph("x", Shape234, "y", Node(op, ["x"], "y", Int("keepdims", 0))), 18);
            yield return Case(op + "Opset13AxesAttribute", Graph("x", Shape234, "y", Node(op, ["x"], "y", Ints("axes", 2, 0))), 13);
        }
        yield return Case("CumSumAxis1", WithInitializers(Graph("x", Shape234, "y", Node("CumSum", ["x", "axis"], "y")), LongTensor("axis", 1)), 17);
        yield return Case("CumSumNegativeAxis", WithInitializers(Graph("x", Shape234, "y", Node("CumSum", ["x", "axis"], "y")), LongTensor("axis", -1)), 17);
    }

    [TestCaseSource(nameof(FloatCases))]
    public void Op(byte[] model) => AssertMatchesOnnxRuntime(model, Shape234, seed: 42);

    private static IEnumerable<TestCaseData> IndexCases()
    {
        foreach (string op in new[] { "ArgMax", "ArgMin" })
        {
            yield return new TestCaseData(op, new long[] { 1, 1 }).SetName($"Load_{op}Axis1KeepDims_MatchesOnnxRuntime");
            yield return new TestCaseData(op, new long[] { -1, 0 }).SetName($"Load_{op}LastAxis_MatchesOnnxRuntime");
            yield return new TestCaseData(op, Array.Empty<long>()).SetName($"Load_{op}Defaults_MatchesOnnxRuntime");
        }
    }

    /// <summary>A greedy action: indices as the graph's int64 output; the module returns the same values as Int32.</summary>
    [TestCaseSource(nameof(IndexCases))]
    public void ArgMaxArgMin_AsTheGraphOutput_GiveOnnxRuntimesIndices(string op, long[] axisAndKeepDims)
    {
        AttributeProto[] attributes = axisAndKeepDims.Length == 0 ? [] : [Int("axis", axisAndKeepDims[0]), Int("keepdims", axisAndKeepDims[1])];
        GraphProto graph = Graph("x", Shape234, "y", Node("Relu", ["x"], "r"), Node(op, ["r"], "y", attributes));
        graph.Output[0].Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Int64;
        byte[] model = Model(graph, 17);
        float[] data = Values(24, seed: 7);
        (long[] expected, int[] expectedShape) = RunIndices(model, data, Shape234);
        using var arena = new Arena();
        Tensor output = Load(arena, model).Forward(arena.FromData(data, Shape234));
        Assert.That(output.DType, Is.EqualTo(DType.Int32));
        Assert.That(output.Shape.ToArray(), Is.EqualTo(expectedShape));
        Assert.That(output.ToIntArray().Select(i => (long)i).ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void IndicesUsedAsData_UnsupportedOptions_AndAMisdeclaredOutput_AreRefusedAtLoad()
    {
        using var arena = new Arena();
        GraphProto asData = Graph("x", Shape234, "y", Node("ArgMax", ["x"], "i"), Node("Relu", ["i"], "y"));
        Assert.That(() => Load(arena, Model(asData)), Throws.TypeOf<NotSupportedException>().With.Message.Contains("takes the integer tensor 'i' as data"));
        GraphProto floatOutput = Graph("x", Shape234, "y", Node("ArgMin", ["x"], "y"));
        Assert.That(() => Load(arena, Model(floatOutput)), Throws.TypeOf<InvalidDataException>().With.Message.Contains("declared FLOAT"));
        GraphProto last = Graph("x", Shape234, "y", Node("ArgMax", ["x"], "y", Int("select_last_index", 1)));
        last.Output[0].Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Int64;
        Assert.That(() => Load(arena, Model(last)), Throws.TypeOf<NotSupportedException>().With.Message.Contains("select_last_index"));
        GraphProto reverse = WithInitializers(Graph("x", Shape234, "y", Node("CumSum", ["x", "axis"], "y", Int("reverse", 1))), LongTensor("axis", 0));
        Assert.That(() => Load(arena, Model(reverse)), Throws.TypeOf<NotSupportedException>().With.Message.Contains("reverse = 1"));
        GraphProto computedAxis = Graph("x", Shape234, "y", Node("CumSum", ["x", "x"], "y"));
        Assert.That(() => Load(arena, Model(computedAxis)), Throws.TypeOf<NotSupportedException>().With.Message.Contains("axis"));
        Assert.That(arena.TensorCount, Is.Zero, "a refused load leaves the arena as it was");
    }

    private static (long[] Values, int[] Shape) RunIndices(byte[] model, float[] input, int[] shape)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(model, options);
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results =
            session.Run([NamedOnnxValue.CreateFromTensor(session.InputNames[0], new DenseTensor<float>(input, shape))]);
        Tensor<long> output = results[0].AsTensor<long>();
        return (output.ToArray(), output.Dimensions.ToArray());
    }
}
