using System.Runtime.CompilerServices;
using ArenaGrad.Kernels;
using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

/// <summary>Operations that take several tensors, named as in <c>torch.nn.functional</c> / <c>torch</c>.</summary>
public static partial class Functional
{
    /// <summary>F.linear: x @ wᵀ + b, for x [..., in], w [out, in], b [out] (optional; as in PyTorch, any bias
    /// that expands to [rows, out] is accepted, rows being the product of x's leading dims).</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        Arena arena = x.Arena;
        int xs = x.Slot, ws = arena.OwnSlot(weight), bs = bias is Tensor b ? arena.OwnSlot(b) : -1;
        return arena.Handle(LinearSlot(arena, xs, ws, bs));
    }

    /// <summary><see cref="Linear"/> on validated slots (bias -1 for none); returns y's. Not inlined into the handle
    /// method, and its refusals are built elsewhere, so that the common call sets up no handle or string temporaries.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int LinearSlot(Arena arena, int xs, int ws, int bs)
    {
        arena.RequireFloat(xs);
        arena.RequireFloat(ws);
        if (bs >= 0) arena.RequireFloat(bs);
        ReadOnlySpan<int> xShape = arena.ShapeOf(xs), wShape = arena.ShapeOf(ws);
        if (wShape.Length != 2 || xShape.Length == 0 || xShape[^1] != wShape[1]) ThrowLinearShapes(xShape, wShape);
        int outFeatures = wShape[0];
        if (bs >= 0)
        {
            // A bias of [out] (the common one) fits every x; anything else is checked against PyTorch's rule.
            ReadOnlySpan<int> biasShape = arena.ShapeOf(bs);
            if ((biasShape.Length != 1 || biasShape[0] != outFeatures)
                && LinearBiasError(biasShape, LinearRows(xShape), outFeatures, xShape.Length == 1) is string biasError)
                throw LinearArgumentError(biasError, "bias");
        }
        Span<int> outShape = stackalloc int[TensorLayout.MaxRank];
        outShape = outShape[..xShape.Length];
        xShape.CopyTo(outShape);
        outShape[^1] = outFeatures;
        bool record = arena.ShouldRecord(xs, ws) || (bs >= 0 && arena.ShouldRecord(bs));
        int y = arena.NewSlot(outShape, record);
        ForwardRules.Linear(arena, xs, ws, bs, y);
        arena.Record(new Instruction(OpCode.Linear, y, xs, ws, bs), record);
        return y;
    }

    /// <summary>An <see cref="ArgumentException"/> naming <see cref="Linear"/>'s <paramref name="parameter"/> (the bodies
    /// above work on slots, not on that method's parameters).</summary>
    private static ArgumentException LinearArgumentError(string message, string parameter) => new(message, parameter);

    /// <summary>PyTorch's refusals of F.linear's weight and input shapes.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowLinearShapes(ReadOnlySpan<int> xShape, ReadOnlySpan<int> wShape)
    {
        if (wShape.Length > 2)
            throw LinearArgumentError($"t() expects a tensor with <= 2 dimensions, but self is {wShape.Length}D", "weight");
        if (wShape.Length != 2)
            throw LinearArgumentError($"linear expects a 2-D weight [out_features, in_features], but got shape {ShapeMath.Format(wShape)}.", "weight");
        if (xShape.Length == 0)
            throw LinearArgumentError("both arguments to matmul need to be at least 1D, but they are 0D and 2D", "x");
        int outFeatures = wShape[0], inFeatures = wShape[1];
        throw new ArgumentException(
            $"mat1 and mat2 shapes cannot be multiplied ({ShapeMath.Matrix(LinearRows(xShape), xShape[^1])} and {ShapeMath.Matrix(inFeatures, outFeatures)})");
    }

    /// <summary>Rows of F.linear's matrix product: the product of x's leading dims (1 for a 1-D x).</summary>
    internal static int LinearRows(ReadOnlySpan<int> xShape)
    {
        int rows = 1;
        for (int d = 0; d < xShape.Length - 1; d++) rows *= xShape[d];
        return rows;
    }

    /// <summary>PyTorch's rule for F.linear's bias: for a 2-D (or higher) x, addmm expands it to [rows, out];
    /// for a 1-D x, it is added in place to the [out] result. Returns PyTorch's message when it does not fit, else null.</summary>
    private static string? LinearBiasError(ReadOnlySpan<int> biasShape, int rows, int outFeatures, bool vectorInput)
    {
        if (vectorInput)
        {
            Span<int> target = stackalloc int[1];
            target[0] = outFeatures;
            Span<int> broadcast = stackalloc int[TensorLayout.MaxRank];
            int rank = ShapeMath.BroadcastShape(target, biasShape, broadcast);
            if (rank != 1 || broadcast[0] != outFeatures)
                return $"output with shape [{outFeatures}] doesn't match the broadcast shape {ShapeMath.Format(broadcast[..rank])}";
            return null;
        }
        if (biasShape.Length > 2)
            return $"expand(torch.FloatTensor{{{ShapeMath.Format(biasShape)}}}, size=[{rows}, {outFeatures}]): the number of sizes provided (2) " +
                $"must be greater or equal to the number of dimensions in the tensor ({biasShape.Length})";
        for (int i = 0; i < biasShape.Length; i++)
        {
            int t = i + 2 - biasShape.Length;
            int wanted = t == 0 ? rows : outFeatures;
            if (biasShape[i] != wanted && biasShape[i] != 1)
                return $"The expanded size of the tensor ({wanted}) must match the existing size ({biasShape[i]}) at non-singleton dimension {t}.  " +
                    $"Target sizes: [{rows}, {outFeatures}].  Tensor sizes: {ShapeMath.Format(biasShape)}";
        }
        return null;
    }

    /// <summary>torch.cat: joins tensors along <paramref name="dim"/>; all other dims must match.</summary>
    public static Tensor Cat(ReadOnlySpan<Tensor> tensors, int dim = 0)
    {
        if (tensors.Length == 0) throw new ArgumentException("torch.cat(): expected a non-empty list of Tensors", nameof(tensors));
        Arena arena = tensors[0].Arena;
        ReadOnlySpan<int> first = arena.ShapeOf(tensors[0].Slot);
        if (first.Length == 0) throw new ArgumentException("zero-dimensional tensor (at position 0) cannot be concatenated", nameof(tensors));
        int axis = ShapeMath.NormalizeDim(dim, first.Length);
        DType dtype = arena.DTypeOf(tensors[0].Slot);
        Span<int> outShape = stackalloc int[first.Length];
        first.CopyTo(outShape);
        outShape[axis] = 0;
        bool record = false;
        long joined = 0;
        for (int i = 0; i < tensors.Length; i++)
        {
            int slot = arena.OwnSlot(tensors[i]);
            arena.RequireDType(slot, dtype);
            record |= arena.ShouldRecord(slot);
            ReadOnlySpan<int> shape = arena.ShapeOf(slot);
            if (shape.Length == 0)
                throw new ArgumentException($"zero-dimensional tensor (at position {i}) cannot be concatenated", nameof(tensors));
            if (shape.Length != first.Length)
                throw new ArgumentException(
                    $"Tensors must have same number of dimensions: got {first.Length} and {shape.Length}", nameof(tensors));
            for (int d = 0; d < shape.Length; d++)
                if (d != axis && shape[d] != first[d])
                    throw new ArgumentException(
                        $"Sizes of tensors must match except in dimension {axis}. Expected size {first[d]} but got size {shape[d]} for tensor number {i} in the list.",
                        nameof(tensors));
            joined += shape[axis];
        }
        if (joined > int.MaxValue)
            throw new ArgumentException(
                $"Expected every dim below 2^31, but cat along dim {axis} gives size {joined}.", nameof(tensors));
        outShape[axis] = (int)joined;
        int y = record ? arena.NewSlot(outShape, record) : arena.NewSlot(outShape, dtype);
        ForwardRules.Concat(arena, tensors, axis, y);
        if (record || arena.IsTracing)
        {
            int start = arena.AddOperands(tensors);
            arena.Record(new Instruction(OpCode.Concat, y, -1) { Int0 = axis, OperandStart = start, OperandCount = tensors.Length }, record);
        }
        return arena.Handle(y);
    }
}
