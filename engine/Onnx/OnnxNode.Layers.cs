using ArenaGrad.Tape;

namespace ArenaGrad.IO;

// The layer operators (issue 18), planned and checked in OnnxImporter.Layers.cs.
internal sealed partial class OnnxNode
{
    // ONNX's gate blocks in the engine's order: LSTM i, o, f, c to i, f, g, o; GRU z, r, h to r, z, n.
    private static readonly int[] LstmGateOrder = [0, 2, 3, 1];
    private static readonly int[] GruGateOrder = [1, 0, 2];

    private Tensor[] _steps = new Tensor[16]; // each step's h, reused by every call (grows once to the longest sequence)

    /// <summary>Every output slot of a node with several (LSTM's Y, Y_h, Y_c; GRU's Y, Y_h), -1 where left out.</summary>
    public int[]? Outputs { get; init; }

    /// <summary>Conv's and the pools' kernel (one entry per spatial dim).</summary>
    public int[]? Kernel { get; init; }

    /// <summary>Conv's and the pools' strides.</summary>
    public int[]? Strides { get; init; }

    /// <summary>Conv's and the pools' symmetric pads (one per spatial dim); Pad's ONNX pads (begins, then ends).</summary>
    public int[]? Pads { get; init; }

    /// <summary>Conv's dilations.</summary>
    public int[]? Dilations { get; init; }

    /// <summary>Conv's group count.</summary>
    public int Group { get; init; } = 1;

    /// <summary>BatchNormalization's and LayerNormalization's epsilon.</summary>
    public float Epsilon { get; init; }

    /// <summary>LSTM's and GRU's hidden size.</summary>
    public int HiddenSize { get; init; }

    /// <summary>LSTM's and GRU's layout 1: X and Y batch-first.</summary>
    public bool BatchFirstLayout { get; init; }

    private Tensor Conv(Tensor x, Tensor[] values)
    {
        Tensor weight = values[Inputs[1]];
        Tensor? bias = Inputs.Length > 2 && Inputs[2] >= 0 ? values[Inputs[2]] : null;
        return Kernel!.Length == 1
            ? Functional.Conv1d(x, weight, bias, Strides![0], Pads![0], Dilations![0], Group)
            : Functional.Conv2d(x, weight, bias, (Strides![0], Strides[1]), (Pads![0], Pads[1]), (Dilations![0], Dilations[1]), Group);
    }

    /// <summary>ONNX GlobalAveragePool: the mean over every dim after N and C, kept as size 1 (adaptive_avg_pool2d to 1×1
    /// for [N, C, H, W], as PyTorch computes it).</summary>
    private static Tensor GlobalAveragePool(Tensor x)
    {
        int rank = x.Rank;
        if (rank < 3)
            throw new ArgumentException($"ONNX GlobalAveragePool: the input must be [N, C, D1, ...], but got {ShapeMath.Format(x.Shape)}.");
        if (rank == 4) return Functional.AdaptiveAvgPool2d(x, (1, 1));
        for (int d = rank - 1; d >= 2; d--) x = x.Mean(d, true);
        return x;
    }

    /// <summary>ONNX Pad with zeros: each padded dim gets zero blocks concatenated before and after.</summary>
    private Tensor Pad(Tensor x)
    {
        int[] pads = Pads!;
        int rank = pads.Length / 2;
        if (x.Rank != rank)
            throw new ArgumentException(FormattableString.Invariant(
                $"ONNX Pad: {pads.Length} pads take an input of {rank} dimensions, but it is {ShapeMath.Format(x.Shape)}."));
        Tensor[] parts = Scratch!;
        Span<int> shape = stackalloc int[Math.Max(rank, 1)];
        for (int d = 0; d < rank; d++)
        {
            int begin = pads[d], end = pads[rank + d];
            if (begin == 0 && end == 0) continue;
            if ((long)x.Shape[d] + begin + end > int.MaxValue)
                throw new ArgumentException(FormattableString.Invariant(
                    $"ONNX Pad: pads {begin} and {end} make dim {d} of {ShapeMath.Format(x.Shape)} longer than {int.MaxValue}."));
            x.Shape.CopyTo(shape);
            int count = 0;
            if (begin > 0)
            {
                shape[d] = begin;
                parts[count++] = x.Arena.Zeros(shape[..rank]);
            }
            parts[count++] = x;
            if (end > 0)
            {
                shape[d] = end;
                parts[count++] = x.Arena.Zeros(shape[..rank]);
            }
            x = Functional.Cat(parts.AsSpan(0, count), d);
            Array.Clear(parts);
        }
        return x;
    }

    /// <summary>ONNX LayerNormalization: normalized over the dims from <see cref="Axis"/> on; Scale (and B) must have
    /// exactly those dims, as torch exports them.</summary>
    private Tensor LayerNormalization(Tensor x, Tensor[] values)
    {
        int rank = x.Rank;
        int axis = Axis < 0 ? Axis + rank : Axis;
        if (axis < 0 || axis >= rank)
            throw new ArgumentException(FormattableString.Invariant(
                $"ONNX LayerNormalization: axis {Axis} is out of range for an input of {rank} dimensions."));
        Tensor scale = values[Inputs[1]];
        Tensor? bias = Inputs.Length > 2 && Inputs[2] >= 0 ? values[Inputs[2]] : null;
        Span<int> normalized = stackalloc int[rank - axis];
        x.Shape[axis..].CopyTo(normalized);
        if (!scale.Shape.SequenceEqual(normalized))
            throw new ArgumentException(FormattableString.Invariant(
                $"ONNX LayerNormalization: Scale is {ShapeMath.Format(scale.Shape)}, but the dims from axis {Axis} of the input {ShapeMath.Format(x.Shape)} are {ShapeMath.Format(normalized)}; a broadcast Scale is not supported."));
        return Functional.LayerNorm(x, normalized, scale, bias, Epsilon);
    }

    /// <summary>ONNX Gather of a float table's rows by the graph's token ids: the engine's embedding lookup.</summary>
    private static Tensor Embedding(Tensor ids, Tensor table)
    {
        if (ids.DType != DType.Int32)
            throw new ArgumentException(
                $"ONNX Gather: the indices (the model's input) must be an Int32 tensor of token ids (ONNX's INT64), but got {ids.DType}.", nameof(ids));
        try
        {
            return Functional.Embedding(ids, table);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentOutOfRangeException(nameof(ids), FormattableString.Invariant(
                $"ONNX Gather: an index is outside [0, {table.Shape[0]}), the rows of the embedding table (negative indices are not supported): {e.Message}"));
        }
    }

    /// <summary>ONNX LSTM or GRU, one forward direction: the input projected for the whole sequence at once, then one
    /// fused cell op per step (the engine's LSTM and GRU layers' computation). Writes Y, Y_h (and Y_c) to their slots.</summary>
    private Tensor Recurrent(Tensor x, Tensor[] values)
    {
        bool lstm = Op == OnnxOp.Lstm;
        string name = lstm ? "LSTM" : "GRU";
        int gates = lstm ? 4 : 3, hidden = HiddenSize;
        if (x.Rank != 3)
            throw new ArgumentException(
                $"ONNX {name}: X must be [seq_length, batch_size, input_size] ([batch_size, seq_length, input_size] with layout 1), but got {ShapeMath.Format(x.Shape)}.");
        Tensor sequence = BatchFirstLayout ? x.Transpose(0, 1) : x; // [T, B, I]
        int steps = sequence.Shape[0], batch = sequence.Shape[1];
        if (steps == 0) throw new ArgumentException($"ONNX {name}: the sequence is empty (seq_length 0).");
        Tensor wih = Reordered(values[Inputs[1]].Select(0, 0), lstm, hidden), whh = Reordered(values[Inputs[2]].Select(0, 0), lstm, hidden);
        Tensor? bih = null, bhh = null;
        if (Inputs.Length > 3 && Inputs[3] >= 0)
        {
            Tensor b = values[Inputs[3]].Select(0, 0);
            bih = Reordered(b.Narrow(0, 0, gates * hidden), lstm, hidden);
            bhh = Reordered(b.Narrow(0, gates * hidden, gates * hidden), lstm, hidden);
        }
        Tensor h = InitialState(values, 5, "initial_h", name, batch, x) ?? x.Arena.Zeros([batch, hidden]);
        Tensor c = lstm ? InitialState(values, 6, "initial_c", name, batch, x) ?? x.Arena.Zeros([batch, hidden]) : default;
        Tensor projected = Functional.Linear(sequence, wih, bih); // [T, B, G·H] in one product
        if (_steps.Length < steps) _steps = new Tensor[steps];
        for (int t = 0; t < steps; t++)
        {
            Tensor gi = projected.Select(0, t), gh = Functional.Linear(h, whh, bhh);
            if (lstm)
            {
                c = Functional.RecurrentGates(OpCode.LstmCellState, gi, gh, c, hidden, 3);
                h = Functional.RecurrentGates(OpCode.LstmCellOutput, gi, gh, c, hidden, 2);
            }
            else h = Functional.RecurrentGates(OpCode.GruCell, gi, gh, h, hidden, 3);
            _steps[t] = h;
        }
        int[] outputs = Outputs!;
        if (outputs[0] >= 0) // [T, 1, B, H], or [B, T, 1, H] with layout 1
            values[outputs[0]] = Functional.Stack(_steps.AsSpan(0, steps), BatchFirstLayout ? 1 : 0).Unsqueeze(BatchFirstLayout ? 2 : 1);
        _steps.AsSpan(0, steps).Clear();
        if (outputs.Length > 1 && outputs[1] >= 0) values[outputs[1]] = h.Unsqueeze(BatchFirstLayout ? 1 : 0);
        if (outputs.Length > 2 && outputs[2] >= 0) values[outputs[2]] = c.Unsqueeze(BatchFirstLayout ? 1 : 0);
        return values[Output];
    }

    /// <summary>Initial state input <paramref name="index"/> ([1, B, H], or [B, 1, H] with layout 1) as [B, H], or null
    /// when it is left out.</summary>
    private Tensor? InitialState(Tensor[] values, int index, string what, string name, int batch, Tensor x)
    {
        if (index >= Inputs.Length || Inputs[index] < 0) return null;
        Tensor state = values[Inputs[index]];
        ReadOnlySpan<int> shape = state.Shape;
        bool fits = shape.Length == 3 && shape[2] == HiddenSize && (BatchFirstLayout ? shape[0] == batch && shape[1] == 1 : shape[0] == 1 && shape[1] == batch);
        if (!fits)
            throw new ArgumentException(FormattableString.Invariant(
                $"ONNX {name}: {what} is {ShapeMath.Format(shape)}, but for X {ShapeMath.Format(x.Shape)} it must be {(BatchFirstLayout ? $"[{batch}, 1, {HiddenSize}]" : $"[1, {batch}, {HiddenSize}]")}."));
        return state.Select(BatchFirstLayout ? 1 : 0, 0);
    }

    /// <summary>The gate blocks of <paramref name="matrix"/> (rows, or a bias's elements) in the engine's order.</summary>
    private Tensor Reordered(Tensor matrix, bool lstm, int hidden)
    {
        int[] order = lstm ? LstmGateOrder : GruGateOrder;
        Tensor[] parts = Scratch!;
        for (int k = 0; k < order.Length; k++) parts[k] = matrix.Narrow(0, order[k] * hidden, hidden);
        Tensor result = Functional.Cat(parts.AsSpan(0, order.Length), 0);
        Array.Clear(parts);
        return result;
    }
}
