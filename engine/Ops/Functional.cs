using ArenaGrad.Kernels;
using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

/// <summary>Operations that take several tensors, named as in <c>torch.nn.functional</c> / <c>torch</c>.</summary>
public static partial class Functional
{
    /// <summary>F.linear: x @ wᵀ + b, for x [..., in], w [out, in], b [out] (optional).</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        Arena arena = x.Arena;
        int xs = x.Slot, ws = arena.OwnSlot(weight), bs = bias is Tensor b ? arena.OwnSlot(b) : -1;
        ReadOnlySpan<int> xShape = arena.ShapeOf(xs), wShape = arena.ShapeOf(ws);
        if (wShape.Length != 2)
            throw new ArgumentException($"linear expects a 2-D weight [out_features, in_features], but got shape {ShapeMath.Format(wShape)}.", nameof(weight));
        int outFeatures = wShape[0], inFeatures = wShape[1];
        int xIn = xShape.Length == 0 ? 1 : xShape[^1];
        int rows = xShape.Length <= 1 ? 1 : arena.LengthOf(xs) / Math.Max(xIn, 1);
        if (xShape.Length == 0 || xIn != inFeatures)
            throw new ArgumentException(
                $"mat1 and mat2 shapes cannot be multiplied ({ShapeMath.Matrix(rows, xIn)} and {ShapeMath.Matrix(inFeatures, outFeatures)})");
        if (bs >= 0 && arena.LengthOf(bs) != outFeatures)
            throw new ArgumentException(
                $"linear expects a bias of shape [{outFeatures}], but got shape {ShapeMath.Format(arena.ShapeOf(bs))}.", nameof(bias));
        Span<int> outShape = stackalloc int[xShape.Length];
        xShape.CopyTo(outShape);
        outShape[^1] = outFeatures;
        bool record = arena.ShouldRecord(xs, ws) || (bs >= 0 && arena.ShouldRecord(bs));
        int y = arena.NewSlot(outShape, record);
        Span<float> result = arena.Values(y);
        MatrixMultiply.Gemm(arena.Values(xs), arena.Values(ws), result, rows, inFeatures, outFeatures,
            transposeA: false, transposeB: true, accumulate: false);
        if (bs >= 0)
        {
            ReadOnlySpan<float> biasValues = arena.Values(bs);
            for (int r = 0; r < rows; r++)
            {
                Span<float> row = result.Slice(r * outFeatures, outFeatures);
                Elementwise.Binary(new AddOperator(), row, biasValues, row);
            }
        }
        if (record) arena.Record(new Instruction(OpCode.Linear, y, xs, ws, bs));
        return arena.Handle(y);
    }

    /// <summary>torch.cat: joins tensors along <paramref name="dim"/>; all other dims must match.</summary>
    public static Tensor Cat(ReadOnlySpan<Tensor> tensors, int dim = 0)
    {
        if (tensors.Length == 0) throw new ArgumentException("torch.cat(): expected a non-empty list of Tensors", nameof(tensors));
        Arena arena = tensors[0].Arena;
        ReadOnlySpan<int> first = arena.ShapeOf(tensors[0].Slot);
        if (first.Length == 0) throw new ArgumentException("zero-dimensional tensor (at position 0) cannot be concatenated", nameof(tensors));
        int axis = ShapeMath.NormalizeDim(dim, first.Length);
        Span<int> outShape = stackalloc int[first.Length];
        first.CopyTo(outShape);
        outShape[axis] = 0;
        bool record = false;
        for (int i = 0; i < tensors.Length; i++)
        {
            int slot = arena.OwnSlot(tensors[i]);
            record |= arena.ShouldRecord(slot);
            ReadOnlySpan<int> shape = arena.ShapeOf(slot);
            if (shape.Length != first.Length)
                throw new ArgumentException(
                    $"Tensors must have same number of dimensions: got {first.Length} and {shape.Length}", nameof(tensors));
            for (int d = 0; d < shape.Length; d++)
                if (d != axis && shape[d] != first[d])
                    throw new ArgumentException(
                        $"Sizes of tensors must match except in dimension {axis}. Expected size {first[d]} but got size {shape[d]} for tensor number {i} in the list.",
                        nameof(tensors));
            outShape[axis] += shape[axis];
        }
        int y = arena.NewSlot(outShape, record);
        Span<float> result = arena.Values(y);
        ShapeMath.SplitAxis(outShape, axis, out int outer, out int total, out int inner);
        int offset = 0;
        foreach (Tensor tensor in tensors)
        {
            int slot = tensor.Slot;
            int width = arena.ShapeOf(slot)[axis] * inner;
            ReadOnlySpan<float> source = arena.Values(slot);
            for (int o = 0; o < outer; o++)
                source.Slice(o * width, width).CopyTo(result.Slice(o * total * inner + offset, width));
            offset += width;
        }
        if (record)
        {
            int start = arena.AddOperands(tensors);
            arena.Record(new Instruction(OpCode.Concat, y, -1) { Int0 = axis, OperandStart = start, OperandCount = tensors.Length });
        }
        return arena.Handle(y);
    }
}
