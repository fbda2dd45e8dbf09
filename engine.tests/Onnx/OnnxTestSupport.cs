using System.Text.Json;
using ArenaGrad.IO.OnnxFormat;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ArenaGrad.Onnx.Tests;

internal static class OnnxTestSupport
{
    /// <summary>|actual − expected| ≤ Absolute + Relative·|expected|: float32 tolerance (engine.tests/Interop/README.md).</summary>
    public const double Absolute = 1e-6, Relative = 1e-5;

    public static string DataPath(string file) => Path.Combine(TestContext.CurrentContext.TestDirectory, "data", file);

    public static JsonElement Case() => JsonDocument.Parse(File.ReadAllText(DataPath("mlp_case.json"))).RootElement;

    public static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => e.GetSingle()).ToArray();

    public static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    public static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, string what)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: length");
        for (int i = 0; i < actual.Length; i++)
            Assert.That(Math.Abs(actual[i] - (double)expected[i]), Is.LessThanOrEqualTo(Absolute + Relative * Math.Abs(expected[i])),
                $"{what}[{i}]: {actual[i]} vs {expected[i]}");
    }

    /// <summary>Runs a one-input <paramref name="model"/> on the same random input (values from <paramref name="seed"/>) in
    /// ONNX Runtime and through <see cref="Load"/>: the shapes must be equal and the values close.</summary>
    public static void AssertMatchesOnnxRuntime(byte[] model, int[] inputShape, int seed)
    {
        float[] data = Values(inputShape.Aggregate(1, (a, b) => a * b), seed);
        (float[] expected, int[] expectedShape) = RunOnnxRuntime(model, data, inputShape);
        using var arena = new Arena();
        ArenaGrad.Nn.Module module = Load(arena, model);
        Tensor output = module.Forward(arena.FromData(data, inputShape));
        Assert.That(output.Shape.ToArray(), Is.EqualTo(expectedShape));
        AssertClose(output.ToArray(), expected, "output");
    }

    /// <summary>Runs an ONNX file in ONNX Runtime on one float input; returns the first output's values and shape.</summary>
    public static (float[] Values, int[] Shape) RunOnnxRuntime(byte[] model, float[] input, int[] shape)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(model, options);
        string inputName = session.InputNames[0];
        var tensor = new DenseTensor<float>(input, shape);
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results =
            session.Run([NamedOnnxValue.CreateFromTensor(inputName, tensor)]);
        Tensor<float> output = results[0].AsTensor<float>();
        return (output.ToArray(), output.Dimensions.ToArray());
    }

    /// <summary>Runs an ONNX file in ONNX Runtime on one INT64 input (token ids); returns the first output's values and shape.</summary>
    public static (float[] Values, int[] Shape) RunOnnxRuntime(byte[] model, long[] input, int[] shape)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(model, options);
        var tensor = new DenseTensor<long>(input, shape);
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results =
            session.Run([NamedOnnxValue.CreateFromTensor(session.InputNames[0], tensor)]);
        Tensor<float> output = results[0].AsTensor<float>();
        return (output.ToArray(), output.Dimensions.ToArray());
    }

    public static ArenaGrad.Nn.Module Load(Arena arena, byte[] model)
    {
        using var stream = new MemoryStream(model);
        return IO.Onnx.Load(arena, stream);
    }

    // Building graphs operator by operator (the generated message classes are internal; InternalsVisibleTo).

    public static byte[] Model(GraphProto graph, int opset = 17)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "ArenaGrad.Onnx.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model.ToByteArray();
    }

    public static GraphProto Graph(string input, int[] inputShape, string output, params NodeProto[] nodes)
    {
        var graph = new GraphProto { Name = "test" };
        graph.Node.Add(nodes);
        graph.Input.Add(Info(input, inputShape));
        graph.Output.Add(new ValueInfoProto
        {
            Name = output,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
        });
        return graph;
    }

    public static ValueInfoProto Info(string name, int[] shape)
    {
        var tensorShape = new TensorShapeProto();
        foreach (int d in shape) tensorShape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = tensorShape } },
        };
    }

    public static NodeProto Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = output + "_node" };
        node.Input.Add(inputs);
        node.Output.Add(output);
        node.Attribute.Add(attributes);
        return node;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.Add(values);
        return attribute;
    }

    public static TensorProto FloatTensor(string name, int[] shape, float[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        foreach (int d in shape) tensor.Dims.Add(d);
        tensor.FloatData.Add(values);
        return tensor;
    }

    public static TensorProto LongTensor(string name, params long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.Add(values);
        return tensor;
    }

    /// <summary>Deterministic values in [-2, 2) without the engine's generator.</summary>
    public static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 4 - 2);
        return values;
    }

    /// <summary>Byte mutations of a file: its prefixes (every <paramref name="truncationDivisor"/>-th of the length
    /// reached so far), then <paramref name="count"/> copies with one to three bytes edited (a bit flipped or the byte
    /// replaced), drawn from <paramref name="random"/> in that order.</summary>
    public static List<byte[]> Mutants(byte[] original, Random random, int count, int truncationDivisor)
    {
        var mutants = new List<byte[]>();
        for (int length = 0; length < original.Length; length += Math.Max(1, length / truncationDivisor)) mutants.Add(original[..length]);
        for (int i = 0; i < count; i++)
        {
            byte[] mutant = (byte[])original.Clone();
            int edits = 1 + random.Next(3);
            for (int e = 0; e < edits; e++)
            {
                int at = random.Next(mutant.Length);
                mutant[at] = random.Next(2) == 0 ? (byte)(mutant[at] ^ (1 << random.Next(8))) : (byte)random.Next(256);
            }
            mutants.Add(mutant);
        }
        return mutants;
    }
}
