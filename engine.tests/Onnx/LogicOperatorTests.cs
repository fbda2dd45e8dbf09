using ArenaGrad.IO.OnnxFormat;
using ArenaGrad.Nn;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static ArenaGrad.Onnx.Tests.OnnxTestSupport;

namespace ArenaGrad.Onnx.Tests;

/// <summary>The comparison and logical ONNX operators (Equal, Less, LessOrEqual, Greater, GreaterOrEqual, Not, And, Or, Xor)
/// and Where against ONNX Runtime: Bool tensors between nodes, as Where's condition and as the graph output, BOOL
/// initializers, NaN operands, broadcasting; the load-time refusals of a Bool where float data goes and vice versa; and
/// gradients through Where.</summary>
public sealed class LogicOperatorTests
{
    private static readonly int[] Shape23 = [2, 3];

    /// <summary>Ties with <see cref="Thresholds"/> in row 0, NaN in both, ±∞: every comparison outcome occurs.</summary>
    private static readonly float[] Data = [-1f, 0.5f, float.NaN, 2f, float.NegativeInfinity, 1.25f];

    /// <summary>Broadcast against the [2, 3] input along its rows; its NaN meets a number and a NaN.</summary>
    private static TensorProto Thresholds() => FloatTensor("c", [3], [-1f, 0.5f, float.NaN]);

    private static readonly string[] Comparisons = ["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"];

    private static GraphProto WithInitializers(GraphProto graph, params TensorProto[] initializers)
    {
        graph.Initializer.Add(initializers);
        return graph;
    }

    private static GraphProto BoolOutput(GraphProto graph)
    {
        graph.Output[0].Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Bool;
        return graph;
    }

    /// <summary>A BOOL tensor as ONNX writers store it: one byte per element in raw_data, or one int32 per element.</summary>
    private static TensorProto BoolTensor(string name, int[] shape, bool[] values, bool raw)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Bool };
        foreach (int d in shape) tensor.Dims.Add(d);
        if (raw) tensor.RawData = ByteString.CopyFrom(values.Select(v => (byte)(v ? 1 : 0)).ToArray());
        else tensor.Int32Data.Add(values.Select(v => v ? 1 : 0));
        return tensor;
    }

    private static TestCaseData Case(string name, GraphProto graph, int opset = 17) =>
        new TestCaseData(Model(graph, opset)).SetName($"Load_{name}_MatchesOnnxRuntime");

    private static IEnumerable<TestCaseData> BoolCases()
    {
        foreach (string op in Comparisons)
        {
            yield return Case(op + "Broadcast", BoolOutput(WithInitializers(Graph("x", Shape23, "y", Node(op, ["x", "c"], "y")), Thresholds())));
            yield return Case(op + "ScalarFirst", BoolOutput(WithInitializers(Graph("x", Shape23, "y", Node(op, ["k", "x"], "y")),
                FloatTensor("k", [], [0.5f]))));
            // x against itself: NaN is not equal (nor less or greater) to itself
            yield return Case(op + "Itself", BoolOutput(Graph("x", Shape23, "y", Node(op, ["x", "x"], "y"))));
            // each row against its first element ([2, 3] with [2, 1], both computed)
            yield return Case(op + "TwoRuntimeInputsBroadcast", BoolOutput(WithInitializers(Graph("x", Shape23, "y",
                Node("Slice", ["x", "s", "e", "a"], "first"), Node(op, ["x", "first"], "y")),
                LongTensor("s", 0), LongTensor("e", 1), LongTensor("a", 1))));
        }
        yield return Case("LessOrEqualOpset13", BoolOutput(WithInitializers(Graph("x", Shape23, "y", Node("LessOrEqual", ["x", "c"], "y")), Thresholds())), 13);
        yield return Case("Not", BoolOutput(WithInitializers(Graph("x", Shape23, "y", Node("Less", ["x", "c"], "b"), Node("Not", ["b"], "y")), Thresholds())));
        foreach (string op in new[] { "And", "Or", "Xor" })
        {
            // [2, 3] with [2, 1]: x ≤ c, and x > a per-row bound; the pairs (T, T), (T, F), (F, T), (F, F) all occur
            yield return Case(op + "Broadcast", BoolOutput(WithInitializers(Graph("x", Shape23, "y",
                    Node("LessOrEqual", ["x", "c"], "le"), Node("Greater", ["x", "r"], "gt"), Node(op, ["le", "gt"], "y")),
                Thresholds(), FloatTensor("r", [2, 1], [-5f, 0f]))));
            yield return Case(op + "BoolInitializer", BoolOutput(WithInitializers(Graph("x", Shape23, "y",
                    Node("GreaterOrEqual", ["x", "c"], "ge"), Node(op, ["m", "ge"], "y")),
                Thresholds(), BoolTensor("m", [3], [true, false, true], raw: true))));
        }
        yield return Case("NotOfBoolInitializerInt32Data", BoolOutput(WithInitializers(Graph("x", Shape23, "y", Node("Not", ["m"], "y")),
            BoolTensor("m", Shape23, [true, false, false, true, true, false], raw: false))));
        yield return Case("IdentityOfBool", BoolOutput(WithInitializers(Graph("x", Shape23, "y", Node("Less", ["x", "c"], "b"), Node("Identity", ["b"], "y")), Thresholds())));
    }

    [TestCaseSource(nameof(BoolCases))]
    public void BoolResult(byte[] model)
    {
        (bool[] expected, int[] expectedShape) = RunBool(model, Data, Shape23);
        using var arena = new Arena();
        Module module = Load(arena, model);

        Tensor output = module.Forward(arena.FromData(Data, Shape23));

        Assert.That(output.DType, Is.EqualTo(DType.Bool));
        Assert.That(output.Shape.ToArray(), Is.EqualTo(expectedShape));
        Assert.That(output.ToIntArray().Select(v => v != 0).ToArray(), Is.EqualTo(expected));
    }

    private static IEnumerable<TestCaseData> FloatCases()
    {
        // y = x < c ? x : d, d broadcast along the rows; NaN in x (false) and in c (false) take d
        yield return Case("WhereOfLess", WithInitializers(Graph("x", Shape23, "y", Node("Less", ["x", "c"], "b"), Node("Where", ["b", "x", "d"], "y")),
            Thresholds(), FloatTensor("d", [3], [-3f, 4f, -0.25f])));
        // NaN selected: x ≥ c is false at x's NaN, so Not takes it, and Where gives x's NaN
        yield return Case("WhereSelectsNaN", WithInitializers(Graph("x", Shape23, "y",
                Node("GreaterOrEqual", ["x", "c"], "ge"), Node("Not", ["ge"], "b"), Node("Where", ["b", "x", "d"], "y")),
            Thresholds(), FloatTensor("d", [], [7f])));
        yield return Case("LessWhereRelu", WithInitializers(Graph("x", Shape23, "y",
                Node("Less", ["x", "c"], "b"), Node("Where", ["b", "x", "d"], "w"), Node("Relu", ["w"], "y")),
            Thresholds(), FloatTensor("d", [2, 1], [-3f, 4f])));
        // condition [2, 1] (raw_data), data [2, 3] and [3]: all three broadcast
        yield return Case("WhereBoolInitializerConditionBroadcast", WithInitializers(Graph("x", Shape23, "y", Node("Where", ["m", "x", "d"], "y")),
            BoolTensor("m", [2, 1], [false, true], raw: true), FloatTensor("d", [3], [1f, 2f, 3f])));
        // condition [3] (int32_data) from a Constant node; x on the false side
        yield return Case("WhereConstantNodeCondition", WithInitializers(Graph("x", Shape23, "y",
                new NodeProto
                {
                    OpType = "Constant", Output = { "m" },
                    Attribute = { new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = BoolTensor("", [3], [true, false, true], raw: false) } },
                },
                Node("Where", ["m", "d", "x"], "y")),
            FloatTensor("d", [1], [-2f])));
        yield return Case("WhereOpset13", WithInitializers(Graph("x", Shape23, "y", Node("Equal", ["x", "x"], "b"), Node("Where", ["b", "x", "d"], "y")),
            FloatTensor("d", [], [0f])), opset: 13);
        yield return Case("WhereAndOr", WithInitializers(Graph("x", Shape23, "y",
                Node("Greater", ["x", "lo"], "a"), Node("Less", ["x", "hi"], "b"), Node("And", ["a", "b"], "inside"),
                Node("Equal", ["x", "hi"], "top"), Node("Or", ["inside", "top"], "keep"), Node("Where", ["keep", "x", "lo"], "y")),
            FloatTensor("lo", [], [-1f]), FloatTensor("hi", [], [1.25f])));
    }

    /// <summary>Where selects, so the values are ONNX Runtime's exactly, NaN included.</summary>
    [TestCaseSource(nameof(FloatCases))]
    public void FloatResult(byte[] model)
    {
        (float[] expected, int[] expectedShape) = RunOnnxRuntime(model, Data, Shape23);
        using var arena = new Arena();
        Module module = Load(arena, model);

        Tensor output = module.Forward(arena.FromData(Data, Shape23));

        Assert.That(output.DType, Is.EqualTo(DType.Float32));
        Assert.That(output.Shape.ToArray(), Is.EqualTo(expectedShape));
        Assert.That(output.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void FloatResult_CasesHitBothSidesAndNaN()
    {
        // Guards the cases above against degenerate data: Where picks x somewhere and d elsewhere, and a NaN comes through.
        GraphProto graph = WithInitializers(Graph("x", Shape23, "y",
                Node("GreaterOrEqual", ["x", "c"], "ge"), Node("Not", ["ge"], "b"), Node("Where", ["b", "x", "d"], "y")),
            Thresholds(), FloatTensor("d", [], [7f]));
        using var arena = new Arena();
        float[] y = Load(arena, Model(graph)).Forward(arena.FromData(Data, Shape23)).ToArray();
        Assert.That(y, Is.EqualTo(new[] { 7f, 7f, float.NaN, 7f, float.NegativeInfinity, 1.25f }));
    }

    [Test]
    public void Forward_WhereOfLess_BackpropagatesToTheSelectedInputs_AsKnownValuesAndFiniteDifferencesGive()
    {
        // y = Σ where(x < 0, x · w, b): w and b [3] broadcast along the rows.
        byte[] model = Model(WithInitializers(Graph("x", Shape23, "y",
                Node("Less", ["x", "zero"], "m"), Node("Mul", ["x", "w"], "p"), Node("Where", ["m", "p", "b"], "y")),
            FloatTensor("zero", [], [0f]), FloatTensor("w", [3], [0.5f, 2f, -1.5f]), FloatTensor("b", [3], [1f, -1f, 3f])));
        float[] data = [-1f, 2f, -3f, -4f, -5f, 6f]; // m = [[T, F, T], [T, T, F]]
        using var arena = new Arena();
        Module module = Load(arena, model);
        Tensor x = arena.FromData(data, Shape23, requiresGrad: true);

        module.Forward(x).Sum().Backward();

        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 0.5f, 0f, -1.5f, 0.5f, 2f, 0f }), "dx = m · w");
        Assert.That(Parameter(module, "w").Grad!.Value.ToArray(), Is.EqualTo(new[] { -5f, -5f, -3f }), "dw = Σ rows m · x");
        Assert.That(Parameter(module, "b").Grad!.Value.ToArray(), Is.EqualTo(new[] { 0f, 1f, 1f }), "db = Σ rows !m");

        // Central differences (no input is near the switch at 0): the same dx.
        const float h = 1e-2f;
        float[] analytic = x.Grad!.Value.ToArray();
        for (int i = 0; i < data.Length; i++)
        {
            float[] plus = (float[])data.Clone(), minus = (float[])data.Clone();
            plus[i] += h;
            minus[i] -= h;
            double numeric = (module.Forward(arena.FromData(plus, Shape23)).Sum().Item() - (double)module.Forward(arena.FromData(minus, Shape23)).Sum().Item()) / (2 * h);
            Assert.That(numeric, Is.EqualTo(analytic[i]).Within(1e-3), $"dx[{i}]");
        }
    }

    [Test]
    public void Forward_LessWhereRelu_MatchesOnnxRuntime_AndBackpropagatesThroughRelu()
    {
        byte[] model = Model(WithInitializers(Graph("x", Shape23, "y",
                Node("Less", ["x", "c"], "b"), Node("Where", ["b", "x", "d"], "w"), Node("Relu", ["w"], "y")),
            FloatTensor("c", [3], [0f, 0f, 10f]), FloatTensor("d", [3], [-3f, 4f, 0.5f])));
        float[] data = [-1f, 2f, -3f, 1f, -5f, 6f];
        (float[] expected, _) = RunOnnxRuntime(model, data, Shape23);
        using var arena = new Arena();
        Module module = Load(arena, model);
        Tensor x = arena.FromData(data, Shape23, requiresGrad: true);

        Tensor y = module.Forward(x);
        y.Sum().Backward();

        Assert.That(y.ToArray(), Is.EqualTo(expected));
        // x < c picks x (columns 0, 1: negative, which Relu zeroes with its gradient; column 2: -3 and 6), else d (-3 or 4).
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 0f, 0f, 0f, 0f, 0f, 1f }));
        Assert.That(Parameter(module, "d").Grad!.Value.ToArray(), Is.EqualTo(new[] { 0f, 1f, 0f }));
    }

    private static Tensor Parameter(Module module, string name) => module.NamedParameters().Single(p => p.Name == name).Value;

    [Test]
    public void BoolInitializers_AreNotParameters()
    {
        byte[] model = Model(WithInitializers(Graph("x", Shape23, "y", Node("Where", ["m", "x", "d"], "y")),
            BoolTensor("m", [3], [true, false, true], raw: true), FloatTensor("d", [3], [1f, 2f, 3f])));
        using var arena = new Arena();
        Module module = Load(arena, model);
        Assert.That(module.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "d" }));
    }

    private static IEnumerable<TestCaseData> Refusals()
    {
        static TestCaseData Refused(string name, GraphProto graph, string message) =>
            new TestCaseData(Model(graph), message).SetName($"Load_{name}_IsRefused");

        yield return Refused("BoolIntoRelu", WithInitializers(Graph("x", Shape23, "y", Node("Less", ["x", "c"], "b"), Node("Relu", ["b"], "y")), Thresholds()),
            "ONNX Relu (node 'y_node') takes the Bool tensor 'b' as data; only float32 data is supported.");
        yield return Refused("FloatIntoNot", Graph("x", Shape23, "y", Node("Not", ["x"], "y")),
            "ONNX Not (node 'y_node') takes the float32 tensor 'x'; it takes Bool tensors only (a comparison's or logical operator's result, or a BOOL constant).");
        yield return Refused("FloatInitializerIntoAnd", WithInitializers(Graph("x", Shape23, "y", Node("Less", ["x", "c"], "b"), Node("And", ["b", "c"], "y")), Thresholds()),
            "ONNX And (node 'y_node') takes the float32 tensor 'c'; it takes Bool tensors only");
        yield return Refused("IntegerIntoOr", WithInitializers(Graph("x", Shape23, "y", Node("Less", ["x", "c"], "b"), Node("Or", ["b", "i"], "y")),
                Thresholds(), LongTensor("i", 1, 0, 1)),
            "ONNX Or (node 'y_node') takes the integer tensor 'i'; it takes Bool tensors only");
        yield return Refused("FloatConditionIntoWhere", Graph("x", Shape23, "y", Node("Where", ["x", "x", "x"], "y")),
            "ONNX Where (node 'y_node') takes the float32 tensor 'x' as its condition; the condition must be Bool");
        yield return Refused("BoolDataIntoWhere", WithInitializers(Graph("x", Shape23, "y", Node("Less", ["x", "c"], "b"), Node("Where", ["b", "b", "x"], "y")), Thresholds()),
            "ONNX Where (node 'y_node') takes the Bool tensor 'b' as data; only float32 data is supported.");
        yield return Refused("BoolIntoEqual", WithInitializers(Graph("x", Shape23, "y", Node("Less", ["x", "c"], "b"), Node("Equal", ["b", "b"], "y")), Thresholds()),
            "ONNX Equal (node 'y_node') takes the Bool tensor 'b' as data; only float32 data is supported.");
        yield return Refused("BoolInitializerIntoAdd", WithInitializers(Graph("x", Shape23, "y", Node("Add", ["x", "m"], "y")),
                BoolTensor("m", [3], [true, false, true], raw: true)),
            "ONNX Add (node 'y_node') takes the Bool tensor 'm' as data; only float32 data is supported.");
        yield return Refused("BoolIntoDropout", WithInitializers(Graph("x", Shape23, "y", Node("Less", ["x", "c"], "b"), Node("Dropout", ["b"], "y")), Thresholds()),
            "ONNX Dropout (node 'y_node') takes the Bool tensor 'b' as data");
        yield return Refused("ArgMaxIntoWhere", Graph("x", Shape23, "y", Node("ArgMax", ["x"], "i"), Node("Where", ["i", "x", "x"], "y")),
            "ONNX Where (node 'y_node') takes the integer tensor 'i' as its condition");
    }

    [TestCaseSource(nameof(Refusals))]
    public void Refusal(byte[] model, string message)
    {
        using var arena = new Arena();
        Assert.That(() => Load(arena, model), Throws.TypeOf<NotSupportedException>().With.Message.Contains(message));
        Assert.That(arena.TensorCount, Is.Zero, "a refused load leaves the arena as it was");
    }

    [Test]
    public void Load_BoolOutputDeclaredFloat_OrFloatOutputDeclaredBool_IsRefused()
    {
        using var arena = new Arena();
        GraphProto boolAsFloat = WithInitializers(Graph("x", Shape23, "y", Node("Less", ["x", "c"], "y")), Thresholds());
        Assert.That(() => Load(arena, Model(boolAsFloat)), Throws.TypeOf<InvalidDataException>()
            .With.Message.EqualTo("Not a valid ONNX model: the graph output 'y' holds a BOOL tensor but is declared FLOAT."));
        GraphProto floatAsBool = BoolOutput(WithInitializers(Graph("x", Shape23, "y", Node("Less", ["x", "c"], "b"), Node("Where", ["b", "x", "c"], "y")), Thresholds()));
        Assert.That(() => Load(arena, Model(floatAsBool)), Throws.TypeOf<NotSupportedException>().With.Message.Contains("'y' has data type BOOL"));
        Assert.That(arena.TensorCount, Is.Zero);
    }

    [Test]
    public void Load_BoolInitializerWithDataThatDoesNotFitItsDims_ThrowsInvalidData()
    {
        TensorProto shortRaw = BoolTensor("m", [3], [true, false, true], raw: true);
        shortRaw.RawData = ByteString.CopyFrom(1, 0);
        TensorProto shortInts = BoolTensor("m", [2, 3], [true, false, true], raw: false);
        using var arena = new Arena();
        foreach ((TensorProto m, string fragment) in new[] { (shortRaw, "should hold 3 raw_data bytes for its dims, but holds 2"), (shortInts, "should hold 6 int32_data values for its dims, but holds 3") })
        {
            GraphProto graph = WithInitializers(Graph("x", Shape23, "y", Node("Where", ["m", "x", "x"], "y")), m);
            Assert.That(() => Load(arena, Model(graph)), Throws.TypeOf<InvalidDataException>().With.Message.Contains("initializer 'm' " + fragment));
        }
    }

    private static (bool[] Values, int[] Shape) RunBool(byte[] model, float[] input, int[] shape)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(model, options);
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results =
            session.Run([NamedOnnxValue.CreateFromTensor(session.InputNames[0], new DenseTensor<float>(input, shape))]);
        Tensor<bool> output = results[0].AsTensor<bool>();
        return (output.ToArray(), output.Dimensions.ToArray());
    }
}
