using System.Buffers.Binary;
using System.Collections.Generic;
using ArenaGrad.IO.OnnxFormat;
using ArenaGrad.Nn;
using Google.Protobuf;

namespace ArenaGrad.IO;

// The layers of issue 18 as ONNX nodes: convolutions, pooling, normalization, embeddings and recurrent layers.
internal sealed partial class OnnxExporter
{
    // The engine's gate blocks in ONNX's order: LSTM i, f, g, o to i, o, f, c; GRU r, z, n to z, r, h.
    private static readonly int[] LstmOnnxOrder = [0, 3, 1, 2];
    private static readonly int[] GruOnnxOrder = [1, 0, 2];

    /// <summary>The nodes of one layer of issue 18, or null when <paramref name="module"/> is none of them.</summary>
    private (string Name, Tensor Sample)? EmitLayer(Module module, string input, Tensor sample)
    {
        switch (module)
        {
            case Conv1d conv:
            {
                Tensor result = conv.Forward(sample);
                NodeProto node = Conv(input, conv.Weight, conv.Bias, [conv.KernelSize], [conv.Stride], [conv.Padding], [conv.Dilation], conv.Groups);
                return Add(node, result);
            }
            case Conv2d conv:
            {
                Tensor result = conv.Forward(sample);
                NodeProto node = Conv(input, conv.Weight, conv.Bias, [conv.KernelSize.H, conv.KernelSize.W], [conv.Stride.H, conv.Stride.W],
                    [conv.Padding.H, conv.Padding.W], [conv.Dilation.H, conv.Dilation.W], conv.Groups);
                return Add(node, result);
            }
            case MaxPool2d pool:
                return Add(Pool("MaxPool", input, pool.KernelSize, pool.Stride, pool.Padding), pool.Forward(sample));
            case AvgPool2d pool:
            {
                // The engine divides by the whole window, padding included: count_include_pad = 1.
                NodeProto node = Pool("AveragePool", input, pool.KernelSize, pool.Stride, pool.Padding);
                node.Attribute.Add(IntAttribute("count_include_pad", 1));
                return Add(node, pool.Forward(sample));
            }
            case AdaptiveAvgPool2d pool:
            {
                Tensor result = pool.Forward(sample);
                (int outH, int outW) = pool.OutputSize;
                if (outH == 1 && outW == 1) return Add(Node("GlobalAveragePool", [input], Fresh("GlobalAveragePool")), result);
                // Other sizes: a plain average pool when the windows tile the sample's plane exactly (they then do not overlap).
                int h = sample.Shape[^2], w = sample.Shape[^1];
                if (sample.Rank != 4 || outH < 1 || outW < 1 || h % outH != 0 || w % outW != 0)
                    throw new NotSupportedException(FormattableString.Invariant(
                        $"Onnx.Save cannot write AdaptiveAvgPool2d(({outH}, {outW})) for an input of {ShapeMath.Format(sample.Shape)}: only the 1×1 output (GlobalAveragePool) or sizes that divide the input's height and width (AveragePool) have an ONNX form."));
                return Add(Pool("AveragePool", input, (h / outH, w / outW), (h / outH, w / outW), (0, 0)), result);
            }
            case BatchNormBase norm:
            {
                if (norm.RunningMean is not { } mean || norm.RunningVar is not { } variance)
                    throw new NotSupportedException(
                        $"Onnx.Save cannot write a {module.GetType().Name} without running statistics (track_running_stats=False): its inference normalizes by each batch's own statistics, which ONNX BatchNormalization does not.");
                int channels = norm.NumFeatures;
                string scale = norm.Weight is { } weight ? Initializer(weight) : Constant(Fresh("ones"), [channels], Filled(channels, 1f));
                string bias = norm.Bias is { } b ? Initializer(b) : Constant(Fresh("zeros"), [channels], new float[channels]);
                NodeProto node = Node("BatchNormalization", [input, scale, bias, Initializer(mean), Initializer(variance)], Fresh("BatchNormalization"));
                node.Attribute.Add(new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = norm.Eps });
                using (sample.Arena.NoGrad()) // the running statistics normalize, as in evaluation
                    return Add(node, Functional.BatchNorm(sample, mean, variance, norm.Weight, norm.Bias, training: false, eps: norm.Eps));
            }
            case LayerNorm norm:
            {
                Tensor result = norm.Forward(sample);
                int[] shape = norm.NormalizedShape.ToArray();
                int count = 1;
                foreach (int d in shape) count *= d;
                string scale = norm.Weight is { } weight ? Initializer(weight) : Constant(Fresh("ones"), shape, Filled(count, 1f));
                NodeProto node = Node("LayerNormalization", norm.Bias is { } b ? [input, scale, Initializer(b)] : [input, scale], Fresh("LayerNormalization"));
                node.Attribute.Add(IntAttribute("axis", -shape.Length));
                node.Attribute.Add(new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = norm.Eps });
                return Add(node, result);
            }
            case Embedding embedding:
                return Add(Node("Gather", [Initializer(embedding.Weight), input], Fresh("Gather")), embedding.Forward(sample));
            case GRU gru:
                return Recurrent("GRU", input, sample, gru.Forward(sample, null).Output, gru.NumLayers, gru.HiddenSize, gru.BatchFirst,
                    gru.WeightIh, gru.WeightHh, gru.BiasIh, gru.BiasHh);
            case LSTM lstm:
                return Recurrent("LSTM", input, sample, lstm.Forward(sample, null).Output, lstm.NumLayers, lstm.HiddenSize, lstm.BatchFirst,
                    lstm.WeightIh, lstm.WeightHh, lstm.BiasIh, lstm.BiasHh);
            default:
                return null;
        }
    }

    private NodeProto Conv(string input, Tensor weight, Tensor? bias, long[] kernel, long[] strides, long[] pads, long[] dilations, int groups)
    {
        string w = Initializer(weight);
        NodeProto node = Node("Conv", bias is { } b ? [input, w, Initializer(b)] : [input, w], Fresh("Conv"));
        node.Attribute.Add(IntsAttribute("kernel_shape", kernel));
        node.Attribute.Add(IntsAttribute("strides", strides));
        node.Attribute.Add(IntsAttribute("pads", [.. pads, .. pads]));
        node.Attribute.Add(IntsAttribute("dilations", dilations));
        node.Attribute.Add(IntAttribute("group", groups));
        return node;
    }

    private NodeProto Pool(string op, string input, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding)
    {
        NodeProto node = Node(op, [input], Fresh(op));
        node.Attribute.Add(IntsAttribute("kernel_shape", [kernel.H, kernel.W]));
        node.Attribute.Add(IntsAttribute("strides", [stride.H, stride.W]));
        node.Attribute.Add(IntsAttribute("pads", [padding.H, padding.W, padding.H, padding.W]));
        return node;
    }

    /// <summary>A GRU or LSTM as one ONNX node per layer (layout 0; a batch-first input is transposed around them, as torch
    /// exports it, since ONNX Runtime runs layout 0 only), each followed by a Squeeze of the direction axis.</summary>
    private (string, Tensor) Recurrent(string op, string input, Tensor sample, Tensor result, int layers, int hidden, bool batchFirst,
        Func<int, Tensor> weightIh, Func<int, Tensor> weightHh, Func<int, Tensor?> biasIh, Func<int, Tensor?> biasHh)
    {
        if (sample.Rank != 3)
            throw new NotSupportedException(
                $"Onnx.Save writes a {op} for a batched input ([T, B, I], or [B, T, I] with batch_first) only; the sample is {ShapeMath.Format(sample.Shape)}.");
        int[] order = op == "LSTM" ? LstmOnnxOrder : GruOnnxOrder;
        _sequenceFirst ??= !batchFirst;
        string x = input;
        if (batchFirst) x = Transpose(x);
        string prefix = _names.TryGetValue(weightIh(0), out string? first) && first.EndsWith("weight_ih_l0", StringComparison.Ordinal)
            ? first[..^"weight_ih_l0".Length] : "";
        for (int l = 0; l < layers; l++)
        {
            string w = Constant($"{prefix}W_l{l}", Reordered(weightIh(l), order), 1);
            string r = Constant($"{prefix}R_l{l}", Reordered(weightHh(l), order), 1);
            var inputs = new List<string> { x, w, r };
            if (biasIh(l) is { } bih && biasHh(l) is { } bhh)
            {
                float[] ih = Reordered(bih, order).Values, hh = Reordered(bhh, order).Values;
                inputs.Add(Constant($"{prefix}B_l{l}", [1, ih.Length + hh.Length], [.. ih, .. hh]));
            }
            NodeProto node = Node(op, [.. inputs], Fresh(op));
            node.Attribute.Add(IntAttribute("hidden_size", hidden));
            if (op == "GRU") node.Attribute.Add(IntAttribute("linear_before_reset", 1));
            _graph.Node.Add(node);
            NodeProto squeeze = Node("Squeeze", [node.Output[0], Longs(Fresh("axes"), [1])], Fresh("Squeeze")); // [T, 1, B, H] to [T, B, H]
            _graph.Node.Add(squeeze);
            x = squeeze.Output[0];
        }
        if (batchFirst) x = Transpose(x);
        return (x, result);
    }

    private string Transpose(string input)
    {
        NodeProto node = Node("Transpose", [input], Fresh("Transpose"));
        node.Attribute.Add(IntsAttribute("perm", [1, 0, 2]));
        _graph.Node.Add(node);
        return node.Output[0];
    }

    /// <summary>A [G·H, ...] weight (or [G·H] bias) with its gate blocks in ONNX's order, and its shape.</summary>
    private static (float[] Values, int[] Shape) Reordered(Tensor parameter, int[] order)
    {
        float[] values = parameter.ToArray();
        int block = values.Length / order.Length; // H rows of the weight
        var result = new float[values.Length];
        for (int k = 0; k < order.Length; k++) Array.Copy(values, order[k] * block, result, k * block, block);
        return (result, parameter.Shape.ToArray());
    }

    /// <summary>A float initializer that is not a module parameter (a reordered weight, or the ones and zeros of a layer
    /// without an affine part); <paramref name="lead"/> leading 1s are put before the shape (ONNX's direction axis).</summary>
    private string Constant(string name, (float[] Values, int[] Shape) data, int lead)
    {
        var shape = new int[lead + data.Shape.Length];
        Array.Fill(shape, 1, 0, lead);
        data.Shape.CopyTo(shape, lead);
        return Constant(name, shape, data.Values);
    }

    private string Constant(string name, int[] shape, float[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        foreach (int dim in shape) tensor.Dims.Add(dim);
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        tensor.RawData = UnsafeByteOperations.UnsafeWrap(bytes);
        _graph.Initializer.Add(tensor);
        return name;
    }

    private string Longs(string name, long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.Add(values);
        _graph.Initializer.Add(tensor);
        return name;
    }

    private static float[] Filled(int count, float value)
    {
        var values = new float[count];
        Array.Fill(values, value);
        return values;
    }
}
