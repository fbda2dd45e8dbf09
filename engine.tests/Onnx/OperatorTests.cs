using ArenaGrad.IO.OnnxFormat;
using ArenaGrad.Nn;
using static ArenaGrad.Onnx.Tests.OnnxTestSupport;

namespace ArenaGrad.Onnx.Tests;

/// <summary>Each imported operator against ONNX Runtime on the same one-node (or few-node) graph.</summary>
public sealed class OperatorTests
{
    private static readonly int[] Shape23 = [2, 3];

    private static TestCaseData Case(string name, GraphProto graph, int[] inputShape, int opset = 17) =>
        new TestCaseData(Model(graph, opset), inputShape).SetName($"Load_{name}_MatchesOnnxRuntime");

    private static GraphProto Unary(string op, params AttributeProto[] attributes) =>
        Graph("x", Shape23, "y", Node(op, ["x"], "y", attributes));

    private static GraphProto WithInitializers(GraphProto graph, params TensorProto[] initializers)
    {
        graph.Initializer.Add(initializers);
        return graph;
    }

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (string op in new[] { "Relu", "Tanh", "Sigmoid", "Exp", "Abs", "Neg", "Identity" })
            yield return Case(op, Unary(op), Shape23);
        yield return Case("LeakyRelu", Unary("LeakyRelu", Float("alpha", 0.3f)), Shape23);
        yield return Case("LeakyReluDefaultAlpha", Unary("LeakyRelu"), Shape23);
        yield return Case("Softmax", Unary("Softmax"), Shape23);
        yield return Case("SoftmaxAxis0", Unary("Softmax", Int("axis", 0)), Shape23);
        yield return Case("LogSoftmax", Unary("LogSoftmax", Int("axis", 1)), Shape23);
        // Log and Sqrt of |x| + 0.5, so the input is in their domain.
        foreach (string op in new[] { "Log", "Sqrt" })
            yield return Case(op, WithInitializers(Graph("x", Shape23, "y", Node("Abs", ["x"], "a"), Node("Add", ["a", "half"], "b"), Node(op, ["b"], "y")),
                FloatTensor("half", [], [0.5f])), Shape23);
        foreach (string op in new[] { "Add", "Sub", "Mul", "Div" })
            yield return Case(op + "Broadcast", WithInitializers(Graph("x", Shape23, "y", Node(op, ["x", "c"], "y")),
                FloatTensor("c", [3], [1.5f, -2f, 0.25f])), Shape23);
        yield return Case("MatMul", WithInitializers(Graph("x", Shape23, "y", Node("MatMul", ["x", "w"], "y")),
            FloatTensor("w", [3, 4], Values(12, 1))), Shape23);
        yield return Case("MatMulBatched", WithInitializers(Graph("x", [2, 2, 3], "y", Node("MatMul", ["x", "w"], "y")),
            FloatTensor("w", [3, 4], Values(12, 1))), [2, 2, 3]);
        yield return Case("GemmTransB", WithInitializers(Graph("x", Shape23, "y", Node("Gemm", ["x", "w", "b"], "y", Int("transB", 1))),
            FloatTensor("w", [4, 3], Values(12, 2)), FloatTensor("b", [4], Values(4, 3))), Shape23);
        yield return Case("GemmAlphaBetaTransA", WithInitializers(Graph("x", [3, 2], "y",
                Node("Gemm", ["x", "w", "b"], "y", Int("transA", 1), Float("alpha", 0.5f), Float("beta", -2f))),
            FloatTensor("w", [3, 4], Values(12, 4)), FloatTensor("b", [1, 4], Values(4, 5))), [3, 2]);
        yield return Case("GemmTransBBroadcastBias", WithInitializers(Graph("x", Shape23, "y", Node("Gemm", ["x", "w", "b"], "y", Int("transB", 1))),
            FloatTensor("w", [4, 3], Values(12, 2)), FloatTensor("b", [1], [0.75f])), Shape23);
        yield return Case("GemmNoBias", WithInitializers(Graph("x", Shape23, "y", Node("Gemm", ["x", "w"], "y")),
            FloatTensor("w", [3, 4], Values(12, 6))), Shape23);
        yield return Case("Reshape", WithInitializers(Graph("x", [2, 3, 4], "y", Node("Reshape", ["x", "s"], "y")),
            LongTensor("s", 0, -1)), [2, 3, 4]);
        yield return Case("ReshapeFromConstantNode", Graph("x", [2, 3, 4], "y",
            ConstantInts("s", 4, 6), Node("Reshape", ["x", "s"], "y")), [2, 3, 4]);
        yield return Case("Flatten", Graph("x", [2, 3, 4], "y", Node("Flatten", ["x"], "y", Int("axis", 2))), [2, 3, 4]);
        yield return Case("FlattenDefault", Graph("x", [2, 3, 4], "y", Node("Flatten", ["x"], "y")), [2, 3, 4]);
        yield return Case("Transpose", Graph("x", [2, 3, 4], "y", Node("Transpose", ["x"], "y", Ints("perm", 1, 2, 0))), [2, 3, 4]);
        yield return Case("TransposeDefaultReverses", Graph("x", [2, 3, 4], "y", Node("Transpose", ["x"], "y")), [2, 3, 4]);
        yield return Case("Concat", WithInitializers(Graph("x", Shape23, "y", Node("Relu", ["x"], "r"), Node("Concat", ["x", "r", "c"], "y", Int("axis", 1))),
            FloatTensor("c", [2, 2], Values(4, 7))), Shape23);
        foreach (string op in new[] { "ReduceSum", "ReduceMean", "ReduceMax" })
        {
            // opset 18: axes as an input for all three; opset 13: ReduceSum's axes as input, the others' as attribute.
            yield return Case(op + "AxesInputKeepDims", WithInitializers(Graph("x", [2, 3, 4], "y", Node(op, ["x", "axes"], "y")),
                LongTensor("axes", 0, -1)), [2, 3, 4], opset: 18);
            yield return Case(op + "AxesInputNoKeepDims", WithInitializers(Graph("x", [2, 3, 4], "y", Node(op, ["x", "axes"], "y", Int("keepdims", 0))),
                LongTensor("axes", 1)), [2, 3, 4], opset: 18);
            yield return Case(op + "AllAxes", Graph("x", [2, 3, 4], "y", Node(op, ["x"], "y", Int("keepdims", 0))), [2, 3, 4], opset: 18);
            yield return Case(op + "AllAxesKeepDims", Graph("x", [2, 3, 4], "y", Node(op, ["x"], "y")), [2, 3, 4], opset: 18);
            if (op == "ReduceSum")
                yield return Case(op + "Opset13", WithInitializers(Graph("x", [2, 3, 4], "y", Node(op, ["x", "axes"], "y")),
                    LongTensor("axes", 2)), [2, 3, 4], opset: 13);
            else
                yield return Case(op + "Opset13AxesAttribute", Graph("x", [2, 3, 4], "y", Node(op, ["x"], "y", Ints("axes", 2, 0))), [2, 3, 4], opset: 13);
        }
        yield return Case("ConstantFloat", Graph("x", Shape23, "y",
            new NodeProto { OpType = "Constant", Output = { "k" }, Attribute = { Float("value_float", 2.5f) } }, Node("Mul", ["x", "k"], "y")), Shape23);
        yield return Case("DropoutInference", Graph("x", Shape23, "y", Node("Dropout", ["x"], "y")), Shape23, opset: 13);
        // index (issue 16): Gather with constant indices (any rank; negative ones wrap, as ONNX allows)
        yield return Case("GatherAxis0Duplicates", WithInitializers(Graph("x", [3, 4], "y", Node("Gather", ["x", "i"], "y")),
            LongTensor("i", 2, 0, 2)), [3, 4]);
        yield return Case("GatherNegativeAxisAndIndices", WithInitializers(Graph("x", [2, 3, 4], "y", Node("Gather", ["x", "i"], "y", Int("axis", -1))),
            LongTensor("i", -1, 0, -4, 1)), [2, 3, 4]);
        yield return Case("GatherScalarIndex", WithInitializers(Graph("x", [2, 3, 4], "y", Node("Gather", ["x", "i"], "y", Int("axis", 1))),
            ShapedLongTensor("i", [], 2)), [2, 3, 4]);
        yield return Case("GatherMatrixOfIndices", WithInitializers(Graph("x", [3, 4], "y", Node("Gather", ["x", "i"], "y", Int("axis", 1))),
            ShapedLongTensor("i", [2, 2], 3, 0, 1, 3)), [3, 4]);
        yield return Case("GatherInt32IndicesFromConstantNode", Graph("x", [4, 2], "y",
            ConstantInts("i", 3, 3, 0), Node("Gather", ["x", "i"], "y")), [4, 2]);
    }

    private static TensorProto ShapedLongTensor(string name, int[] shape, params long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        foreach (int d in shape) tensor.Dims.Add(d);
        tensor.Int64Data.Add(values);
        return tensor;
    }

    private static NodeProto ConstantInts(string output, params long[] values) =>
        new() { OpType = "Constant", Output = { output }, Attribute = { Ints("value_ints", values) } };

    [TestCaseSource(nameof(Cases))]
    public void Op(byte[] model, int[] inputShape) => AssertMatchesOnnxRuntime(model, inputShape, seed: 42);

    [Test]
    public void Forward_GemmWithAlpha_BackpropagatesToInitializers()
    {
        byte[] model = Model(WithInitializers(Graph("x", Shape23, "y", Node("Gemm", ["x", "w", "b"], "y", Float("alpha", 2f), Int("transB", 1))),
            FloatTensor("w", [1, 3], [1f, 2f, 3f]), FloatTensor("b", [1], [0.5f])));
        using var arena = new Arena();
        Module module = Load(arena, model);

        module.Forward(arena.FromData([1f, 1f, 1f, 2f, 2f, 2f], Shape23)).Sum().Backward();

        // y = 2 x wᵀ + b summed over 2 rows: dw = 2 (x₀ + x₁) = [6, 6, 6], db = 2.
        Assert.That(module.NamedParameters().Single(p => p.Name == "w").Value.Grad!.Value.ToArray(), Is.EqualTo(new[] { 6f, 6f, 6f }));
        Assert.That(module.NamedParameters().Single(p => p.Name == "b").Value.Grad!.Value.ToArray(), Is.EqualTo(new[] { 2f }));
    }
}
