using ArenaGrad.IO.OnnxFormat;
using ArenaGrad.Nn;
using static ArenaGrad.Onnx.Tests.OnnxTestSupport;

namespace ArenaGrad.Onnx.Tests;

/// <summary>The shape operators of issue 16 (Slice, Squeeze, Unsqueeze, Expand, Tile, Split; Transpose of rank 4)
/// against ONNX Runtime on the same small graphs, as <see cref="OperatorTests"/> does for the others.</summary>
public sealed class ShapeOperatorTests
{
    private static readonly int[] Shape234 = [2, 3, 4];

    private static TestCaseData Case(string name, GraphProto graph, int[] inputShape, int opset = 17) =>
        new TestCaseData(Model(graph, opset), inputShape).SetName($"Load_{name}_MatchesOnnxRuntime");

    private static GraphProto With(GraphProto graph, params TensorProto[] initializers)
    {
        graph.Initializer.Add(initializers);
        return graph;
    }

    private static NodeProto MultiOutput(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = outputs[0] + "_node" };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        node.Attribute.Add(attributes);
        return node;
    }

    private static IEnumerable<TestCaseData> Cases()
    {
        yield return Case("SliceAxesAndSteps", With(Graph("x", Shape234, "y", Node("Slice", ["x", "s", "e", "a", "p"], "y")),
            LongTensor("s", 1, -3), LongTensor("e", long.MaxValue, 4), LongTensor("a", -1, 1), LongTensor("p", 2, 1)), Shape234);
        yield return Case("SliceDefaultAxes", With(Graph("x", Shape234, "y", Node("Slice", ["x", "s", "e"], "y")),
            LongTensor("s", -1, 0), LongTensor("e", 100, -1)), Shape234);
        yield return Case("SliceClampedToEmpty", With(Graph("x", Shape234, "y", Node("Slice", ["x", "s", "e", "a"], "y")),
            LongTensor("s", 3), LongTensor("e", 1), LongTensor("a", 2)), Shape234);
        yield return Case("SliceMinInt64Start", With(Graph("x", Shape234, "y", Node("Slice", ["x", "s", "e", "a", "p"], "y")),
            LongTensor("s", long.MinValue), LongTensor("e", 3), LongTensor("a", 2), LongTensor("p", 3)), Shape234);
        yield return Case("SqueezeAxes", With(Graph("x", [2, 1, 3, 1], "y", Node("Squeeze", ["x", "a"], "y")),
            LongTensor("a", -1, 1)), [2, 1, 3, 1]);
        yield return Case("SqueezeAll", Graph("x", [1, 3, 1, 2], "y", Node("Squeeze", ["x"], "y")), [1, 3, 1, 2]);
        yield return Case("Unsqueeze", With(Graph("x", [2, 3], "y", Node("Unsqueeze", ["x", "a"], "y")),
            LongTensor("a", -1, 0, 2)), [2, 3]);
        yield return Case("ExpandBidirectional", With(Graph("x", [3, 1], "y", Node("Expand", ["x", "s"], "y")),
            LongTensor("s", 2, 1, 4)), [3, 1]);
        yield return Case("ExpandShorterShape", With(Graph("x", Shape234, "y", Node("Expand", ["x", "s"], "y")),
            LongTensor("s", 1, 4)), Shape234);
        yield return Case("Tile", With(Graph("x", [2, 3], "y", Node("Tile", ["x", "r"], "y")),
            LongTensor("r", 2, 3)), [2, 3]);
        yield return Case("TileOnes", With(Graph("x", Shape234, "y", Node("Tile", ["x", "r"], "y")),
            LongTensor("r", 1, 2, 1)), Shape234);
        // Split's outputs feed a later node (the graph has one output): the pieces joined in another order.
        yield return Case("SplitSizesInput", With(Graph("x", Shape234, "y",
                MultiOutput("Split", ["x", "sizes"], ["p0", "p1", "p2"], Int("axis", -1)), Node("Concat", ["p2", "p0", "p1"], "y", Int("axis", -1))),
            LongTensor("sizes", 1, 0, 3)), Shape234);
        yield return Case("SplitEqualOpset13", Graph("x", [2, 6], "y",
            MultiOutput("Split", ["x"], ["p0", "p1", "p2"], Int("axis", 1)), Node("Sub", ["p2", "p0"], "d"), Node("Mul", ["d", "p1"], "y")), [2, 6], opset: 13);
        yield return Case("SplitNumOutputsOpset18", Graph("x", [7, 2], "y",
            MultiOutput("Split", ["x"], ["p0", "p1", "p2"], Int("num_outputs", 3)), Node("Concat", ["p2", "p1", "p0"], "y", Int("axis", 0))), [7, 2], opset: 18);
        yield return Case("SplitOneOutputUsed", Graph("x", [4, 2], "y",
            MultiOutput("Split", ["x"], ["p0", "y"])), [4, 2], opset: 13);
        yield return Case("TransposeRank4", Graph("x", [2, 3, 4, 5], "y", Node("Transpose", ["x"], "y", Ints("perm", 3, 0, 2, 1))), [2, 3, 4, 5]);
    }

    [TestCaseSource(nameof(Cases))]
    public void Op(byte[] model, int[] inputShape) => AssertMatchesOnnxRuntime(model, inputShape, seed: 42);

    [Test]
    public void Slice_NegativeStep_IsRefusedAtLoad()
    {
        byte[] model = Model(With(Graph("x", Shape234, "y", Node("Slice", ["x", "s", "e", "a", "p"], "y")),
            LongTensor("s", -1), LongTensor("e", long.MinValue), LongTensor("a", 0), LongTensor("p", -1)));
        using var arena = new Arena();
        var error = Assert.Throws<NotSupportedException>(() => Load(arena, model));
        Assert.That(error!.Message, Does.Contain("negative step"));
    }

    [Test]
    public void Split_SizesThatDoNotMatchTheOutputs_AreAnInvalidModel()
    {
        byte[] model = Model(With(Graph("x", Shape234, "y", MultiOutput("Split", ["x", "sizes"], ["y", "q"])), LongTensor("sizes", 1, 1, 2)));
        using var arena = new Arena();
        var error = Assert.Throws<InvalidDataException>(() => Load(arena, model));
        Assert.That(error!.Message, Does.Contain("3 split sizes but 2 outputs"));
    }

    [Test]
    public void Split_Backpropagates_ThroughEveryUsedPiece()
    {
        byte[] model = Model(Graph("x", [2, 4], "y", MultiOutput("Split", ["x"], ["p0", "p1"], Int("axis", 1)), Node("Mul", ["p0", "p1"], "y")), opset: 13);
        using var arena = new Arena();
        Module module = Load(arena, model);
        Tensor x = arena.FromData([1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f], [2, 4], requiresGrad: true);
        module.Forward(x).Sum().Backward();
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 3f, 4f, 1f, 2f, 7f, 8f, 5f, 6f }), "d(p0*p1) = (p1, p0)");
    }
}
