using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using ArenaGrad.IO.OnnxFormat;
using ArenaGrad.Nn;
using Google.Protobuf;

namespace ArenaGrad.IO;

/// <summary>Writes a module tree as an ONNX inference graph by walking it layer by layer.</summary>
internal sealed partial class OnnxExporter
{
    private const string BatchDim = "batch", SequenceDim = "sequence";
    private bool? _sequenceFirst; // set by a GRU or LSTM: dims 0 and 1 of input and output are then (sequence, batch) or the reverse
    private readonly GraphProto _graph = new() { Name = "main_graph" };
    private readonly Dictionary<Tensor, string> _names = [];
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);
    private int _counter;

    public static ModelProto Export(Module model, Tensor sampleInput)
    {
        var exporter = new OnnxExporter();
        foreach (NamedTensor parameter in model.StateDict()) exporter._names.TryAdd(parameter.Value, parameter.Name);
        Arena arena = sampleInput.Arena;
        string output;
        int[] inputShape = sampleInput.Shape.ToArray(), outputShape;
        using (arena.NoGrad())
        using (arena.Scope())
        {
            (output, Tensor result) = exporter.Emit(model, "input", sampleInput);
            outputShape = result.Shape.ToArray();
        }
        GraphProto graph = exporter._graph;
        if (output == "input") graph.Node.Add(Node("Identity", ["input"], "output"));
        else RenameLastOutput(graph, output, "output");
        // An Int32 sample is token ids (an Embedding first): ONNX's INT64, as torch exports them.
        string[] axes = exporter._sequenceFirst is bool sequenceFirst
            ? (sequenceFirst ? [SequenceDim, BatchDim] : [BatchDim, SequenceDim]) // a recurrent model: both are dynamic
            : [BatchDim];
        graph.Input.Add(ValueInfo("input", inputShape, axes, sampleInput.DType == DType.Int32 ? TensorProto.Types.DataType.Int64 : TensorProto.Types.DataType.Float));
        graph.Output.Add(ValueInfo("output", outputShape, axes));
        var proto = new ModelProto
        {
            IrVersion = 8, // the IR version of opset 17
            ProducerName = "ArenaGrad",
            ProducerVersion = typeof(Onnx).Assembly.GetName().Version?.ToString() ?? "",
            Graph = graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Onnx.SaveOpset });
        return proto;
    }

    /// <summary>Appends <paramref name="module"/>'s nodes reading <paramref name="input"/>; runs it on the sample to
    /// follow the shapes. Returns the name of its output value and the sample output.</summary>
    private (string Name, Tensor Sample) Emit(Module module, string input, Tensor sample)
    {
        switch (module)
        {
            case Sequential sequential:
                foreach (Module layer in sequential) (input, sample) = Emit(layer, input, sample);
                return (input, sample);
            case Dropout:
                return (input, sample); // the inference graph: dropout is the identity
            case Linear linear:
            {
                Tensor result = linear.Forward(sample);
                string weight = Initializer(linear.Weight);
                string? bias = linear.Bias is { } b ? Initializer(b) : null;
                if (sample.Rank == 2)
                {
                    var node = Node("Gemm", bias is null ? [input, weight] : [input, weight, bias], Fresh("Gemm"));
                    node.Attribute.Add(IntAttribute("transB", 1));
                    return Add(node, result);
                }
                // Gemm takes matrices only: x Wᵀ (+ b) for any batch rank, as torch exports it.
                NodeProto transpose = Node("Transpose", [weight], Fresh("Transpose"));
                transpose.Attribute.Add(IntsAttribute("perm", [1, 0]));
                _graph.Node.Add(transpose);
                NodeProto matMul = Node("MatMul", [input, transpose.Output[0]], Fresh("MatMul"));
                if (bias is null) return Add(matMul, result);
                _graph.Node.Add(matMul);
                return Add(Node("Add", [matMul.Output[0], bias], Fresh("Add")), result);
            }
            case Relu: return Add(Node("Relu", [input], Fresh("Relu")), module.Forward(sample));
            case Tanh: return Add(Node("Tanh", [input], Fresh("Tanh")), module.Forward(sample));
            case Sigmoid: return Add(Node("Sigmoid", [input], Fresh("Sigmoid")), module.Forward(sample));
            case LeakyRelu leaky:
            {
                NodeProto node = Node("LeakyRelu", [input], Fresh("LeakyRelu"));
                node.Attribute.Add(new AttributeProto { Name = "alpha", Type = AttributeProto.Types.AttributeType.Float, F = leaky.Slope });
                return Add(node, module.Forward(sample));
            }
            case Softmax softmax:
            {
                NodeProto node = Node("Softmax", [input], Fresh("Softmax"));
                node.Attribute.Add(IntAttribute("axis", softmax.Dim));
                return Add(node, module.Forward(sample));
            }
            case Flatten flatten:
            {
                Tensor result = module.Forward(sample);
                int rank = sample.Rank;
                int start = flatten.StartDim < 0 ? flatten.StartDim + rank : flatten.StartDim;
                int end = flatten.EndDim < 0 ? flatten.EndDim + rank : flatten.EndDim;
                if (start == 1 && end == rank - 1)
                {
                    NodeProto node = Node("Flatten", [input], Fresh("Flatten"));
                    node.Attribute.Add(IntAttribute("axis", 1));
                    return Add(node, result);
                }
                if (start == 0)
                    throw new NotSupportedException("Flatten with start_dim 0 merges the batch axis, which the exported graph keeps dynamic; it has no ONNX form here.");
                // Dims before start_dim are copied (0), the merged one is inferred (-1), later ones are the sample's.
                var shape = new long[result.Rank];
                ReadOnlySpan<int> resultShape = result.Shape;
                for (int d = 0; d < shape.Length; d++) shape[d] = d < start ? 0 : d == start ? -1 : resultShape[d];
                string shapeName = Fresh("shape");
                var constant = new TensorProto { Name = shapeName, DataType = (int)TensorProto.Types.DataType.Int64 };
                constant.Dims.Add(shape.Length);
                constant.Int64Data.Add(shape);
                _graph.Initializer.Add(constant);
                return Add(Node("Reshape", [input, shapeName], Fresh("Reshape")), result);
            }
            default:
                if (EmitLayer(module, input, sample) is { } emitted) return emitted;
                throw new NotSupportedException(
                    $"Onnx.Save cannot write a {module.GetType().Name}: supported are Sequential (and Mlp), Linear, Relu, Tanh, Sigmoid, LeakyRelu, Softmax, Flatten, Dropout, " +
                    "Conv1d, Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, BatchNorm1d, BatchNorm2d, LayerNorm, Embedding, GRU and LSTM, or a module Onnx.Load made, saved on its own.");
        }
    }

    private (string, Tensor) Add(NodeProto node, Tensor result)
    {
        _graph.Node.Add(node);
        return (node.Output[0], result);
    }

    private string Fresh(string op) => string.Create(CultureInfo.InvariantCulture, $"/{op}_{_counter++}_output_0");

    private string Initializer(Tensor parameter)
    {
        if (!_names.TryGetValue(parameter, out string? name))
        {
            name = Fresh("param");
            _names.Add(parameter, name);
        }
        if (_written.Add(name))
        {
            var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
            foreach (int dim in parameter.Shape) tensor.Dims.Add(dim);
            float[] values = parameter.ToArray();
            var bytes = new byte[values.Length * 4];
            for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
            tensor.RawData = UnsafeByteOperations.UnsafeWrap(bytes);
            _graph.Initializer.Add(tensor);
        }
        return name;
    }

    private static NodeProto Node(string op, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = output.Replace("_output_0", "", StringComparison.Ordinal) };
        node.Input.Add(inputs);
        node.Output.Add(output);
        return node;
    }

    private static void RenameLastOutput(GraphProto graph, string from, string to)
    {
        foreach (NodeProto node in graph.Node)
        {
            for (int i = 0; i < node.Output.Count; i++) if (node.Output[i] == from) node.Output[i] = to;
            for (int i = 0; i < node.Input.Count; i++) if (node.Input[i] == from) node.Input[i] = to;
        }
    }

    private static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto IntsAttribute(string name, long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.Add(values);
        return attribute;
    }

    /// <summary>A tensor value with its first dims named <paramref name="dynamic"/> (<c>batch</c>, and <c>sequence</c> in a
    /// recurrent model), the rest fixed.</summary>
    private static ValueInfoProto ValueInfo(string name, int[] shape, string[] dynamic, TensorProto.Types.DataType type = TensorProto.Types.DataType.Float)
    {
        var tensorShape = new TensorShapeProto();
        for (int d = 0; d < shape.Length; d++)
            tensorShape.Dim.Add(d < dynamic.Length ? new TensorShapeProto.Types.Dimension { DimParam = dynamic[d] } : new TensorShapeProto.Types.Dimension { DimValue = shape[d] });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = tensorShape } },
        };
    }
}
