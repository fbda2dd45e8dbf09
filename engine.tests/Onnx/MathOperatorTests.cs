using ArenaGrad.IO.OnnxFormat;
using ArenaGrad.Nn;
using static ArenaGrad.Onnx.Tests.OnnxTestSupport;

namespace ArenaGrad.Onnx.Tests;

/// <summary>The math family's ONNX operators (issue 16: Sin, Cos, Erf, Sign, Floor, Round, Reciprocal, Softplus, Elu,
/// Min, Max) against ONNX Runtime on one-node (or few-node) graphs, as <see cref="OperatorTests"/> does for the rest.</summary>
public sealed class MathOperatorTests
{
    private static readonly int[] Shape23 = [2, 3];

    private static TestCaseData Case(string name, GraphProto graph, int opset = 17) =>
        new TestCaseData(Model(graph, opset)).SetName($"Load_{name}_MatchesOnnxRuntime");

    private static GraphProto WithInitializers(GraphProto graph, params TensorProto[] initializers)
    {
        graph.Initializer.Add(initializers);
        return graph;
    }

    /// <summary>op(3x): the input in [-6, 6), so floor, round and sign see several integers and both signs.</summary>
    private static GraphProto Scaled(string op, params AttributeProto[] attributes) =>
        WithInitializers(Graph("x", Shape23, "y", Node("Mul", ["x", "three"], "s"), Node(op, ["s"], "y", attributes)),
            FloatTensor("three", [], [3f]));

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (string op in new[] { "Sin", "Cos", "Erf", "Sign", "Floor", "Round", "Reciprocal", "Softplus", "Elu" })
            yield return Case(op, Scaled(op));
        yield return Case("EluAlpha", Scaled("Elu", Float("alpha", 0.4f)));
        yield return Case("SinOpset13", Scaled("Sin"), opset: 13);
        yield return Case("RoundOpset18", Scaled("Round"), opset: 18);
        foreach (string op in new[] { "Min", "Max" })
        {
            yield return Case(op + "Broadcast", WithInitializers(Graph("x", Shape23, "y", Node(op, ["x", "c"], "y")),
                FloatTensor("c", [3], [0.5f, -1f, 1.25f])));
            yield return Case(op + "TwoRuntimeInputs", Graph("x", Shape23, "y", Node("Relu", ["x"], "r"), Node(op, ["x", "r"], "y")));
            yield return Case(op + "ScalarFirst", WithInitializers(Graph("x", Shape23, "y", Node(op, ["c", "x"], "y")),
                FloatTensor("c", [], [0.25f])));
            yield return Case(op + "OneInput", Graph("x", Shape23, "y", Node(op, ["x"], "y")));
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Op(byte[] model) => AssertMatchesOnnxRuntime(model, Shape23, seed: 16);

    [TestCase("Min")]
    [TestCase("Max")]
    public void Load_MinOrMaxOfThreeInputs_IsNotSupported(string op)
    {
        byte[] model = Model(Graph("x", Shape23, "y", Node("Relu", ["x"], "r"), Node(op, ["x", "r", "x"], "y")));
        using var arena = new Arena();
        var error = Assert.Throws<NotSupportedException>(() => Load(arena, model));
        Assert.That(error!.Message, Does.Contain($"ONNX {op}").And.Contain("with 3 inputs is not supported: at most 2 are."));
    }

    [Test]
    public void Forward_Max_BackpropagatesToTheInitializerOnTheSidesItWins()
    {
        byte[] model = Model(WithInitializers(Graph("x", Shape23, "y", Node("Max", ["x", "c"], "y")),
            FloatTensor("c", [3], [0f, 10f, -10f])));
        using var arena = new Arena();
        Module module = Load(arena, model);

        module.Forward(arena.FromData([1f, 1f, 1f, 0f, 0f, 2f], Shape23)).Sum().Backward();

        // c wins column 1 in both rows, loses column 2, and in column 0 loses row 0 and ties row 1 (half the gradient).
        Assert.That(module.NamedParameters().Single(p => p.Name == "c").Value.Grad!.Value.ToArray(), Is.EqualTo(new[] { 0.5f, 2f, 0f }));
    }
}
