using ArenaGrad.IO.OnnxFormat;
using ArenaGrad.Nn;
using Google.Protobuf;
using static ArenaGrad.Onnx.Tests.OnnxTestSupport;

namespace ArenaGrad.Onnx.Tests;

/// <summary>Bad files and unsupported features give InvalidDataException or NotSupportedException naming the problem,
/// never another exception type or a crash.</summary>
public sealed class MalformedFileTests
{
    private static readonly int[] Shape23 = [2, 3];

    private static GraphProto Relu() => Graph("x", Shape23, "y", Node("Relu", ["x"], "y"));

    private static void AssertLoadThrows<TException>(byte[] model, string fragment) where TException : Exception
    {
        using var arena = new Arena();
        Assert.That(() => Load(arena, model), Throws.TypeOf<TException>().With.Message.Contains(fragment));
    }

    [Test]
    public void Load_NotProtobuf_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>("this is not an onnx file"u8.ToArray(), "Not a valid ONNX model");

    [Test]
    public void Load_UnsupportedOperator_ThrowsNotSupportedNamingIt() =>
        AssertLoadThrows<NotSupportedException>(Model(Graph("x", Shape23, "y", Node("NonMaxSuppression", ["x"], "y"))), "'NonMaxSuppression'");

    [TestCase(11)]
    [TestCase(19)]
    public void Load_UnsupportedOpset_ThrowsNotSupportedNamingIt(int opset) =>
        AssertLoadThrows<NotSupportedException>(Model(Relu(), opset), $"opset {opset}");

    [Test]
    public void Load_DoubleInitializer_ThrowsNotSupportedNamingTheType()
    {
        GraphProto graph = Graph("x", Shape23, "y", Node("Add", ["x", "c"], "y"));
        graph.Initializer.Add(new TensorProto { Name = "c", DataType = (int)TensorProto.Types.DataType.Double, Dims = { 1 }, DoubleData = { 1.0 } });
        AssertLoadThrows<NotSupportedException>(Model(graph), "DOUBLE");
    }

    [Test]
    public void Load_Int64GraphInputAsData_ThrowsNotSupportedNamingTheValue()
    {
        // INT64 token ids go to Gather (an embedding lookup) only
        GraphProto graph = Relu();
        graph.Input[0].Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Int64;
        AssertLoadThrows<NotSupportedException>(Model(graph), "takes the integer tensor 'x' as data");
    }

    [Test]
    public void Load_DoubleGraphInput_ThrowsNotSupportedNamingTheType()
    {
        GraphProto graph = Relu();
        graph.Input[0].Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Double;
        AssertLoadThrows<NotSupportedException>(Model(graph), "DOUBLE");
    }

    [Test]
    public void Load_NodeReadingAnUnknownValue_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(Model(Graph("x", Shape23, "y", Node("Add", ["x", "nowhere"], "y"))), "'nowhere'");

    [Test]
    public void Load_AttributeOfTheWrongType_ThrowsInvalidData() =>
        AssertLoadThrows<InvalidDataException>(Model(Graph("x", Shape23, "y", Node("Softmax", ["x"], "y", Float("axis", 1f)))), "'axis'");

    [Test]
    public void Load_InitializerDataShorterThanItsDims_ThrowsInvalidData()
    {
        GraphProto graph = Graph("x", Shape23, "y", Node("Add", ["x", "c"], "y"));
        graph.Initializer.Add(FloatTensor("c", [3, 1_000_000_000], [1f, 2f]));
        AssertLoadThrows<InvalidDataException>(Model(graph), "'c'");
    }

    [Test]
    public void Load_ComputedReshapeShape_ThrowsNotSupported() =>
        AssertLoadThrows<NotSupportedException>(Model(Graph("x", Shape23, "y", Node("Reshape", ["x", "x"], "y"))), "integer");

    [Test]
    public void Load_TwoGraphOutputs_ThrowsNotSupported()
    {
        GraphProto graph = Relu();
        graph.Output.Add(graph.Output[0].Clone());
        AssertLoadThrows<NotSupportedException>(Model(graph), "2 outputs");
    }

    [Test]
    public void Load_FailedFile_LeavesTheArenaUsable()
    {
        using var arena = new Arena();
        Assert.That(() => Load(arena, Model(Graph("x", Shape23, "y", Node("NonMaxSuppression", ["x"], "y")))), Throws.TypeOf<NotSupportedException>());
        Assert.That((arena.Ones([2]) + arena.Ones([2])).ToArray(), Is.EqualTo(new[] { 2f, 2f }));
    }

    /// <summary>Every prefix of a real export (truncation at every byte) and thousands of byte flips and overwrites:
    /// each either loads (and runs, or refuses the input with an ArgumentException as any module does) or throws
    /// InvalidDataException or NotSupportedException.</summary>
    [Test]
    public void Load_TruncatedAndMutatedTorchExports_ThrowOnlyInvalidDataOrNotSupported()
    {
        byte[] original = File.ReadAllBytes(DataPath("mlp.onnx"));
        var random = new Random(1234);
        List<byte[]> mutants = OnnxTestSupport.Mutants(original, random, 3000, 64);

        int loaded = 0, rejected = 0;
        foreach (byte[] mutant in mutants)
        {
            using var arena = new Arena();
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
            try
            {
                model.Forward(arena.Ones([2, 6]));
            }
            catch (ArgumentException)
            {
                // A mutated graph may not fit this input (shapes, axes): the engine op says so, as for any module.
            }
        }
        TestContext.Out.WriteLine($"{mutants.Count} mutants: {loaded} loaded, {rejected} rejected");
        Assert.That(rejected, Is.GreaterThan(mutants.Count / 10), "mutations are detected");
        Assert.That(loaded + rejected, Is.EqualTo(mutants.Count));
    }

    [Test]
    public void Load_GraphFieldOfTheWrongWireType_ThrowsInvalidData()
    {
        // The graph field (7) written as a varint: protobuf skips a field whose wire type is not the declared one,
        // so the model has no graph.
        var model = new ModelProto { IrVersion = 8 };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        var bytes = new MemoryStream();
        var output = new CodedOutputStream(bytes);
        model.WriteTo(output);
        output.WriteTag(7, WireFormat.WireType.Varint);
        output.WriteInt64(5);
        output.Flush();
        AssertLoadThrows<InvalidDataException>(bytes.ToArray(), "no graph");
    }

    [Test]
    public void Load_LengthPrefixPastTheEnd_ThrowsInvalidData()
    {
        byte[] model = Model(Relu());
        var bytes = new MemoryStream();
        var output = new CodedOutputStream(bytes);
        output.WriteTag(7, WireFormat.WireType.LengthDelimited);
        output.WriteLength(1_000_000);
        output.Flush();
        AssertLoadThrows<InvalidDataException>([.. model, .. bytes.ToArray()], "Not a valid ONNX model");
    }
}

public sealed class ScopeTests
{
    /// <summary>Parameters loaded inside a scope would die with it, leaving a module over released handles: the load is
    /// refused up front instead, as module constructors refuse (see LoadAtomicityTests for the message).</summary>
    [Test]
    public void Load_OfARealFileInsideAScope_IsRefused_SoNoModuleOutlivesItsParameters()
    {
        using var arena = new Arena();
        int tensors = arena.TensorCount;
        using (arena.Scope())
            Assert.That(() => IO.Onnx.Load(arena, OnnxTestSupport.DataPath("mlp.onnx")),
                Throws.InvalidOperationException.With.Message.Contains("an arena scope is open"));
        Assert.That(arena.TensorCount, Is.EqualTo(tensors));
        Module model = IO.Onnx.Load(arena, OnnxTestSupport.DataPath("mlp.onnx"));
        Assert.That(model.Forward(arena.Ones([2, 6])).Shape.ToArray(), Has.Length.EqualTo(2), "outside the scope it loads and runs");
    }
}
