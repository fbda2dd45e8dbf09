using System.IO;
using ArenaGrad.IO.OnnxFormat;
using ArenaGrad.Nn;
using Google.Protobuf;

namespace ArenaGrad.IO;

/// <summary>Reads and writes ONNX models (the protobuf format that torch.onnx.export writes).</summary>
/// <remarks>
/// <para><see cref="Load(Arena, string)"/> turns a graph into an <see cref="OnnxModule"/> that runs it with engine
/// ops: differentiable, with the float initializers as trainable parameters named as in the file. Everything is
/// checked before the arena is touched: a file that is not a valid ONNX protobuf, or a graph that does not hold
/// together (a node reading a value nothing produces, a missing attribute, an attribute of the wrong type, data
/// that does not fit its dims) gives <see cref="InvalidDataException"/>; an operator, opset, data type or feature
/// this importer does not implement gives <see cref="NotSupportedException"/> naming it.</para>
/// <para>Supported operators (default domain, opset 13 to 18): Gemm, MatMul, Add, Sub, Mul, Div, Relu, LeakyRelu,
/// Tanh, Sigmoid, Exp, Log, Sqrt, Abs, Neg, Softmax, LogSoftmax, Reshape (constant shape), Flatten, Transpose,
/// Concat, Identity, Dropout (as identity), Constant, ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceProd,
/// ReduceL1, ReduceL2, ReduceLogSumExp (axes as attribute or constant input), CumSum (constant axis; not exclusive or
/// reverse), ArgMax and ArgMin (first index; their int64 indices only as the graph output, which the module returns
/// as an Int32 tensor), Gather (constant indices). Tensors are float32 (and Bool, below); int64/int32 tensors only as
/// shapes, axes and Gather's indices.</para>
/// <para>The math family (issue 16): Sin, Cos, Erf, Sign, Floor, Round (half to even), Reciprocal, Softplus, Elu
/// (alpha), Min and Max (one or two inputs, broadcasting; more are refused).</para>
/// <para>Bool tensors between nodes (issue 16): Equal, Less, LessOrEqual, Greater and GreaterOrEqual compare float32
/// data (broadcasting; false where either side is NaN) into Bool tensors; Not, And, Or and Xor take and give Bool
/// tensors; Where takes a Bool condition and two float32 inputs (the three broadcast together) and gives float32, with
/// gradients to both inputs. BOOL initializers and Constant values are Bool constants (not parameters); Identity passes
/// a Bool tensor on. A graph output holding a Bool tensor must be declared BOOL (or left undeclared), and the module
/// returns it as a <see cref="DType.Bool"/> tensor. A Bool value where float32 data goes, or float32 or integer data
/// where a Bool goes, is refused at load with <see cref="NotSupportedException"/> naming the node and the value.</para>
/// <para>Layers (issue 18): Conv (1-D and 2-D; strides, symmetric pads, dilations, group; constant weights), MaxPool
/// and AveragePool (2-D, floor mode, symmetric pads of at most half the kernel; AveragePool with pads counts the padding,
/// count_include_pad = 1), Pad (constant zeros), GlobalAveragePool, BatchNormalization (inference), LayerNormalization
/// (opset 17), Gather of an INT64 or INT32 graph input from a float32 table of rank 2 (an embedding lookup: the module
/// then takes an Int32 tensor of ids), LSTM and GRU (forward direction, default activations, GRU's linear_before_reset
/// = 1, layout 0 or 1, optional initial states; an initial state that torch builds as zeros from the input's shape is
/// read as left out).</para>
/// </remarks>
public static class Onnx
{
    /// <summary>The lowest default-domain opset read.</summary>
    public const int MinOpset = 13;

    /// <summary>The highest default-domain opset read.</summary>
    public const int MaxOpset = 18;

    /// <summary>The opset <see cref="Save"/> writes.</summary>
    public const int SaveOpset = 17;

    /// <summary>Loads the ONNX model at <paramref name="path"/> as a module whose parameters live in
    /// <paramref name="arena"/>. Call it outside any arena scope: the parameters must outlive every step.</summary>
    /// <remarks>All or nothing: if loading fails (a bad file, an unsupported feature, the arena's capacity), the arena is
    /// left as it was, with no tensor made.</remarks>
    /// <exception cref="InvalidDataException">The file is not a valid ONNX model; the message says what is wrong.</exception>
    /// <exception cref="NotSupportedException">The model uses an operator, opset, data type or feature not supported here.</exception>
    /// <exception cref="InvalidOperationException">An arena scope is open (the parameters would be released when it ends).</exception>
    /// <exception cref="ArenaCapacityException">The parameters do not fit in the arena.</exception>
    public static Module Load(Arena arena, string path)
    {
        ThrowIfScopeOpen(arena);
        ArgumentNullException.ThrowIfNull(path);
        using FileStream stream = File.OpenRead(path);
        return Load(arena, stream);
    }

    /// <summary>Loads an ONNX model from <paramref name="stream"/>, from its position to its end (see <see cref="Load(Arena, string)"/>).</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid ONNX model.</exception>
    /// <exception cref="NotSupportedException">The model uses an operator, opset, data type or feature not supported here.</exception>
    /// <exception cref="InvalidOperationException">An arena scope is open (the parameters would be released when it ends).</exception>
    /// <exception cref="ArenaCapacityException">The parameters do not fit in the arena.</exception>
    public static Module Load(Arena arena, Stream stream)
    {
        ThrowIfScopeOpen(arena);
        ArgumentNullException.ThrowIfNull(stream);
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"Not a valid ONNX model: {e.Message}", e);
        }
        return OnnxImporter.Import(arena, model);
    }

    private static void RunOnce(Module model, Tensor sampleInput)
    {
        Arena arena = sampleInput.Arena;
        using (arena.NoGrad())
        using (arena.Scope())
            model.Forward(sampleInput);
    }

    /// <summary>Throws unless <paramref name="arena"/> has no open scope, as module and optimizer constructors do.</summary>
    private static void ThrowIfScopeOpen(Arena arena)
    {
        ArgumentNullException.ThrowIfNull(arena);
        arena.ThrowIfScopeOpen("Onnx.Load makes the model's parameters", "Load models (and construct optimizers)");
    }

    /// <summary>Writes <paramref name="model"/>'s inference graph to <paramref name="path"/> as an ONNX model (opset 17),
    /// with a dynamic batch axis (dimension 0 of input and output is named <c>batch</c>) and the parameters as
    /// initializers named as in <see cref="Module.StateDict"/>. Graph input <c>input</c>, output <c>output</c>.</summary>
    /// <param name="model">A module that <see cref="Load(Arena, string)"/> made (written back as it was read, with the
    /// parameters' current values: fine-tune an imported model and save it), or a <see cref="Sequential"/> (or <see cref="Mlp"/>) of <see cref="Linear"/>, <see cref="Relu"/>,
    /// <see cref="Tanh"/>, <see cref="Sigmoid"/>, <see cref="LeakyRelu"/>, <see cref="Softmax"/>, <see cref="Flatten"/>,
    /// <see cref="Dropout"/> (written as nothing: inference), <see cref="Conv1d"/>, <see cref="Conv2d"/>, <see cref="MaxPool2d"/>,
    /// <see cref="AvgPool2d"/>, <see cref="AdaptiveAvgPool2d"/> (1×1, or sizes dividing the sample's), <see cref="BatchNorm1d"/> and
    /// <see cref="BatchNorm2d"/> (with their running statistics, as in evaluation), <see cref="LayerNorm"/>, <see cref="Embedding"/>
    /// (an Int32 sample: the graph input is INT64), <see cref="GRU"/> and <see cref="LSTM"/> (batched input) and nested
    /// Sequentials, or one such layer.</param>
    /// <param name="sampleInput">An input of the shape the model takes (any batch size): it is run through the model
    /// once, without recording, to check the model and to learn every intermediate shape.</param>
    /// <param name="path">Where to write the file.</param>
    /// <exception cref="NotSupportedException">The model holds a module that has no ONNX form here.</exception>
    public static void Save(Module model, Tensor sampleInput, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        ModelProto proto;
        if (model is OnnxModule imported)
        {
            RunOnce(imported, sampleInput); // the sample must fit the graph, as it must for an exported tree
            proto = imported.ToModelProto();
        }
        else proto = OnnxExporter.Export(model, sampleInput);
        using FileStream stream = File.Create(path);
        proto.WriteTo(stream);
    }
}
