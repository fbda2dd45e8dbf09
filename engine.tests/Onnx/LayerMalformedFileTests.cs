using System.Text.Json;
using ArenaGrad.IO.OnnxFormat;
using ArenaGrad.Nn;
using static ArenaGrad.Onnx.Tests.LayerOperatorTests;
using static ArenaGrad.Onnx.Tests.OnnxTestSupport;

namespace ArenaGrad.Onnx.Tests;

/// <summary>The layer operators (issue 18) on bad or unsupported files: every attribute and constant shape is checked at
/// load (InvalidDataException for a graph that does not hold together, NotSupportedException for a feature not
/// implemented, each naming the node and the problem); what depends on the input is an ArgumentException at run time.</summary>
public sealed class LayerMalformedFileTests
{
    private static void AssertLoadThrows<TException>(GraphProto graph, string fragment, int opset = 17) where TException : Exception
    {
        using var arena = new Arena();
        Assert.That(() => Load(arena, Model(graph, opset)), Throws.TypeOf<TException>().With.Message.Contains(fragment));
    }

    private static GraphProto Conv(params AttributeProto[] attributes) => Conv([4, 3, 3, 3], attributes, false);

    private static GraphProto Conv(int[] weight, AttributeProto[] attributes, bool bias = false)
    {
        GraphProto graph = Graph("x", [1, 3, 8, 8], "y", Node("Conv", bias ? ["x", "w", "b"] : ["x", "w"], "y", attributes));
        graph.Initializer.Add(Random("w", weight, 1));
        return graph;
    }

    private static GraphProto Pool(string op, params AttributeProto[] attributes) =>
        Graph("x", [1, 3, 8, 8], "y", Node(op, ["x"], "y", attributes));

    private static GraphProto Recurrent(string op, int[] w, int[] r, string[]? extraInputs = null, string[]? outputs = null, params AttributeProto[] attributes)
    {
        GraphProto graph = Graph("x", [5, 2, 3], "y", MultiNode(op, ["x", "w", "r", .. extraInputs ?? []], outputs ?? ["y"], attributes));
        graph.Initializer.Add(Random("w", w, 2));
        graph.Initializer.Add(Random("r", r, 3));
        return graph;
    }

    private static GraphProto Lstm(params AttributeProto[] attributes) => Recurrent("LSTM", [1, 16, 3], [1, 16, 4], null, null, attributes);

    private static GraphProto Gru(params AttributeProto[] attributes) => Recurrent("GRU", [1, 12, 3], [1, 12, 4], null, null, attributes);

    // Conv

    [Test]
    public void Conv_KernelShapeDisagreeingWithTheWeight_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(Conv(Ints("kernel_shape", 5, 5)), "kernel_shape [5, 5], but its weight W is [4, 3, 3, 3]");

    [Test]
    public void Conv_GroupNotDividingTheChannels_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(Conv(Int("group", 3)), "group 3, which does not divide its 4 output channels");

    [TestCase(0L)]
    [TestCase(-2L)]
    [TestCase(1L << 40)]
    public void Conv_GroupOutOfRange_ThrowsInvalidData(long group) =>
        AssertLoadThrows<InvalidDataException>(Conv(Int("group", group)), "group");

    [Test]
    public void Conv_AsymmetricPads_ThrowsNotSupported() =>
        AssertLoadThrows<NotSupportedException>(Conv(Ints("pads", 1, 0, 0, 1)), "only symmetric padding");

    [Test]
    public void Conv_NegativePads_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(Conv(Ints("pads", -1, 0, -1, 0)), "negative");

    [Test]
    public void Conv_PadsOfTheWrongLength_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(Conv(Ints("pads", 1, 1)), "it takes 4 entries");

    [TestCase("strides")]
    [TestCase("dilations")]
    public void Conv_ZeroStrideOrDilation_ThrowsInvalidData(string name) =>
        AssertLoadThrows<InvalidDataException>(Conv(Ints(name, 1, 0)), "each entry must be at least 1");

    [Test]
    public void Conv_StridesOfTheWrongLength_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(Conv(Ints("strides", 1, 1, 1)), "it takes 2 entries");

    [Test]
    public void Conv_AutoPadSame_ThrowsNotSupported() =>
        AssertLoadThrows<NotSupportedException>(Conv(String("auto_pad", "SAME_UPPER")), "auto_pad 'SAME_UPPER'");

    [Test]
    public void Conv_AutoPadOfTheWrongType_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(Conv(Int("auto_pad", 1)), "'auto_pad'");

    [Test]
    public void Conv_ThreeDimensional_ThrowsNotSupported() =>
        AssertLoadThrows<NotSupportedException>(Conv([4, 3, 2, 2, 2], []), "only 1-D and 2-D convolutions");

    [Test]
    public void Conv_WeightWithAnEmptyKernel_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(Conv([4, 3, 0, 3], []), "empty kernel");

    [Test]
    public void Conv_BiasOfTheWrongShape_ThrowsInvalidData()
    {
        GraphProto graph = Conv([4, 3, 3, 3], [], bias: true);
        graph.Initializer.Add(Random("b", [3], 4));
        AssertLoadThrows<InvalidDataException>(graph, "bias B of shape [3]");
    }

    /// <summary>A required weight input left out ("") is an invalid file, for every operator that takes one.</summary>
    [TestCase("Conv", "weight W")]
    [TestCase("LayerNormalization", "Scale")]
    [TestCase("LSTM", "weight W")]
    [TestCase("GRU", "weight W")]
    [TestCase("BatchNormalization", "scale")]
    public void RequiredWeightLeftOut_ThrowsInvalidData(string op, string what)
    {
        string[] inputs = op switch
        {
            "BatchNormalization" => ["x", "", "c", "c", "c"],
            "LSTM" or "GRU" => ["x", "", "r"],
            _ => ["x", ""],
        };
        GraphProto graph = Graph("x", [1, 3, 8, 8], "y", Node(op, inputs, "y"));
        graph.Initializer.Add(Random("c", [3], 1));
        graph.Initializer.Add(Random("r", [1, 12, 3], 2));
        using var arena = new Arena();
        Assert.That(() => Load(arena, Model(graph)),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("leaves out its required input").And.Message.Contains(what));
    }

    [Test]
    public void Conv_ComputedWeight_ThrowsNotSupported() =>
        AssertLoadThrows<NotSupportedException>(Graph("x", [1, 3, 8, 8], "y", Node("Conv", ["x", "x"], "y")), "computed weight Ws are not supported");

    [Test]
    public void Conv_InputWithOtherChannels_ThrowsArgumentAtRunTime()
    {
        using var arena = new Arena();
        Module model = Load(arena, Model(Conv()));
        Assert.That(() => model.Forward(arena.Ones([1, 5, 8, 8])), Throws.InstanceOf<ArgumentException>());
    }

    // MaxPool, AveragePool, Pad

    [Test]
    public void MaxPool_WithoutKernelShape_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(Pool("MaxPool"), "lacks its required attribute 'kernel_shape'");

    [TestCase("MaxPool")]
    [TestCase("AveragePool")]
    public void Pool_CeilMode_ThrowsNotSupported(string op) =>
        AssertLoadThrows<NotSupportedException>(Pool(op, Ints("kernel_shape", 2, 2), Int("ceil_mode", 1)), "ceil_mode = 1");

    [Test]
    public void MaxPool_Dilations_ThrowsNotSupported() =>
        AssertLoadThrows<NotSupportedException>(Pool("MaxPool", Ints("kernel_shape", 2, 2), Ints("dilations", 2, 2)), "dilations");

    [Test]
    public void MaxPool_StorageOrder_ThrowsNotSupported() =>
        AssertLoadThrows<NotSupportedException>(Pool("MaxPool", Ints("kernel_shape", 2, 2), Int("storage_order", 1)), "storage_order");

    [Test]
    public void MaxPool_IndicesOutput_ThrowsNotSupported()
    {
        GraphProto graph = Pool("MaxPool", Ints("kernel_shape", 2, 2));
        graph.Node[0].Output.Add("indices");
        AssertLoadThrows<NotSupportedException>(graph, "more than one output");
    }

    [Test]
    public void MaxPool_OneDimensional_ThrowsNotSupported() =>
        AssertLoadThrows<NotSupportedException>(Pool("MaxPool", Ints("kernel_shape", 2)), "only 2-D pooling");

    [Test]
    public void MaxPool_ZeroKernel_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(Pool("MaxPool", Ints("kernel_shape", 0, 2)), "at least 1");

    [Test]
    public void MaxPool_PadOverHalfTheKernel_ThrowsNotSupported() =>
        AssertLoadThrows<NotSupportedException>(Pool("MaxPool", Ints("kernel_shape", 2, 2), Ints("pads", 2, 2, 2, 2)), "at most half the kernel");

    [Test]
    public void AveragePool_PadsWithoutCountIncludePad_ThrowsNotSupported() =>
        AssertLoadThrows<NotSupportedException>(Pool("AveragePool", Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1)), "count_include_pad = 0");

    [Test]
    public void Pool_KernelLargerThanTheInput_ThrowsArgumentAtRunTime()
    {
        using var arena = new Arena();
        Module model = Load(arena, Model(Pool("MaxPool", Ints("kernel_shape", 9, 9))));
        Assert.That(() => model.Forward(arena.Ones([1, 3, 8, 8])), Throws.InstanceOf<ArgumentException>().With.Message.Contains("Output size is too small"));
    }

    [Test]
    public void Pad_ReflectMode_ThrowsNotSupported()
    {
        GraphProto graph = Graph("x", [2, 3], "y", Node("Pad", ["x", "p"], "y", String("mode", "reflect")));
        graph.Initializer.Add(LongTensor("p", 1, 1, 1, 1));
        AssertLoadThrows<NotSupportedException>(graph, "mode 'reflect'");
    }

    [Test]
    public void Pad_NegativePads_ThrowsNotSupported()
    {
        GraphProto graph = Graph("x", [2, 3], "y", Node("Pad", ["x", "p"], "y"));
        graph.Initializer.Add(LongTensor("p", 0, -1, 0, 0));
        AssertLoadThrows<NotSupportedException>(graph, "negative pads");
    }

    [Test]
    public void Pad_OddNumberOfPads_ThrowsInvalidData()
    {
        GraphProto graph = Graph("x", [2, 3], "y", Node("Pad", ["x", "p"], "y"));
        graph.Initializer.Add(LongTensor("p", 0, 1, 0));
        AssertLoadThrows<InvalidDataException>(graph, "3 pads");
    }

    [Test]
    public void Pad_NonzeroConstantValue_ThrowsNotSupported()
    {
        GraphProto graph = Graph("x", [2, 3], "y", Node("Pad", ["x", "p", "v"], "y"));
        graph.Initializer.Add(LongTensor("p", 0, 1, 0, 1));
        graph.Initializer.Add(FloatTensor("v", [], [1.5f]));
        AssertLoadThrows<NotSupportedException>(graph, "constant_value 1.5");
    }

    [Test]
    public void Pad_PadsForAnotherRank_ThrowsArgumentAtRunTime()
    {
        GraphProto graph = Graph("x", [2, 3], "y", Node("Pad", ["x", "p"], "y"));
        graph.Initializer.Add(LongTensor("p", 0, 1, 0, 1, 0, 0));
        using var arena = new Arena();
        Module model = Load(arena, Model(graph));
        Assert.That(() => model.Forward(arena.Ones([2, 3])), Throws.InstanceOf<ArgumentException>().With.Message.Contains("6 pads"));
    }

    // BatchNormalization, LayerNormalization

    private static GraphProto BatchNorm(int[] meanShape, params AttributeProto[] attributes)
    {
        GraphProto graph = Graph("x", [2, 3, 4], "y", Node("BatchNormalization", ["x", "s", "b", "m", "v"], "y", attributes));
        graph.Initializer.Add([Random("s", [3], 1), Random("b", [3], 2), Random("m", meanShape, 3), FloatTensor("v", [3], [1f, 1f, 1f])]);
        return graph;
    }

    [Test]
    public void BatchNormalization_TrainingMode_ThrowsNotSupported() =>
        AssertLoadThrows<NotSupportedException>(BatchNorm([3], Int("training_mode", 1)), "training_mode = 1");

    [Test]
    public void BatchNormalization_StatisticsOfAnotherLength_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(BatchNorm([4]), "input_mean of shape [4]");

    [Test]
    public void BatchNormalization_NegativeEpsilon_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(BatchNorm([3], Float("epsilon", -1f)), "epsilon");

    [Test]
    public void BatchNormalization_InputWithOtherChannels_ThrowsArgumentAtRunTime()
    {
        using var arena = new Arena();
        Module model = Load(arena, Model(BatchNorm([3])));
        Assert.That(() => model.Forward(arena.Ones([2, 5, 4])), Throws.InstanceOf<ArgumentException>());
    }

    private static GraphProto LayerNorm(params AttributeProto[] attributes)
    {
        GraphProto graph = Graph("x", [2, 3, 4], "y", Node("LayerNormalization", ["x", "s"], "y", attributes));
        graph.Initializer.Add(Random("s", [4], 1));
        return graph;
    }

    [Test]
    public void LayerNormalization_BeforeOpset17_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(LayerNorm(), "an opset 17 operator, but the model imports opset 16", opset: 16);

    [Test]
    public void LayerNormalization_StashType_ThrowsNotSupported() =>
        AssertLoadThrows<NotSupportedException>(LayerNorm(Int("stash_type", 0)), "stash_type");

    [Test]
    public void LayerNormalization_ScaleNotMatchingTheNormalizedDims_ThrowsArgumentAtRunTime()
    {
        using var arena = new Arena();
        Module model = Load(arena, Model(LayerNorm(Int("axis", 1))));
        Assert.That(() => model.Forward(arena.Ones([2, 3, 4])), Throws.InstanceOf<ArgumentException>().With.Message.Contains("a broadcast Scale is not supported"));
    }

    // Gather as an embedding lookup

    private static GraphProto Embedding(int[] table, params AttributeProto[] attributes)
    {
        GraphProto graph = Graph("ids", [2, 3], "y", Node("Gather", ["t", "ids"], "y", attributes));
        graph.Input[0].Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Int64;
        graph.Initializer.Add(Random("t", table, 1));
        return graph;
    }

    [TestCase(5)]
    [TestCase(-1)]
    public void Gather_IndexOutOfRange_ThrowsArgumentOutOfRangeAtRunTime(int index)
    {
        using var arena = new Arena();
        Module model = Load(arena, Model(Embedding([5, 2])));
        Assert.That(() => model.Forward(arena.FromData([0, 1, index], [1, 3])),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("ONNX Gather: an index is outside [0, 5)"));
    }

    [Test]
    public void Gather_FloatIds_ThrowsArgumentAtRunTime()
    {
        using var arena = new Arena();
        Module model = Load(arena, Model(Embedding([5, 2])));
        Assert.That(() => model.Forward(arena.Ones([1, 3])), Throws.ArgumentException.With.Message.Contains("Int32 tensor of token ids"));
    }

    [Test]
    public void Gather_IdsIntoATableOfRank3_ThrowsNotSupported() =>
        AssertLoadThrows<NotSupportedException>(Embedding([5, 2, 2]), "embedding lookup only");

    [Test]
    public void Gather_IdsAlongAxis1_ThrowsNotSupported() =>
        AssertLoadThrows<NotSupportedException>(Embedding([5, 2], Int("axis", 1)), "along axis 1");

    [Test]
    public void Gather_WithoutIndices_ThrowsInvalidData()
    {
        GraphProto graph = Graph("x", [2, 3], "y", Node("Gather", ["x", ""], "y"));
        AssertLoadThrows<InvalidDataException>(graph, "leaves out its required input 1");
    }

    // LSTM, GRU

    [Test]
    public void Lstm_WrongWShape_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(Recurrent("LSTM", [1, 12, 3], [1, 16, 4]), "W of shape [1, 12, 3]");

    [Test]
    public void Lstm_WrongRShape_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(Recurrent("LSTM", [1, 16, 3], [1, 12, 4]), "R of shape [1, 12, 4]");

    [Test]
    public void Lstm_WrongBShape_ThrowsInvalidData()
    {
        GraphProto graph = Recurrent("LSTM", [1, 16, 3], [1, 16, 4], ["b"]);
        graph.Initializer.Add(Random("b", [1, 16], 4));
        AssertLoadThrows<InvalidDataException>(graph, "B of shape [1, 16]");
    }

    [Test]
    public void Lstm_HiddenSizeDisagreeingWithR_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(Lstm(Int("hidden_size", 5)), "hidden_size 5");

    [TestCase("bidirectional")]
    [TestCase("reverse")]
    public void Lstm_OtherDirections_ThrowNotSupported(string direction) =>
        AssertLoadThrows<NotSupportedException>(Lstm(String("direction", direction)), $"direction '{direction}'");

    [Test]
    public void Lstm_Bidirectional_WithTwoDirectionsOfWeights_ThrowsNotSupported() =>
        AssertLoadThrows<NotSupportedException>(Recurrent("LSTM", [2, 16, 3], [2, 16, 4], null, null, String("direction", "bidirectional")), "direction");

    [Test]
    public void Lstm_Clip_ThrowsNotSupported() => AssertLoadThrows<NotSupportedException>(Lstm(Float("clip", 3f)), "clip");

    [Test]
    public void Lstm_OtherActivations_ThrowsNotSupported()
    {
        var activations = new AttributeProto { Name = "activations", Type = AttributeProto.Types.AttributeType.Strings };
        activations.Strings.Add([Google.Protobuf.ByteString.CopyFromUtf8("Relu"), Google.Protobuf.ByteString.CopyFromUtf8("Tanh"), Google.Protobuf.ByteString.CopyFromUtf8("Tanh")]);
        AssertLoadThrows<NotSupportedException>(Lstm(activations), "activations [Relu, Tanh, Tanh]");
    }

    [Test]
    public void Lstm_DefaultActivationsSpelledOut_Loads()
    {
        var activations = new AttributeProto { Name = "activations", Type = AttributeProto.Types.AttributeType.Strings };
        activations.Strings.Add([Google.Protobuf.ByteString.CopyFromUtf8("Sigmoid"), Google.Protobuf.ByteString.CopyFromUtf8("Tanh"), Google.Protobuf.ByteString.CopyFromUtf8("Tanh")]);
        using var arena = new Arena();
        Assert.That(Load(arena, Model(Lstm(activations))).Forward(arena.Ones([5, 2, 3])).Shape.ToArray(), Is.EqualTo(new[] { 5, 1, 2, 4 }));
    }

    [Test]
    public void Lstm_InputForget_ThrowsNotSupported() => AssertLoadThrows<NotSupportedException>(Lstm(Int("input_forget", 1)), "input_forget");

    [Test]
    public void Lstm_Layout2_ThrowsInvalidData() => AssertLoadThrows<InvalidDataException>(Lstm(Int("layout", 2)), "layout 2");

    [Test]
    public void Lstm_SequenceLens_ThrowsNotSupported()
    {
        GraphProto graph = Recurrent("LSTM", [1, 16, 3], [1, 16, 4], ["", "lens"]);
        graph.Initializer.Add(LongTensor("lens", 5, 5));
        AssertLoadThrows<NotSupportedException>(graph, "sequence_lens");
    }

    [Test]
    public void Lstm_Peepholes_ThrowsNotSupported()
    {
        GraphProto graph = Recurrent("LSTM", [1, 16, 3], [1, 16, 4], ["", "", "", "", "p"]);
        graph.Initializer.Add(Random("p", [1, 12], 5));
        AssertLoadThrows<NotSupportedException>(graph, "peephole");
    }

    [Test]
    public void Lstm_FourOutputs_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(Recurrent("LSTM", [1, 16, 3], [1, 16, 4], null, ["y", "h", "c", "d"]), "4 outputs");

    [Test]
    public void Lstm_NoOutputs_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(Recurrent("LSTM", [1, 16, 3], [1, 16, 4], null, ["", "", ""]), "names no output");

    [Test]
    public void Lstm_InitialStateOfTheWrongShape_ThrowsArgumentAtRunTime()
    {
        GraphProto graph = Recurrent("LSTM", [1, 16, 3], [1, 16, 4], ["", "", "h0"]);
        graph.Initializer.Add(Random("h0", [1, 3, 4], 6));
        using var arena = new Arena();
        Module model = Load(arena, Model(graph));
        Assert.That(() => model.Forward(arena.Ones([5, 2, 3])), Throws.ArgumentException.With.Message.Contains("initial_h is [1, 3, 4]"));
    }

    [Test]
    public void Lstm_InputOfAnotherSize_ThrowsArgumentAtRunTime()
    {
        using var arena = new Arena();
        Module model = Load(arena, Model(Lstm()));
        Assert.That(() => model.Forward(arena.Ones([5, 2, 7])), Throws.InstanceOf<ArgumentException>());
        Assert.That(() => model.Forward(arena.Ones([5, 3])), Throws.ArgumentException.With.Message.Contains("X must be"));
    }

    [Test]
    public void Gru_LinearBeforeReset0_ThrowsNotSupported() =>
        AssertLoadThrows<NotSupportedException>(Gru(), "linear_before_reset = 0");

    [Test]
    public void Gru_WrongWShape_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(Recurrent("GRU", [1, 16, 3], [1, 12, 4], null, null, Int("linear_before_reset", 1)), "W of shape [1, 16, 3]");

    [Test]
    public void Gru_ComputedWeights_ThrowsNotSupported() =>
        AssertLoadThrows<NotSupportedException>(Graph("x", [5, 2, 3], "y", Node("GRU", ["x", "x", "x"], "y", Int("linear_before_reset", 1))), "computed");

    /// <summary>Truncations and byte mutations of the layer exports: each either loads (and runs, or refuses the input with
    /// an ArgumentException, or exceeds the arena's MaxBytes) or throws InvalidDataException or NotSupportedException.</summary>
    [TestCase("conv2d_grouped")]
    [TestCase("conv1d")]
    [TestCase("avgpool2d")]
    [TestCase("maxpool2d")]
    [TestCase("batchnorm2d")]
    [TestCase("layernorm_2d")]
    [TestCase("lstm_2layers_batchfirst")]
    [TestCase("embedding_gru_linear")]
    public void Load_TruncatedAndMutatedLayerExports_ThrowOnlyInvalidDataOrNotSupported(string name)
    {
        byte[] original = File.ReadAllBytes(DataPath(name + ".onnx"));
        JsonElement input = JsonDocument.Parse(File.ReadAllText(DataPath(name + ".json"))).RootElement.GetProperty("input");
        int[] shape = Ints(input.GetProperty("shape"));
        bool tokens = input.GetProperty("dtype").GetString() == "int64";
        var random = new Random(name.Length * 7919);
        List<byte[]> mutants = OnnxTestSupport.Mutants(original, random, 1500, 32);

        int loaded = 0, rejected = 0;
        foreach (byte[] mutant in mutants)
        {
            // A mutated pad or kernel may ask for gigabytes: the arena's bound refuses that (ArenaCapacityException).
            using var arena = new Arena(new ArenaOptions { MaxBytes = 64 << 20 });
            Module model;
            try
            {
                model = Load(arena, mutant);
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException)
            {
                Assert.That(e.Message, Is.Not.Empty);
                rejected++;
                continue;
            }
            loaded++;
            Tensor x = tokens ? arena.FromData(Ints(input.GetProperty("data")), shape) : arena.FromData(Floats(input.GetProperty("data")), shape);
            try
            {
                model.Forward(x);
            }
            catch (Exception e) when (e is ArgumentException or ArenaCapacityException)
            {
                // A mutated graph may not fit this input (the engine op says so, as for any module) or the arena's bound.
            }
        }
        TestContext.Out.WriteLine($"{mutants.Count} mutants: {loaded} loaded, {rejected} rejected");
        Assert.That(rejected, Is.GreaterThan(mutants.Count / 10), "mutations are detected");
    }
}
