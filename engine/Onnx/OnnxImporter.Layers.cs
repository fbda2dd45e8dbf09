using System.Collections.Generic;
using System.IO;
using ArenaGrad.IO.OnnxFormat;
using ArenaGrad.Memory;

namespace ArenaGrad.IO;

// The layer operators (issue 18): Conv, MaxPool, AveragePool, GlobalAveragePool, Pad, BatchNormalization,
// LayerNormalization, Gather as an embedding lookup, LSTM and GRU. Every attribute and every constant's shape is checked
// here, before the arena is touched; what depends on the runtime input (channels, lengths) the engine ops check with
// PyTorch's messages.
internal static partial class OnnxImporter
{
    private static bool IsLayer(OnnxOp op) => op is OnnxOp.Conv or OnnxOp.MaxPool or OnnxOp.AveragePool or OnnxOp.GlobalAveragePool
        or OnnxOp.Pad or OnnxOp.BatchNormalization or OnnxOp.LayerNormalization or OnnxOp.Embedding or OnnxOp.Lstm or OnnxOp.Gru;

    private static void PlanLayer(OnnxOp op, NodeProto node, string where, int opset, string[] inputs, Dictionary<string, Value> values,
        Dictionary<string, int> uses, List<(OnnxOp, NodeProto, string[], string, Func<int[], int, OnnxNode>)> plans)
    {
        string opType = node.OpType;
        var attributes = new Attributes(node, where);
        // The data input: float32 (the token ids of an embedding lookup are its input 1).
        Kind dataKind = values[inputs[0]].Kind;
        if (dataKind is not (Kind.Runtime or Kind.FloatConstant))
            throw new NotSupportedException($"ONNX {opType} ({where}) takes the {KindName(dataKind)} tensor '{inputs[0]}' as data; only float32 data is supported.");

        int[]? kernel = null, strides = null, pads = null, dilations = null;
        int group = 1, hidden = 0;
        bool layout = false;
        float epsilon = 1e-5f;
        int axis = 0;
        string[] layerInputs = inputs;
        switch (op)
        {
            case OnnxOp.Conv:
            {
                Value weight = RequiredFloatConstant(values, inputs, 1, "weight W", opType, where);
                int spatial = weight.Shape!.Length - 2;
                if (spatial is not (1 or 2))
                    throw new NotSupportedException(FormattableString.Invariant(
                        $"ONNX Conv ({where}) with a weight W of shape {Format(weight.Shape)} is not supported: only 1-D and 2-D convolutions (W [M, C/group, k] or [M, C/group, kH, kW]) are."));
                kernel = weight.Shape[2..];
                foreach (int k in kernel)
                    if (k < 1) throw new InvalidDataException($"Not a valid ONNX model: {where} (Conv) has a weight W of shape {Format(weight.Shape)}, with an empty kernel.");
                if (attributes.Has("kernel_shape"))
                {
                    int[] declared = CheckedInts(attributes.Ints("kernel_shape"), "kernel_shape", where);
                    if (!declared.AsSpan().SequenceEqual(kernel))
                        throw new InvalidDataException(
                            $"Not a valid ONNX model: {where} (Conv) has kernel_shape {Format(declared)}, but its weight W is {Format(weight.Shape)}.");
                }
                strides = Spatial(attributes, "strides", spatial, opType, where);
                dilations = Spatial(attributes, "dilations", spatial, opType, where);
                pads = SymmetricPads(attributes, spatial, opType, where);
                CheckAutoPad(attributes, opType, where);
                long groups = attributes.Int("group", 1);
                int outChannels = weight.Shape[0];
                if (groups < 1 || groups > int.MaxValue || outChannels % groups != 0)
                    throw new InvalidDataException(FormattableString.Invariant(
                        $"Not a valid ONNX model: {where} (Conv) has group {groups}, which does not divide its {outChannels} output channels (W is {Format(weight.Shape)})."));
                group = (int)groups;
                if (FloatConstant(values, inputs, 2, "bias B", opType, where) is { } bias && (bias.Shape!.Length != 1 || bias.Shape[0] != outChannels))
                    throw new InvalidDataException(FormattableString.Invariant(
                        $"Not a valid ONNX model: {where} (Conv) has a bias B of shape {Format(bias.Shape)}; its weight W {Format(weight.Shape)} takes [{outChannels}]."));
                break;
            }
            case OnnxOp.MaxPool:
            case OnnxOp.AveragePool:
            {
                kernel = CheckedInts(attributes.Ints("kernel_shape"), "kernel_shape", where);
                if (kernel.Length != 2)
                    throw new NotSupportedException(FormattableString.Invariant(
                        $"ONNX {opType} ({where}) with kernel_shape {Format(kernel)} is not supported: only 2-D pooling (two kernel dims, input [N, C, H, W]) is."));
                foreach (int k in kernel)
                    if (k < 1) throw new InvalidDataException($"Not a valid ONNX model: {where} ({opType}) has kernel_shape {Format(kernel)}; each entry must be at least 1.");
                strides = Spatial(attributes, "strides", 2, opType, where);
                pads = SymmetricPads(attributes, 2, opType, where);
                for (int d = 0; d < 2; d++)
                    if (pads[d] > kernel[d] / 2)
                        throw new NotSupportedException(FormattableString.Invariant(
                            $"ONNX {opType} ({where}) with pads {Format(pads)} and kernel_shape {Format(kernel)} is not supported: a pad must be at most half the kernel, as in PyTorch."));
                CheckAutoPad(attributes, opType, where);
                if (attributes.Int("ceil_mode", 0) != 0)
                    throw new NotSupportedException($"ONNX {opType} ({where}) with ceil_mode = 1 is not supported: only floor mode (ceil_mode = 0, PyTorch's default) is.");
                if (attributes.Has("dilations"))
                    foreach (long d in attributes.Ints("dilations"))
                        if (d != 1) throw new NotSupportedException($"ONNX {opType} ({where}) with dilations other than 1 is not supported.");
                if (op == OnnxOp.MaxPool && attributes.Int("storage_order", 0) != 0)
                    throw new NotSupportedException($"ONNX MaxPool ({where}) with storage_order = 1 is not supported: it only orders the indices output, which is not read.");
                if (op == OnnxOp.AveragePool && attributes.Int("count_include_pad", 0) == 0 && (pads[0] > 0 || pads[1] > 0))
                    throw new NotSupportedException(
                        $"ONNX AveragePool ({where}) with pads and count_include_pad = 0 is not supported: the engine's avg_pool2d divides by the whole window, padding included " +
                        "(count_include_pad = 1, PyTorch's default, which torch.onnx.export writes as Pad then AveragePool).");
                if (op == OnnxOp.AveragePool && pads[0] == 0 && pads[1] == 0 && FusablePad(inputs[0], kernel, values, uses, plans) is { } fused)
                {
                    // torch's avg_pool2d with padding: Pad (zeros, H and W) then AveragePool is the engine's average pool
                    // with that padding (the divisor is the whole window either way), without the padded copy.
                    (layerInputs, pads) = fused;
                }
                break;
            }
            case OnnxOp.GlobalAveragePool:
                break;
            case OnnxOp.Pad:
            {
                string mode = attributes.String("mode", "constant");
                if (mode != "constant")
                    throw new NotSupportedException($"ONNX Pad ({where}) with mode '{mode}' is not supported: only constant padding with zeros is.");
                pads = CheckedInts(IntConstant(values, inputs[1], "pads", opType, where), "pads", where);
                if (pads.Length % 2 != 0 || pads.Length > 2 * TensorLayout.MaxRank)
                    throw new InvalidDataException(FormattableString.Invariant($"Not a valid ONNX model: {where} (Pad) has {pads.Length} pads; it takes two per input dimension."));
                foreach (int p in pads)
                    if (p < 0) throw new NotSupportedException($"ONNX Pad ({where}) with pads {Format(pads)} is not supported: negative pads (cropping) are not.");
                if (inputs.Length > 2 && inputs[2].Length > 0)
                {
                    Value fill = FloatConstant(values, inputs, 2, "constant_value", opType, where)!;
                    if (fill.Floats!.Length != 1)
                        throw new InvalidDataException(FormattableString.Invariant($"Not a valid ONNX model: {where} (Pad) has a constant_value of {fill.Floats.Length} elements; it takes one."));
                    if (fill.Floats[0] != 0f)
                        throw new NotSupportedException(FormattableString.Invariant($"ONNX Pad ({where}) with constant_value {fill.Floats[0]} is not supported: only zeros are."));
                }
                if (inputs.Length > 3 && inputs[3].Length > 0)
                    throw new NotSupportedException($"ONNX Pad ({where}) with an axes input is not supported: give one pair of pads per dimension.");
                layerInputs = [inputs[0]];
                break;
            }
            case OnnxOp.BatchNormalization:
            {
                int channels = -1;
                string[] names = ["scale", "B", "input_mean", "input_var"];
                for (int i = 1; i < 5; i++)
                {
                    Value v = FloatConstant(values, inputs, i, names[i - 1], opType, where)
                        ?? throw new InvalidDataException($"Not a valid ONNX model: {where} (BatchNormalization) leaves out its required input {names[i - 1]}.");
                    if (v.Shape!.Length != 1 || (channels >= 0 && v.Shape[0] != channels))
                        throw new InvalidDataException(FormattableString.Invariant(
                            $"Not a valid ONNX model: {where} (BatchNormalization) has {names[i - 1]} of shape {Format(v.Shape)}; scale, B, input_mean and input_var are [C], all of one C."));
                    channels = v.Shape[0];
                }
                epsilon = attributes.Float("epsilon", 1e-5f);
                if (!(epsilon >= 0f) || float.IsInfinity(epsilon))
                    throw new InvalidDataException(FormattableString.Invariant($"Not a valid ONNX model: {where} (BatchNormalization) has epsilon {epsilon}."));
                if (attributes.Int("training_mode", 0) != 0)
                    throw new NotSupportedException(
                        $"ONNX BatchNormalization ({where}) with training_mode = 1 is not supported: the graph is read for inference, with the running statistics (input_mean, input_var).");
                break;
            }
            case OnnxOp.LayerNormalization:
            {
                if (opset < 17)
                    throw new InvalidDataException(FormattableString.Invariant(
                        $"Not a valid ONNX model: {where} uses LayerNormalization, an opset 17 operator, but the model imports opset {opset}."));
                Value scale = RequiredFloatConstant(values, inputs, 1, "Scale", opType, where);
                if (FloatConstant(values, inputs, 2, "B", opType, where) is { } bias && !bias.Shape!.AsSpan().SequenceEqual(scale.Shape))
                    throw new InvalidDataException(
                        $"Not a valid ONNX model: {where} (LayerNormalization) has Scale {Format(scale.Shape!)} and B {Format(bias.Shape!)}; they must have one shape.");
                axis = CheckedInt(attributes.Int("axis", -1), "axis", where);
                epsilon = attributes.Float("epsilon", 1e-5f);
                if (!(epsilon >= 0f) || float.IsInfinity(epsilon))
                    throw new InvalidDataException(FormattableString.Invariant($"Not a valid ONNX model: {where} (LayerNormalization) has epsilon {epsilon}."));
                if (attributes.Int("stash_type", 1) != 1)
                    throw new NotSupportedException($"ONNX LayerNormalization ({where}) with a stash_type other than 1 (float32) is not supported.");
                break;
            }
            case OnnxOp.Embedding:
            {
                Value table = values[inputs[0]];
                if (table.Kind != Kind.FloatConstant || table.Shape!.Length != 2)
                    throw new NotSupportedException(
                        $"ONNX Gather ({where}) with the computed indices '{inputs[1]}' is supported as an embedding lookup only: its data must be a float32 initializer of rank 2 (the table), gathered along axis 0.");
                long gatherAxis = attributes.Int("axis", 0);
                if (gatherAxis is not (0 or -2))
                    throw new NotSupportedException(FormattableString.Invariant(
                        $"ONNX Gather ({where}) with the computed indices '{inputs[1]}' along axis {gatherAxis} is not supported: an embedding lookup gathers rows (axis 0)."));
                layerInputs = [inputs[1], inputs[0]]; // the ids, then the table: Functional.Embedding's order
                break;
            }
            case OnnxOp.Lstm:
            case OnnxOp.Gru:
                (hidden, layout) = PlanRecurrent(op, node, where, inputs, values, attributes);
                break;
        }

        // Outputs: one value, or the recurrent layers' Y, Y_h (and Y_c), each optional.
        int count = op is OnnxOp.Lstm or OnnxOp.Gru ? Math.Min(node.Output.Count, op == OnnxOp.Lstm ? 3 : 2) : 1;
        if (op is OnnxOp.Lstm or OnnxOp.Gru && node.Output.Count > count)
            throw new InvalidDataException(FormattableString.Invariant($"Not a valid ONNX model: {where} ({opType}) has {node.Output.Count} outputs; it has at most {count}."));
        var outputNames = new string[count];
        string primary = "";
        for (int i = 0; i < count; i++)
        {
            outputNames[i] = node.Output[i];
            if (outputNames[i].Length == 0) continue;
            values.Add(outputNames[i], new Value { Kind = Kind.Runtime, PadsOfPad = op == OnnxOp.Pad ? pads : null });
            if (primary.Length == 0) primary = outputNames[i];
        }
        OnnxOp finalOp = op;
        plans.Add((finalOp, node, layerInputs, primary, (slots, outSlot) =>
        {
            var outputSlots = new int[outputNames.Length];
            for (int i = 0; i < outputSlots.Length; i++) outputSlots[i] = outputNames[i].Length == 0 ? -1 : values[outputNames[i]].Slot;
            return new OnnxNode
            {
                Op = finalOp,
                Inputs = slots,
                Output = outSlot,
                Outputs = outputSlots,
                Kernel = kernel,
                Strides = strides,
                Pads = pads,
                Dilations = dilations,
                Group = group,
                Axis = axis,
                Epsilon = epsilon,
                HiddenSize = hidden,
                BatchFirstLayout = layout,
                Scratch = finalOp switch
                {
                    OnnxOp.Lstm => new Tensor[4],
                    OnnxOp.Gru => new Tensor[3],
                    OnnxOp.Pad => new Tensor[3],
                    _ => null,
                },
            };
        }));
    }

    /// <summary>When <paramref name="input"/> is a Pad's output that only this pool reads, padding with zeros only H and W of
    /// a 4-D tensor, symmetrically and by at most half the kernel: removes the Pad's plan and returns the pool's input and
    /// padding instead. Otherwise null.</summary>
    private static (string[] Inputs, int[] Pads)? FusablePad(string input, int[] kernel, Dictionary<string, Value> values, Dictionary<string, int> uses,
        List<(OnnxOp Op, NodeProto Node, string[] Inputs, string Output, Func<int[], int, OnnxNode> Make)> plans)
    {
        if (values[input].PadsOfPad is not { Length: 8 } p || uses.GetValueOrDefault(input) != 1) return null;
        if (p[0] != 0 || p[1] != 0 || p[4] != 0 || p[5] != 0 || p[2] != p[6] || p[3] != p[7] || p[2] > kernel[0] / 2 || p[3] > kernel[1] / 2) return null;
        int index = plans.FindLastIndex(plan => plan.Op == OnnxOp.Pad && plan.Output == input);
        if (index < 0) return null;
        string[] padInputs = plans[index].Inputs;
        plans.RemoveAt(index);
        return ([padInputs[0]], [p[2], p[3]]);
    }

    /// <summary>How many node inputs (and the graph output) read each value.</summary>
    private static Dictionary<string, int> Uses(List<NodeProto> nodes, string graphOutput)
    {
        var uses = new Dictionary<string, int>(StringComparer.Ordinal) { [graphOutput] = 1 };
        foreach (NodeProto node in nodes)
            foreach (string input in node.Input)
                if (input.Length > 0) uses[input] = uses.GetValueOrDefault(input) + 1;
        return uses;
    }

    /// <summary>Checks an ONNX LSTM or GRU against what the engine's cells compute (one forward direction, the default
    /// activations, GRU's linear_before_reset = 1 as PyTorch's GRU); returns the hidden size and whether layout is 1.</summary>
    private static (int Hidden, bool Layout) PlanRecurrent(OnnxOp op, NodeProto node, string where, string[] inputs, Dictionary<string, Value> values,
        Attributes attributes)
    {
        string opType = node.OpType;
        int gates = op == OnnxOp.Lstm ? 4 : 3;
        string direction = attributes.String("direction", "forward");
        if (direction != "forward")
            throw new NotSupportedException($"ONNX {opType} ({where}) with direction '{direction}' is not supported: only 'forward' is (no reverse or bidirectional layers).");
        Value w = RequiredFloatConstant(values, inputs, 1, "weight W", opType, where);
        Value r = RequiredFloatConstant(values, inputs, 2, "recurrence weight R", opType, where);
        if (r.Shape!.Length != 3 || r.Shape[0] != 1 || r.Shape[2] < 1 || r.Shape[1] != (long)gates * r.Shape[2])
            throw new InvalidDataException(FormattableString.Invariant(
                $"Not a valid ONNX model: {where} ({opType}) has R of shape {Format(r.Shape)}; a forward {opType} takes [1, {gates}·hidden_size, hidden_size]."));
        int hidden = r.Shape[2];
        if (w.Shape!.Length != 3 || w.Shape[0] != 1 || w.Shape[1] != gates * hidden || w.Shape[2] < 1)
            throw new InvalidDataException(FormattableString.Invariant(
                $"Not a valid ONNX model: {where} ({opType}) has W of shape {Format(w.Shape)}; with R {Format(r.Shape)} it takes [1, {gates * hidden}, input_size]."));
        if (FloatConstant(values, inputs, 3, "bias B", opType, where) is { } b && (b.Shape!.Length != 2 || b.Shape[0] != 1 || b.Shape[1] != 2 * gates * hidden))
            throw new InvalidDataException(FormattableString.Invariant(
                $"Not a valid ONNX model: {where} ({opType}) has B of shape {Format(b.Shape)}; with R {Format(r.Shape)} it takes [1, {2 * gates * hidden}]."));
        if (attributes.Has("hidden_size") && attributes.Int("hidden_size", null) != hidden)
            throw new InvalidDataException(FormattableString.Invariant(
                $"Not a valid ONNX model: {where} ({opType}) has hidden_size {attributes.Int("hidden_size", null)}, but R is {Format(r.Shape)}."));
        if (inputs.Length > 4 && inputs[4].Length > 0)
            throw new NotSupportedException($"ONNX {opType} ({where}) with sequence_lens is not supported: every sequence of the batch runs to the full length.");
        if (op == OnnxOp.Lstm && inputs.Length > 7 && inputs[7].Length > 0)
            throw new NotSupportedException($"ONNX LSTM ({where}) with peephole weights P is not supported (PyTorch's LSTM has none).");
        for (int i = 5; i < Math.Min(inputs.Length, 7); i++)
        {
            if (inputs[i].Length == 0) continue;
            Kind kind = values[inputs[i]].Kind;
            if (kind is not (Kind.Runtime or Kind.FloatConstant))
                throw new NotSupportedException($"ONNX {opType} ({where}) takes the {KindName(kind)} tensor '{inputs[i]}' as its initial state; it must be float32.");
        }
        string[] defaults = op == OnnxOp.Lstm ? ["Sigmoid", "Tanh", "Tanh"] : ["Sigmoid", "Tanh"];
        if (attributes.Has("activations") && !attributes.Strings("activations").AsSpan().SequenceEqual(defaults))
            throw new NotSupportedException(
                $"ONNX {opType} ({where}) with activations [{string.Join(", ", attributes.Strings("activations"))}] is not supported: only the defaults [{string.Join(", ", defaults)}] are.");
        foreach (string name in new[] { "activation_alpha", "activation_beta", "clip" })
            if (attributes.Has(name))
                throw new NotSupportedException($"ONNX {opType} ({where}) with {name} is not supported: the cells use the default activations, unclipped.");
        if (op == OnnxOp.Lstm && attributes.Int("input_forget", 0) != 0)
            throw new NotSupportedException($"ONNX LSTM ({where}) with input_forget = 1 (coupled input and forget gates) is not supported.");
        if (op == OnnxOp.Gru && attributes.Int("linear_before_reset", 0) != 1)
            throw new NotSupportedException(
                $"ONNX GRU ({where}) with linear_before_reset = 0 is not supported: the engine's GRU cell applies the reset gate after the hidden projection (linear_before_reset = 1, as PyTorch exports it).");
        long layout = attributes.Int("layout", 0);
        if (layout is not (0 or 1))
            throw new InvalidDataException(FormattableString.Invariant($"Not a valid ONNX model: {where} ({opType}) has layout {layout}; it must be 0 or 1."));
        return (hidden, layout == 1);
    }

    /// <summary>Input <paramref name="index"/> as a float32 constant (initializer or Constant node), or null when it is left
    /// out; a computed tensor is refused (its shape, which the load checks, is unknown until run time).</summary>
    private static Value? FloatConstant(Dictionary<string, Value> values, string[] inputs, int index, string what, string opType, string where)
    {
        if (index >= inputs.Length || inputs[index].Length == 0) return null;
        Value value = values[inputs[index]];
        if (value.Kind != Kind.FloatConstant)
            throw new NotSupportedException(
                $"ONNX {opType} ({where}) takes its {what} from '{inputs[index]}', which is not a float32 initializer or Constant; computed {what}s are not supported.");
        return value;
    }

    /// <summary><see cref="FloatConstant"/> for a required input: one left out is an invalid file.</summary>
    private static Value RequiredFloatConstant(Dictionary<string, Value> values, string[] inputs, int index, string what, string opType, string where) =>
        FloatConstant(values, inputs, index, what, opType, where)
        ?? throw new InvalidDataException($"Not a valid ONNX model: {where} ({opType}) leaves out its required input {index} ({what}).");

    /// <summary>An attribute of one positive entry per spatial dim (strides, dilations), 1s when absent.</summary>
    private static int[] Spatial(Attributes attributes, string name, int spatial, string opType, string where)
    {
        var result = new int[spatial];
        Array.Fill(result, 1);
        if (!attributes.Has(name)) return result;
        int[] given = CheckedInts(attributes.Ints(name), name, where);
        if (given.Length != spatial)
            throw new InvalidDataException(FormattableString.Invariant(
                $"Not a valid ONNX model: {where} ({opType}) has {name} {Format(given)}; it takes {spatial} entries, one per spatial dimension."));
        foreach (int v in given)
            if (v < 1) throw new InvalidDataException($"Not a valid ONNX model: {where} ({opType}) has {name} {Format(given)}; each entry must be at least 1.");
        return given;
    }

    /// <summary>ONNX pads [x1_begin, x2_begin, ..., x1_end, x2_end] as one pad per spatial dim: begin and end must agree.</summary>
    private static int[] SymmetricPads(Attributes attributes, int spatial, string opType, string where)
    {
        var result = new int[spatial];
        if (!attributes.Has("pads")) return result;
        int[] given = CheckedInts(attributes.Ints("pads"), "pads", where);
        if (given.Length != 2 * spatial)
            throw new InvalidDataException(FormattableString.Invariant(
                $"Not a valid ONNX model: {where} ({opType}) has pads {Format(given)}; it takes {2 * spatial} entries, a begin and an end per spatial dimension."));
        for (int d = 0; d < spatial; d++)
        {
            if (given[d] < 0 || given[spatial + d] < 0)
                throw new InvalidDataException($"Not a valid ONNX model: {where} ({opType}) has pads {Format(given)} with a negative entry.");
            if (given[d] != given[spatial + d])
                throw new NotSupportedException(
                    $"ONNX {opType} ({where}) with pads {Format(given)} is not supported: only symmetric padding (each dimension's begin equal to its end, as PyTorch pads) is.");
            result[d] = given[d];
        }
        return result;
    }

    private static void CheckAutoPad(Attributes attributes, string opType, string where)
    {
        string autoPad = attributes.String("auto_pad", "NOTSET");
        if (autoPad != "NOTSET")
            throw new NotSupportedException($"ONNX {opType} ({where}) with auto_pad '{autoPad}' is not supported: only NOTSET (explicit pads) is.");
    }

    private static string Format(ReadOnlySpan<int> shape) => ShapeMath.Format(shape);

    /// <summary>torch.onnx.export builds an LSTM's or GRU's zero initial state from the input's runtime shape (Shape,
    /// Gather, Unsqueeze, Concat, then Expand of a zero constant). The importer carries no runtime integer tensors, and a
    /// zero state is what a left-out initial_h or initial_c means: such inputs are read as left out, and the nodes that only
    /// fed them are not run.</summary>
    private static List<NodeProto> WithoutZeroStateSubgraphs(GraphProto graph, Dictionary<string, Value> initializers)
    {
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (NodeProto node in graph.Node)
            foreach (string output in node.Output)
                if (output.Length > 0) producers.TryAdd(output, node);
        var nodes = new List<NodeProto>(graph.Node);
        bool changed = false;
        for (int n = 0; n < nodes.Count; n++)
        {
            NodeProto node = nodes[n];
            if (node.Domain.Length != 0 && node.Domain != "ai.onnx") continue;
            int last = node.OpType == "LSTM" ? 6 : node.OpType == "GRU" ? 5 : -1;
            for (int i = 5; i <= last && i < node.Input.Count; i++)
            {
                if (node.Input[i].Length == 0 || !producers.TryGetValue(node.Input[i], out NodeProto? expand)) continue;
                if (expand.OpType != "Expand" || expand.Input.Count != 2 || !IsZeroConstant(expand.Input[0], producers, initializers)) continue;
                changed = true;
                if (ReferenceEquals(node, nodes[n])) nodes[n] = node = node.Clone();
                node.Input[i] = "";
            }
        }
        if (!changed) return nodes;
        bool[] before = Live(graph.Node, graph), after = Live(nodes, graph);
        var kept = new List<NodeProto>(nodes.Count);
        for (int n = 0; n < nodes.Count; n++)
            if (after[n] || !before[n]) kept.Add(nodes[n]); // drop only what fed the zero states
        return kept;
    }

    private static bool IsZeroConstant(string name, Dictionary<string, NodeProto> producers, Dictionary<string, Value> initializers)
    {
        Value? value = null;
        if (initializers.TryGetValue(name, out Value? initializer)) value = initializer;
        else if (producers.TryGetValue(name, out NodeProto? constant) && constant.OpType == "Constant" && constant.Attribute.Count == 1
            && constant.Attribute[0] is { Name: "value", Type: AttributeProto.Types.AttributeType.Tensor, T: { } tensor })
        {
            try
            {
                value = ReadTensor(tensor, "Constant", parameter: false);
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException)
            {
                return false; // the Constant's own planning reports it
            }
        }
        if (value is not { Kind: Kind.FloatConstant, Floats: { } floats }) return false;
        foreach (float f in floats)
            if (f != 0f) return false;
        return true;
    }

    /// <summary>Which nodes contribute to the graph output (walking back from it).</summary>
    private static bool[] Live(IList<NodeProto> nodes, GraphProto graph)
    {
        var needed = new HashSet<string>(StringComparer.Ordinal);
        foreach (ValueInfoProto output in graph.Output) needed.Add(output.Name);
        var live = new bool[nodes.Count];
        for (int n = nodes.Count - 1; n >= 0; n--)
        {
            foreach (string output in nodes[n].Output)
                if (output.Length > 0 && needed.Contains(output)) live[n] = true;
            if (!live[n]) continue;
            foreach (string input in nodes[n].Input) needed.Add(input);
        }
        return live;
    }
}
