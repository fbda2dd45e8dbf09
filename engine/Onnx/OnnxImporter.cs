using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using ArenaGrad.IO.OnnxFormat;
using ArenaGrad.Memory;

namespace ArenaGrad.IO;

/// <summary>Validates a parsed model and builds the <see cref="OnnxModule"/>.</summary>
internal static partial class OnnxImporter
{
    // Runtime: float32 data. RuntimeInt: the Int32 indices of ArgMax/ArgMin (ONNX's int64), which only a graph output may
    // take. RuntimeBool and BoolConstant: the comparisons' and logical ops' results and BOOL tensors in the file, which
    // only Not/And/Or/Xor, Where's condition, Identity and the graph output take. IntConstant: shapes, axes, indices.
    private enum Kind { Runtime, RuntimeInt, RuntimeBool, FloatConstant, IntConstant, BoolConstant }

    private sealed class Value
    {
        public required Kind Kind { get; init; }
        public int Slot { get; set; } = -1;
        public int[]? Shape { get; init; }
        public float[]? Floats { get; init; }
        public long[]? Longs { get; init; }
        public bool[]? Bools { get; init; }
        public bool IsParameter { get; init; }

        /// <summary>A Pad's output: its ONNX pads, for an AveragePool reading it to take as its own padding.</summary>
        public int[]? PadsOfPad { get; init; }
    }

    public static OnnxModule Import(Arena arena, ModelProto model)
    {
        GraphProto graph = model.Graph ?? throw new InvalidDataException("Not a valid ONNX model: it has no graph.");
        int opset = DefaultOpset(model);

        var values = new Dictionary<string, Value>(StringComparer.Ordinal);
        var parameterOrder = new List<string>();
        foreach (TensorProto initializer in graph.Initializer)
        {
            if (initializer.Name.Length == 0) throw new InvalidDataException("Not a valid ONNX model: an initializer has no name.");
            if (values.ContainsKey(initializer.Name))
                throw new InvalidDataException($"Not a valid ONNX model: initializer '{initializer.Name}' is given twice.");
            Value value = ReadTensor(initializer, $"initializer '{initializer.Name}'", parameter: true);
            values.Add(initializer.Name, value);
            if (value.Kind == Kind.FloatConstant) parameterOrder.Add(initializer.Name);
        }

        string? inputName = null;
        foreach (ValueInfoProto input in graph.Input)
        {
            if (values.ContainsKey(input.Name)) continue; // older exporters list initializers as inputs too
            if (inputName is not null)
                throw new NotSupportedException(
                    $"The ONNX graph has more than one input ('{inputName}', '{input.Name}'); a Module takes one input tensor.");
            // Token ids (INT64 or INT32, as torch exports an embedding's input) are an Int32 tensor at run time; they
            // go to Gather's indices only (an embedding lookup), which the node planning checks.
            bool indices = input.Type is { ValueCase: TypeProto.ValueOneofCase.TensorType } type
                && type.TensorType.ElemType is (int)TensorProto.Types.DataType.Int64 or (int)TensorProto.Types.DataType.Int32;
            if (!indices) CheckFloatType(input, "graph input");
            inputName = input.Name;
            values.Add(input.Name, new Value { Kind = indices ? Kind.RuntimeInt : Kind.Runtime });
        }
        if (inputName is null) throw new NotSupportedException("The ONNX graph has no input (every input is an initializer); a Module takes one input tensor.");
        if (graph.Output.Count != 1)
            throw new NotSupportedException(FormattableString.Invariant(
                $"The ONNX graph has {graph.Output.Count} outputs; a Module returns one tensor, so exactly one is supported."));
        string outputName = graph.Output[0].Name;

        // Validate every node and plan its slots before the arena is touched.
        var plans = new List<(OnnxOp Op, NodeProto Node, string[] Inputs, string Output, Func<int[], int, OnnxNode> Make)>();
        List<NodeProto> graphNodes = WithoutZeroStateSubgraphs(graph, values);
        Dictionary<string, int> uses = Uses(graphNodes, outputName);
        foreach (NodeProto node in graphNodes)
        {
            string where = NodeName(node);
            if (node.Domain.Length != 0 && node.Domain != "ai.onnx")
                throw new NotSupportedException($"ONNX operator '{node.Domain}.{node.OpType}' ({where}) is not supported: only the default domain is read.");
            PlanNode(node, where, opset, values, uses, plans);
        }
        if (!values.TryGetValue(outputName, out Value? output))
            throw new InvalidDataException($"Not a valid ONNX model: the graph output '{outputName}' is produced by no node, initializer or input.");
        if (output.Kind == Kind.IntConstant)
            throw new NotSupportedException($"The ONNX graph output '{outputName}' is an integer tensor; only float32 outputs are supported.");
        if (output.Kind == Kind.RuntimeInt) CheckIndexType(graph.Output[0]);
        else if (IsBool(output.Kind)) CheckBoolType(graph.Output[0]);
        else CheckFloatType(graph.Output[0], "graph output");

        // BatchNormalization's running statistics are buffers (state, not trained), as in the module torch exported.
        var statistics = new HashSet<string>(StringComparer.Ordinal);
        foreach ((OnnxOp planned, _, string[] plannedInputs, _, _) in plans)
            if (planned == OnnxOp.BatchNormalization)
            {
                statistics.Add(plannedInputs[3]);
                statistics.Add(plannedInputs[4]);
            }

        // Slots: one per runtime value and float or Bool constant.
        int slots = 0;
        foreach (Value value in values.Values)
            if (value.Kind != Kind.IntConstant && value.Slot < 0) value.Slot = slots++;

        // The graph is valid: only the arena can fail now (its capacity). All or nothing: every constant and parameter,
        // or none.
        using OpTransaction op = arena.BeginOp();
        var tensors = new Tensor[slots];
        var parameters = new List<(string, Tensor)>();
        var buffers = new List<(string, Tensor)>();
        foreach ((string name, Value value) in values)
        {
            if (value.Kind == Kind.FloatConstant)
                tensors[value.Slot] = arena.FromData(value.Floats, value.Shape, requiresGrad: value.IsParameter && !statistics.Contains(name));
            else if (value.Kind == Kind.BoolConstant) tensors[value.Slot] = arena.FromData(value.Bools, value.Shape);
        }
        foreach (string name in parameterOrder) (statistics.Contains(name) ? buffers : parameters).Add((name, tensors[values[name].Slot]));

        var nodes = new OnnxNode[plans.Count];
        for (int i = 0; i < nodes.Length; i++)
        {
            (_, _, string[] inputs, string outName, Func<int[], int, OnnxNode> make) = plans[i];
            var inputSlots = new int[inputs.Length];
            for (int k = 0; k < inputs.Length; k++) inputSlots[k] = inputs[k].Length == 0 ? -1 : values[inputs[k]].Slot;
            nodes[i] = make(inputSlots, values[outName].Slot);
        }
        var module = new OnnxModule(nodes, tensors, values[inputName].Slot, output.Slot, parameters, buffers, inputName, outputName, opset, model);
        op.Commit();
        return module;
    }

    private static int DefaultOpset(ModelProto model)
    {
        long? version = null;
        foreach (OperatorSetIdProto opset in model.OpsetImport)
            if (opset.Domain.Length == 0 || opset.Domain == "ai.onnx") version = opset.Version;
        if (version is null) throw new InvalidDataException("Not a valid ONNX model: it imports no opset of the default domain.");
        if (version < Onnx.MinOpset || version > Onnx.MaxOpset)
            throw new NotSupportedException(FormattableString.Invariant(
                $"ONNX opset {version} of the default domain is not supported: ArenaGrad.Onnx reads opsets {Onnx.MinOpset} to {Onnx.MaxOpset}."));
        return (int)version.Value;
    }

    private static string NodeName(NodeProto node) =>
        node.Name.Length > 0 ? $"node '{node.Name}'" : $"the node writing '{(node.Output.Count > 0 ? node.Output[0] : "")}'";

    private static void CheckFloatType(ValueInfoProto info, string what)
    {
        TypeProto? type = info.Type;
        if (type is null) return; // the type is optional inside a graph; the ops check their inputs
        if (type.ValueCase != TypeProto.ValueOneofCase.TensorType)
            throw new NotSupportedException($"The ONNX {what} '{info.Name}' is not a tensor; only tensors are supported.");
        int elem = type.TensorType.ElemType;
        if (elem != (int)TensorProto.Types.DataType.Float)
            throw new NotSupportedException($"The ONNX {what} '{info.Name}' has data type {DataTypeName(elem)}; only FLOAT (float32) is supported.");
    }

    /// <summary>A graph output holding ArgMax/ArgMin indices: declared INT64 (or undeclared); the module returns them as Int32.</summary>
    private static void CheckIndexType(ValueInfoProto info)
    {
        TypeProto? type = info.Type;
        if (type is null) return;
        if (type.ValueCase != TypeProto.ValueOneofCase.TensorType || type.TensorType.ElemType != (int)TensorProto.Types.DataType.Int64)
            throw new InvalidDataException(
                $"Not a valid ONNX model: the graph output '{info.Name}' holds ArgMax/ArgMin indices (INT64) but is declared {(type.ValueCase == TypeProto.ValueOneofCase.TensorType ? DataTypeName(type.TensorType.ElemType) : "not a tensor")}.");
    }

    /// <summary>A graph output holding a Bool tensor (a comparison's or logical operator's result, or a BOOL constant):
    /// declared BOOL (or undeclared); the module returns it as a Bool tensor.</summary>
    private static void CheckBoolType(ValueInfoProto info)
    {
        TypeProto? type = info.Type;
        if (type is null) return;
        if (type.ValueCase != TypeProto.ValueOneofCase.TensorType || type.TensorType.ElemType != (int)TensorProto.Types.DataType.Bool)
            throw new InvalidDataException(
                $"Not a valid ONNX model: the graph output '{info.Name}' holds a BOOL tensor but is declared {(type.ValueCase == TypeProto.ValueOneofCase.TensorType ? DataTypeName(type.TensorType.ElemType) : "not a tensor")}.");
    }

    private static bool IsBool(Kind kind) => kind is Kind.RuntimeBool or Kind.BoolConstant;

    /// <summary>What a value holds, as load-time messages name it.</summary>
    private static string KindName(Kind kind) => kind switch
    {
        Kind.Runtime or Kind.FloatConstant => "float32",
        Kind.RuntimeInt or Kind.IntConstant => "integer",
        _ => "Bool",
    };

    internal static string DataTypeName(int dataType) =>
        Enum.IsDefined(typeof(TensorProto.Types.DataType), dataType)
            ? ((TensorProto.Types.DataType)dataType).ToString().ToUpperInvariant()
            : FormattableString.Invariant($"{dataType} (unknown)");

    private static Value ReadTensor(TensorProto tensor, string what, bool parameter)
    {
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
            throw new NotSupportedException($"ONNX {what} keeps its data in an external file; only data inside the model file is supported.");
        if (tensor.Dims.Count > TensorLayout.MaxRank)
            throw new NotSupportedException(FormattableString.Invariant($"ONNX {what} has {tensor.Dims.Count} dimensions; at most {TensorLayout.MaxRank} are supported."));
        var shape = new int[tensor.Dims.Count];
        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            long dim = tensor.Dims[i];
            if (dim < 0 || dim > int.MaxValue) throw new InvalidDataException(FormattableString.Invariant($"Not a valid ONNX model: {what} has dimension {dim}."));
            shape[i] = (int)dim;
            count *= dim;
            if (count > int.MaxValue) throw new InvalidDataException($"Not a valid ONNX model: {what} has more than {int.MaxValue} elements.");
        }
        int n = (int)count;
        ReadOnlySpan<byte> raw = tensor.RawData.Span;
        switch ((TensorProto.Types.DataType)tensor.DataType)
        {
            case TensorProto.Types.DataType.Float:
            {
                if (!tensor.RawData.IsEmpty) CheckLength(raw.Length, (long)n * 4, what, "raw_data bytes");
                else CheckLength(tensor.FloatData.Count, n, what, "float_data values");
                var data = new float[n]; // after the length check: the dims alone must not size an allocation
                if (!tensor.RawData.IsEmpty)
                {
                    for (int i = 0; i < n; i++) data[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]);
                }
                else tensor.FloatData.CopyTo(data, 0);
                return new Value { Kind = Kind.FloatConstant, Shape = shape, Floats = data, IsParameter = parameter };
            }
            case TensorProto.Types.DataType.Int64:
            {
                if (!tensor.RawData.IsEmpty) CheckLength(raw.Length, (long)n * 8, what, "raw_data bytes");
                else CheckLength(tensor.Int64Data.Count, n, what, "int64_data values");
                var data = new long[n];
                if (!tensor.RawData.IsEmpty)
                {
                    for (int i = 0; i < n; i++) data[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]);
                }
                else tensor.Int64Data.CopyTo(data, 0);
                return new Value { Kind = Kind.IntConstant, Shape = shape, Longs = data };
            }
            case TensorProto.Types.DataType.Int32:
            {
                if (!tensor.RawData.IsEmpty) CheckLength(raw.Length, (long)n * 4, what, "raw_data bytes");
                else CheckLength(tensor.Int32Data.Count, n, what, "int32_data values");
                var data = new long[n];
                if (!tensor.RawData.IsEmpty)
                {
                    for (int i = 0; i < n; i++) data[i] = BinaryPrimitives.ReadInt32LittleEndian(raw[(i * 4)..]);
                }
                else for (int i = 0; i < n; i++) data[i] = tensor.Int32Data[i];
                return new Value { Kind = Kind.IntConstant, Shape = shape, Longs = data };
            }
            case TensorProto.Types.DataType.Bool:
            {
                // ONNX stores BOOL as one byte per element in raw_data, or one int32 per element in int32_data;
                // nonzero is true, as ONNX Runtime's unpacking of int32_data casts.
                if (!tensor.RawData.IsEmpty) CheckLength(raw.Length, n, what, "raw_data bytes");
                else CheckLength(tensor.Int32Data.Count, n, what, "int32_data values");
                var data = new bool[n];
                if (!tensor.RawData.IsEmpty)
                {
                    for (int i = 0; i < n; i++) data[i] = raw[i] != 0;
                }
                else for (int i = 0; i < n; i++) data[i] = tensor.Int32Data[i] != 0;
                return new Value { Kind = Kind.BoolConstant, Shape = shape, Bools = data };
            }
            default:
                throw new NotSupportedException(
                    $"ONNX {what} has data type {DataTypeName(tensor.DataType)}; supported are FLOAT (float32), BOOL (conditions and logical operands) and, for shapes and axes, INT64 and INT32.");
        }
    }

    private static void CheckLength(long got, long expected, string what, string unit)
    {
        if (got != expected)
            throw new InvalidDataException(FormattableString.Invariant(
                $"Not a valid ONNX model: {what} should hold {expected} {unit} for its dims, but holds {got}."));
    }

    private static void PlanNode(NodeProto node, string where, int opset, Dictionary<string, Value> values, Dictionary<string, int> uses,
        List<(OnnxOp, NodeProto, string[], string, Func<int[], int, OnnxNode>)> plans)
    {
        string opType = node.OpType;
        string[] inputs = [.. node.Input];
        // Every input must exist already: nodes are stored in topological order.
        foreach (string input in inputs)
            if (input.Length > 0 && !values.ContainsKey(input))
                throw new InvalidDataException($"Not a valid ONNX model: {where} ({opType}) reads '{input}', which no earlier node, initializer or graph input produces.");
        int outputs = 0;
        for (int i = 0; i < node.Output.Count; i++) if (node.Output[i].Length > 0) outputs = i + 1;
        bool recurrent = opType is "LSTM" or "GRU"; // Y, Y_h (and Y_c): any of them may be left out
        if (outputs == 0 || (!recurrent && node.Output[0].Length == 0))
            throw new InvalidDataException($"Not a valid ONNX model: {where} ({opType}) names no output.");
        if (outputs > 1 && opType != "Split" && !recurrent)
            throw new NotSupportedException($"ONNX {opType} ({where}) with more than one output is not supported.");
        string output = node.Output[0];
        for (int i = 0; i < outputs; i++)
            if (node.Output[i].Length > 0 && (values.ContainsKey(node.Output[i]) || node.Output.IndexOf(node.Output[i]) < i))
                throw new InvalidDataException($"Not a valid ONNX model: '{node.Output[i]}' is produced twice ({where}).");

        if (opType == "Constant")
        {
            values.Add(output, ConstantValue(node, where));
            return;
        }
        if (opType == "Identity" && inputs.Length == 1 && values[inputs[0]].Kind == Kind.IntConstant)
        {
            values.Add(output, values[inputs[0]]); // shape arithmetic stays a constant
            return;
        }

        OnnxOp op;
        int minInputs = 1, maxInputs = 1;
        switch (opType)
        {
            case "Gemm": op = OnnxOp.Gemm; minInputs = 2; maxInputs = 3; break;
            case "MatMul": op = OnnxOp.MatMul; minInputs = maxInputs = 2; break;
            case "Add": op = OnnxOp.Add; minInputs = maxInputs = 2; break;
            case "Sub": op = OnnxOp.Sub; minInputs = maxInputs = 2; break;
            case "Mul": op = OnnxOp.Mul; minInputs = maxInputs = 2; break;
            case "Div": op = OnnxOp.Div; minInputs = maxInputs = 2; break;
            case "Relu": op = OnnxOp.Relu; break;
            case "LeakyRelu": op = OnnxOp.LeakyRelu; break;
            case "Tanh": op = OnnxOp.Tanh; break;
            case "Sigmoid": op = OnnxOp.Sigmoid; break;
            case "Exp": op = OnnxOp.Exp; break;
            case "Log": op = OnnxOp.Log; break;
            case "Sqrt": op = OnnxOp.Sqrt; break;
            case "Abs": op = OnnxOp.Abs; break;
            case "Neg": op = OnnxOp.Neg; break;
            case "Softmax": op = OnnxOp.Softmax; break;
            case "LogSoftmax": op = OnnxOp.LogSoftmax; break;
            case "Reshape": op = OnnxOp.Reshape; minInputs = maxInputs = 2; break;
            case "Flatten": op = OnnxOp.Flatten; break;
            case "Transpose": op = OnnxOp.Transpose; break;
            case "Concat": op = OnnxOp.Concat; maxInputs = int.MaxValue; break;
            case "Identity": op = OnnxOp.Identity; break;
            case "Dropout": op = OnnxOp.Identity; maxInputs = 3; break; // inference: the input itself
            case "ReduceMean": op = OnnxOp.ReduceMean; maxInputs = 2; break;
            case "ReduceSum": op = OnnxOp.ReduceSum; maxInputs = 2; break;
            case "ReduceMax": op = OnnxOp.ReduceMax; maxInputs = 2; break;
            case "Slice": op = OnnxOp.Slice; minInputs = 3; maxInputs = 5; break;
            case "Squeeze": op = OnnxOp.Squeeze; maxInputs = 2; break;
            case "Unsqueeze": op = OnnxOp.Unsqueeze; minInputs = maxInputs = 2; break;
            case "Expand": op = OnnxOp.Expand; minInputs = maxInputs = 2; break;
            case "Tile": op = OnnxOp.Tile; minInputs = maxInputs = 2; break;
            case "Split": op = OnnxOp.SplitPiece; maxInputs = 2; break;
            case "ReduceMin": op = OnnxOp.ReduceMin; maxInputs = 2; break;
            case "ReduceProd": op = OnnxOp.ReduceProd; maxInputs = 2; break;
            case "ReduceL1": op = OnnxOp.ReduceL1; maxInputs = 2; break;
            case "ReduceL2": op = OnnxOp.ReduceL2; maxInputs = 2; break;
            case "ReduceLogSumExp": op = OnnxOp.ReduceLogSumExp; maxInputs = 2; break;
            case "ArgMax": op = OnnxOp.ArgMax; break;
            case "ArgMin": op = OnnxOp.ArgMin; break;
            case "CumSum": op = OnnxOp.CumSum; minInputs = maxInputs = 2; break;
            // math (issue 16); Min and Max are variadic in ONNX: one input is the identity, two are the engine's
            // broadcasting minimum and maximum, more are refused below
            case "Sin": op = OnnxOp.Sin; break;
            case "Cos": op = OnnxOp.Cos; break;
            case "Erf": op = OnnxOp.Erf; break;
            case "Sign": op = OnnxOp.Sign; break;
            case "Floor": op = OnnxOp.Floor; break;
            case "Round": op = OnnxOp.Round; break;
            case "Reciprocal": op = OnnxOp.Reciprocal; break;
            case "Softplus": op = OnnxOp.Softplus; break;
            case "Elu": op = OnnxOp.Elu; break;
            case "Min": op = OnnxOp.Min; maxInputs = int.MaxValue; break;
            case "Max": op = OnnxOp.Max; maxInputs = int.MaxValue; break;
            case "Gather": op = OnnxOp.Gather; minInputs = maxInputs = 2; break;
            // comparisons of float32 data give Bool tensors, which Not/And/Or/Xor combine and Where takes as its condition
            case "Equal": op = OnnxOp.Equal; minInputs = maxInputs = 2; break;
            case "Less": op = OnnxOp.Less; minInputs = maxInputs = 2; break;
            case "LessOrEqual": op = OnnxOp.LessOrEqual; minInputs = maxInputs = 2; break;
            case "Greater": op = OnnxOp.Greater; minInputs = maxInputs = 2; break;
            case "GreaterOrEqual": op = OnnxOp.GreaterOrEqual; minInputs = maxInputs = 2; break;
            case "Not": op = OnnxOp.Not; break;
            case "And": op = OnnxOp.And; minInputs = maxInputs = 2; break;
            case "Or": op = OnnxOp.Or; minInputs = maxInputs = 2; break;
            case "Xor": op = OnnxOp.Xor; minInputs = maxInputs = 2; break;
            case "Where": op = OnnxOp.Where; minInputs = maxInputs = 3; break;
            // layers (issue 18): planned in OnnxImporter.Layers.cs
            case "Conv": op = OnnxOp.Conv; minInputs = 2; maxInputs = 3; break;
            case "MaxPool": op = OnnxOp.MaxPool; break;
            case "AveragePool": op = OnnxOp.AveragePool; break;
            case "GlobalAveragePool": op = OnnxOp.GlobalAveragePool; break;
            case "Pad": op = OnnxOp.Pad; minInputs = 2; maxInputs = 4; break;
            case "BatchNormalization": op = OnnxOp.BatchNormalization; minInputs = maxInputs = 5; break;
            case "LayerNormalization": op = OnnxOp.LayerNormalization; minInputs = 2; maxInputs = 3; break;
            case "LSTM": op = OnnxOp.Lstm; minInputs = 3; maxInputs = 8; break;
            case "GRU": op = OnnxOp.Gru; minInputs = 3; maxInputs = 6; break;
            default:
                throw new NotSupportedException(
                    $"ONNX operator '{opType}' ({where}) is not supported. Supported: Gemm, MatMul, Add, Sub, Mul, Div, Relu, LeakyRelu, Tanh, " +
                    "Sigmoid, Exp, Log, Sqrt, Abs, Neg, Softmax, LogSoftmax, Reshape, Flatten, Transpose, Concat, Identity, Dropout, Constant, " +
                    "ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceLogSumExp, ArgMax, ArgMin (as the graph " +
                    "output), CumSum, Slice, Squeeze, Unsqueeze, Expand, Tile, Split, Sin, Cos, Erf, Sign, Floor, Round, Reciprocal, Softplus, Elu, Min, Max, Gather (with constant indices, or an embedding lookup of the integer graph input), " +
                    "Equal, Less, LessOrEqual, Greater, GreaterOrEqual, Not, And, Or, Xor, Where, Conv (1-D and 2-D), MaxPool, AveragePool, GlobalAveragePool, Pad (constant zeros), " +
                    "BatchNormalization (inference), LayerNormalization, LSTM, GRU.");
        }
        if (inputs.Length < minInputs || inputs.Length > maxInputs || inputs[0].Length == 0)
            throw new InvalidDataException(FormattableString.Invariant(
                $"Not a valid ONNX model: {where} ({opType}) has {inputs.Length} inputs; it takes {(minInputs == maxInputs ? minInputs.ToString(System.Globalization.CultureInfo.InvariantCulture) : maxInputs == int.MaxValue ? $"{minInputs} or more" : $"{minInputs} to {maxInputs}")}."));

        if (op is OnnxOp.Min or OnnxOp.Max)
        {
            if (inputs.Length > 2)
                throw new NotSupportedException(FormattableString.Invariant(
                    $"ONNX {opType} ({where}) with {inputs.Length} inputs is not supported: at most 2 are."));
            if (inputs.Length == 1) op = OnnxOp.Identity; // the minimum or maximum of one tensor is itself
        }
        if (op == OnnxOp.Gather && inputs[1].Length == 0)
            throw new InvalidDataException($"Not a valid ONNX model: {where} (Gather) leaves out its required input 1 (indices).");
        if (op == OnnxOp.Gather && values[inputs[1]].Kind == Kind.RuntimeInt) op = OnnxOp.Embedding; // the graph's token ids
        if (IsLayer(op))
        {
            PlanLayer(op, node, where, opset, inputs, values, uses, plans);
            return;
        }

        // Which inputs carry data (float) and which are shape/axes constants.
        int dataInputs = op switch
        {
            OnnxOp.Reshape or OnnxOp.CumSum => 1,
            _ when IsReduce(op) => 1,
            OnnxOp.Slice or OnnxOp.Squeeze or OnnxOp.Unsqueeze or OnnxOp.Expand or OnnxOp.Tile or OnnxOp.SplitPiece or OnnxOp.Gather => 1,
            _ when opType == "Dropout" => 1,
            _ => inputs.Length,
        };
        // Each data input's kind: Bool for the logical ops and Where's condition, either for Identity, float32 elsewhere.
        for (int i = 0; i < dataInputs; i++)
        {
            if (inputs[i].Length == 0)
            {
                if (op == OnnxOp.Gemm && i == 2) continue;
                throw new InvalidDataException($"Not a valid ONNX model: {where} ({opType}) leaves out its required input {i}.");
            }
            Kind kind = values[inputs[i]].Kind;
            if (opType == "Identity" && IsBool(kind)) continue; // passes a Bool tensor on
            if (IsLogical(op) || (op == OnnxOp.Where && i == 0))
            {
                if (!IsBool(kind))
                    throw new NotSupportedException(op == OnnxOp.Where
                        ? $"ONNX Where ({where}) takes the {KindName(kind)} tensor '{inputs[i]}' as its condition; the condition must be Bool (a comparison's or logical operator's result, or a BOOL constant)."
                        : $"ONNX {opType} ({where}) takes the {KindName(kind)} tensor '{inputs[i]}'; it takes Bool tensors only (a comparison's or logical operator's result, or a BOOL constant).");
            }
            else if (kind is not (Kind.Runtime or Kind.FloatConstant))
                throw new NotSupportedException($"ONNX {opType} ({where}) takes the {KindName(kind)} tensor '{inputs[i]}' as data; only float32 data is supported.");
        }

        var attributes = new Attributes(node, where);
        float alpha = 1f, beta = 1f;
        bool transA = false, transB = false, flag = false, noop = false;
        int axis = 0;
        int[]? ints = null, indicesShape = null;
        switch (op)
        {
            case OnnxOp.Gemm:
                alpha = attributes.Float("alpha", 1f);
                beta = attributes.Float("beta", 1f);
                transA = attributes.Int("transA", 0) != 0;
                transB = attributes.Int("transB", 0) != 0;
                // torch's Linear export: y = x Wᵀ + b with a constant rank-1 bias is the engine's fused linear.
                Value weight = values[inputs[1]];
                if (!transA && transB && alpha == 1f && beta == 1f && weight is { Kind: Kind.FloatConstant, Shape.Length: 2 }
                    && (inputs.Length < 3 || inputs[2].Length == 0
                        || values[inputs[2]] is { Kind: Kind.FloatConstant, Shape.Length: 1 } bias && bias.Shape[0] == weight.Shape[0]))
                    op = OnnxOp.Linear;
                break;
            case OnnxOp.LeakyRelu:
                alpha = attributes.Float("alpha", 0.01f);
                break;
            case OnnxOp.Elu:
                alpha = attributes.Float("alpha", 1f);
                break;
            case OnnxOp.Softmax:
            case OnnxOp.LogSoftmax:
                axis = CheckedInt(attributes.Int("axis", -1), "axis", where);
                break;
            case OnnxOp.Flatten:
                axis = CheckedInt(attributes.Int("axis", 1), "axis", where);
                break;
            case OnnxOp.Concat:
                axis = CheckedInt(attributes.Int("axis", null), "axis", where);
                break;
            case OnnxOp.Transpose:
                if (attributes.Has("perm"))
                {
                    ints = CheckedInts(attributes.Ints("perm"), "perm", where);
                    var seen = new bool[ints.Length];
                    foreach (int p in ints)
                    {
                        if (p < 0 || p >= ints.Length || seen[p])
                            throw new InvalidDataException($"Not a valid ONNX model: {where} (Transpose) has perm [{string.Join(", ", ints)}], which is not a permutation.");
                        seen[p] = true;
                    }
                }
                break;
            case OnnxOp.Reshape:
            {
                ints = CheckedInts(IntConstant(values, inputs[1], "shape", opType, where), "shape", where);
                flag = attributes.Int("allowzero", 0) != 0;
                if (ints.Length > TensorLayout.MaxRank)
                    throw new NotSupportedException(FormattableString.Invariant($"ONNX Reshape ({where}) to {ints.Length} dimensions: at most {TensorLayout.MaxRank} are supported."));
                break;
            }
            case OnnxOp.ArgMax:
            case OnnxOp.ArgMin:
                axis = CheckedInt(attributes.Int("axis", 0), "axis", where);
                flag = attributes.Int("keepdims", 1) != 0;
                if (attributes.Int("select_last_index", 0) != 0)
                    throw new NotSupportedException($"ONNX {opType} ({where}) with select_last_index = 1 is not supported: the engine picks the first index, as PyTorch does.");
                break;
            case OnnxOp.CumSum:
            {
                long[] axes = IntConstant(values, inputs[1], "axis", opType, where);
                if (axes.Length != 1)
                    throw new InvalidDataException(FormattableString.Invariant($"Not a valid ONNX model: {where} (CumSum) takes one axis, but its axis input holds {axes.Length}."));
                axis = CheckedInt(axes[0], "axis", where);
                foreach (string name in new[] { "exclusive", "reverse" })
                    if (attributes.Int(name, 0) != 0)
                        throw new NotSupportedException($"ONNX CumSum ({where}) with {name} = 1 is not supported: only the inclusive forward sum (torch.cumsum) is.");
                break;
            }
            case OnnxOp.Gather:
            {
                // The indices must be a constant: the importer carries float32 tensors only between nodes.
                Value indices = values[inputs[1]];
                if (indices.Kind != Kind.IntConstant)
                    throw new NotSupportedException(
                        $"ONNX Gather ({where}) takes its indices from '{inputs[1]}', which is not an integer constant (initializer or Constant node); computed indices are not supported.");
                axis = CheckedInt(attributes.Int("axis", 0), "axis", where);
                ints = CheckedInts(indices.Longs!, "indices", where);
                indicesShape = indices.Shape!;
                break;
            }
            case OnnxOp.ReduceMean:
            case OnnxOp.ReduceSum:
            case OnnxOp.ReduceMax:
            case OnnxOp.ReduceMin:
            case OnnxOp.ReduceProd:
            case OnnxOp.ReduceL1:
            case OnnxOp.ReduceL2:
            case OnnxOp.ReduceLogSumExp:
                flag = attributes.Int("keepdims", 1) != 0;
                noop = attributes.Int("noop_with_empty_axes", 0) != 0;
                if (attributes.Has("axes")) ints = CheckedInts(attributes.Ints("axes"), "axes", where);
                else if (inputs.Length > 1 && inputs[1].Length > 0)
                    ints = CheckedInts(IntConstant(values, inputs[1], "axes", opType, where), "axes", where);
                break;
        }

        int[]? starts = null, ends = null, steps = null;
        switch (op)
        {
            case OnnxOp.Slice:
            {
                long[] startList = IntConstant(values, inputs[1], "starts", opType, where), endList = IntConstant(values, inputs[2], "ends", opType, where);
                if (startList.Length != endList.Length)
                    throw new InvalidDataException(FormattableString.Invariant(
                        $"Not a valid ONNX model: {where} (Slice) has {startList.Length} starts and {endList.Length} ends."));
                starts = Saturated(startList);
                ends = Saturated(endList);
                if (inputs.Length > 3 && inputs[3].Length > 0)
                    ints = CheckedInts(IntConstant(values, inputs[3], "axes", opType, where), "axes", where);
                if (inputs.Length > 4 && inputs[4].Length > 0)
                {
                    long[] stepList = IntConstant(values, inputs[4], "steps", opType, where);
                    foreach (long step in stepList)
                    {
                        if (step == 0) throw new InvalidDataException($"Not a valid ONNX model: {where} (Slice) has a step of 0.");
                        if (step < 0)
                            throw new NotSupportedException($"ONNX Slice ({where}) with a negative step is not supported: the engine's slice steps forward, as torch's does.");
                    }
                    steps = Saturated(stepList);
                }
                if ((ints is not null && ints.Length != starts.Length) || (steps is not null && steps.Length != starts.Length))
                    throw new InvalidDataException(FormattableString.Invariant(
                        $"Not a valid ONNX model: {where} (Slice) has {starts.Length} starts but {ints?.Length ?? starts.Length} axes and {steps?.Length ?? starts.Length} steps."));
                break;
            }
            case OnnxOp.Squeeze:
                if (inputs.Length > 1 && inputs[1].Length > 0) ints = CheckedInts(IntConstant(values, inputs[1], "axes", opType, where), "axes", where);
                break;
            case OnnxOp.Unsqueeze:
                ints = CheckedInts(IntConstant(values, inputs[1], "axes", opType, where), "axes", where);
                break;
            case OnnxOp.Expand:
                ints = CheckedInts(IntConstant(values, inputs[1], "shape", opType, where), "shape", where);
                foreach (int size in ints)
                    if (size < 0) throw new InvalidDataException($"Not a valid ONNX model: {where} (Expand) has shape [{string.Join(", ", ints)}] with a negative entry.");
                break;
            case OnnxOp.Tile:
                ints = CheckedInts(IntConstant(values, inputs[1], "repeats", opType, where), "repeats", where);
                foreach (int repeat in ints)
                    if (repeat < 0) throw new InvalidDataException($"Not a valid ONNX model: {where} (Tile) has repeats [{string.Join(", ", ints)}] with a negative entry.");
                break;
            case OnnxOp.SplitPiece:
                PlanSplit(node, where, opset, inputs, values, attributes, plans);
                return;
        }

        Kind outputKind = op switch
        {
            OnnxOp.ArgMax or OnnxOp.ArgMin => Kind.RuntimeInt,
            _ when IsComparison(op) || IsLogical(op) => Kind.RuntimeBool,
            OnnxOp.Identity when IsBool(values[inputs[0]].Kind) => Kind.RuntimeBool,
            _ => Kind.Runtime,
        };
        values.Add(output, new Value { Kind = outputKind });
        OnnxOp finalOp = op;
        int concatCount = inputs.Length;
        plans.Add((finalOp, node, inputs, output, (slots, outSlot) => new OnnxNode
        {
            Op = finalOp,
            Inputs = finalOp == OnnxOp.Identity ? [slots[0]] : slots,
            Output = outSlot,
            Alpha = alpha,
            Beta = beta,
            TransA = transA,
            TransB = transB,
            Axis = axis,
            Ints = ints,
            Flag = flag,
            NoopWithEmptyAxes = noop,
            Starts = starts,
            Ends = ends,
            Steps = steps,
            Scratch = finalOp == OnnxOp.Concat ? new Tensor[concatCount] : null,
            IndicesShape = indicesShape,
            IndexScratch = finalOp == OnnxOp.Gather ? new int[ints!.Length] : null,
        }));
    }

    /// <summary>ONNX Split: one planned node per output, each a narrow of the input (sizes from the 'split' input or
    /// attribute, else equal parts: num_outputs from opset 18, the output count before).</summary>
    private static void PlanSplit(NodeProto node, string where, int opset, string[] inputs, Dictionary<string, Value> values, Attributes attributes,
        List<(OnnxOp, NodeProto, string[], string, Func<int[], int, OnnxNode>)> plans)
    {
        int count = node.Output.Count;
        int axis = CheckedInt(attributes.Int("axis", 0), "axis", where);
        int[]? sizes = null;
        if (inputs.Length > 1 && inputs[1].Length > 0) sizes = CheckedInts(IntConstant(values, inputs[1], "split", "Split", where), "split", where);
        else if (attributes.Has("split")) sizes = CheckedInts(attributes.Ints("split"), "split", where);
        if (attributes.Has("num_outputs"))
        {
            long parts = attributes.Int("num_outputs", null);
            if (sizes is not null)
                throw new InvalidDataException($"Not a valid ONNX model: {where} (Split) gives both split sizes and num_outputs.");
            if (parts != count)
                throw new InvalidDataException(FormattableString.Invariant(
                    $"Not a valid ONNX model: {where} (Split) has num_outputs {parts} but {count} outputs."));
        }
        if (sizes is not null)
        {
            if (sizes.Length != count)
                throw new InvalidDataException(FormattableString.Invariant(
                    $"Not a valid ONNX model: {where} (Split) has {sizes.Length} split sizes but {count} outputs."));
            foreach (int size in sizes)
                if (size < 0) throw new InvalidDataException($"Not a valid ONNX model: {where} (Split) has split sizes [{string.Join(", ", sizes)}] with a negative entry.");
        }
        bool equalOnly = sizes is null && opset < 18;
        for (int i = 0; i < count; i++)
        {
            string output = node.Output[i];
            if (output.Length == 0) continue; // an output left out: nothing reads it
            values.Add(output, new Value { Kind = Kind.Runtime });
            int index = i;
            plans.Add((OnnxOp.SplitPiece, node, [inputs[0]], output, (slots, outSlot) => new OnnxNode
            {
                Op = OnnxOp.SplitPiece,
                Inputs = slots,
                Output = outSlot,
                Axis = axis,
                Ints = sizes,
                Index = index,
                Count = count,
                EqualPartsOnly = equalOnly,
            }));
        }
    }

    /// <summary>Int64 bounds clamped to int: every dim is below 2^31, so a clamped start or end slices the same.</summary>
    private static int[] Saturated(long[] values)
    {
        var result = new int[values.Length];
        for (int i = 0; i < result.Length; i++) result[i] = (int)Math.Clamp(values[i], int.MinValue, int.MaxValue);
        return result;
    }

    private static bool IsComparison(OnnxOp op) =>
        op is OnnxOp.Equal or OnnxOp.Less or OnnxOp.LessOrEqual or OnnxOp.Greater or OnnxOp.GreaterOrEqual;

    private static bool IsLogical(OnnxOp op) => op is OnnxOp.Not or OnnxOp.And or OnnxOp.Or or OnnxOp.Xor;

    private static bool IsReduce(OnnxOp op) => op is OnnxOp.ReduceMean or OnnxOp.ReduceSum or OnnxOp.ReduceMax or OnnxOp.ReduceMin
        or OnnxOp.ReduceProd or OnnxOp.ReduceL1 or OnnxOp.ReduceL2 or OnnxOp.ReduceLogSumExp;

    private static long[] IntConstant(Dictionary<string, Value> values, string name, string what, string opType, string where)
    {
        if (name.Length == 0) throw new InvalidDataException($"Not a valid ONNX model: {where} ({opType}) leaves out its {what} input.");
        Value value = values[name];
        if (value.Kind != Kind.IntConstant)
            throw new NotSupportedException(
                $"ONNX {opType} ({where}) takes its {what} from '{name}', which is not an integer constant (initializer or Constant node); computed {what}s are not supported.");
        if (value.Shape!.Length > 1)
            throw new InvalidDataException($"Not a valid ONNX model: {where} ({opType}) takes a {what} of rank {value.Shape.Length}; it must be 1-D.");
        return value.Longs!;
    }

    private static int CheckedInt(long value, string name, string where)
    {
        if (value < int.MinValue || value > int.MaxValue)
            throw new InvalidDataException(FormattableString.Invariant($"Not a valid ONNX model: {where} has {name} {value}, out of range."));
        return (int)value;
    }

    private static int[] CheckedInts(IReadOnlyList<long> values, string name, string where)
    {
        var result = new int[values.Count];
        for (int i = 0; i < result.Length; i++) result[i] = CheckedInt(values[i], name, where);
        return result;
    }

    private static Value ConstantValue(NodeProto node, string where)
    {
        if (node.Attribute.Count != 1)
            throw new InvalidDataException(FormattableString.Invariant(
                $"Not a valid ONNX model: {where} (Constant) has {node.Attribute.Count} attributes; it takes exactly one value."));
        if (node.Input.Count != 0)
            throw new InvalidDataException($"Not a valid ONNX model: {where} (Constant) has inputs; it takes none.");
        var attributes = new Attributes(node, where);
        AttributeProto attribute = node.Attribute[0];
        switch (attribute.Name)
        {
            case "value":
                return ReadTensor(attributes.Tensor("value"), $"Constant {where}", parameter: false);
            case "value_float":
                return new Value { Kind = Kind.FloatConstant, Shape = [], Floats = [attributes.Float("value_float", null)] };
            case "value_floats":
            {
                float[] floats = attributes.Floats("value_floats");
                return new Value { Kind = Kind.FloatConstant, Shape = [floats.Length], Floats = floats };
            }
            case "value_int":
                return new Value { Kind = Kind.IntConstant, Shape = [], Longs = [attributes.Int("value_int", null)] };
            case "value_ints":
            {
                long[] longs = [.. attributes.Ints("value_ints")];
                return new Value { Kind = Kind.IntConstant, Shape = [longs.Length], Longs = longs };
            }
            default:
                throw new NotSupportedException($"ONNX Constant ({where}) with attribute '{attribute.Name}' is not supported: value, value_float(s) and value_int(s) are.");
        }
    }

    /// <summary>A node's attributes by name, each read with a check of its declared type.</summary>
    private readonly struct Attributes(NodeProto node, string where)
    {
        private AttributeProto? Find(string name)
        {
            foreach (AttributeProto attribute in node.Attribute)
                if (attribute.Name == name) return attribute;
            return null;
        }

        public bool Has(string name) => Find(name) is not null;

        private AttributeProto Get(string name, AttributeProto.Types.AttributeType type)
        {
            AttributeProto attribute = Find(name)
                ?? throw new InvalidDataException($"Not a valid ONNX model: {where} ({node.OpType}) lacks its required attribute '{name}'.");
            if (attribute.Type != type)
                throw new InvalidDataException(
                    $"Not a valid ONNX model: {where} ({node.OpType}) has attribute '{name}' of type {attribute.Type.ToString().ToUpperInvariant()}; it must be {type.ToString().ToUpperInvariant()}.");
            return attribute;
        }

        public float Float(string name, float? fallback) =>
            fallback is { } value && !Has(name) ? value : Get(name, AttributeProto.Types.AttributeType.Float).F;

        public long Int(string name, long? fallback) =>
            fallback is { } value && !Has(name) ? value : Get(name, AttributeProto.Types.AttributeType.Int).I;

        public Google.Protobuf.Collections.RepeatedField<long> Ints(string name) => Get(name, AttributeProto.Types.AttributeType.Ints).Ints;

        public float[] Floats(string name) => [.. Get(name, AttributeProto.Types.AttributeType.Floats).Floats];

        /// <summary>A STRING attribute as UTF-8 text (its fallback when absent).</summary>
        public string String(string name, string fallback) =>
            !Has(name) ? fallback : Get(name, AttributeProto.Types.AttributeType.String).S.ToStringUtf8();

        /// <summary>A STRINGS attribute as UTF-8 texts.</summary>
        public string[] Strings(string name)
        {
            var strings = Get(name, AttributeProto.Types.AttributeType.Strings).Strings;
            var result = new string[strings.Count];
            for (int i = 0; i < result.Length; i++) result[i] = strings[i].ToStringUtf8();
            return result;
        }

        public TensorProto Tensor(string name) =>
            Get(name, AttributeProto.Types.AttributeType.Tensor).T
            ?? throw new InvalidDataException($"Not a valid ONNX model: {where} ({node.OpType}) has an empty tensor attribute '{name}'.");
    }
}
