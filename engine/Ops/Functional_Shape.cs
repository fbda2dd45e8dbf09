using ArenaGrad.Tape;

namespace ArenaGrad;

// torch.stack (issue 16).
public static partial class Functional
{
    /// <summary><c>torch.stack(tensors, dim)</c>: tensors of one shape and dtype joined along a new dim
    /// <paramref name="dim"/> (in [-rank-1, rank]). grad_fn StackBackward0. Unlike PyTorch, dtypes are not promoted:
    /// every tensor must have the first one's dtype.</summary>
    /// <exception cref="ArgumentException">No tensors, shapes that differ (PyTorch's messages) or dtypes that differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> is out of range.</exception>
    public static Tensor Stack(ReadOnlySpan<Tensor> tensors, int dim = 0)
    {
        if (tensors.Length == 0) throw new ArgumentException("stack expects a non-empty TensorList", nameof(tensors));
        Arena arena = tensors[0].Arena;
        int firstSlot = arena.OwnSlot(tensors[0]);
        ReadOnlySpan<int> first = arena.ShapeOf(firstSlot);
        int axis = ShapeMath.NormalizeDim(dim, first.Length + 1);
        DType dtype = arena.DTypeOf(firstSlot);
        bool record = false;
        for (int i = 0; i < tensors.Length; i++)
        {
            int slot = arena.OwnSlot(tensors[i]);
            ReadOnlySpan<int> shape = arena.ShapeOf(slot);
            if (!shape.SequenceEqual(first))
                throw new ArgumentException(
                    $"stack expects each tensor to be equal size, but got {ShapeMath.Format(first)} at entry 0 and {ShapeMath.Format(shape)} at entry {i}",
                    nameof(tensors));
            arena.RequireDType(slot, dtype);
            record |= arena.ShouldRecord(slot);
        }
        if ((long)tensors.Length * arena.LengthOf(firstSlot) > int.MaxValue)
            throw new ArgumentException($"Expected fewer than 2^31 elements, but stacking {tensors.Length} tensors of {ShapeMath.Format(first)} gives more.",
                nameof(tensors));
        Span<int> outShape = stackalloc int[first.Length + 1];
        first[..axis].CopyTo(outShape);
        outShape[axis] = tensors.Length;
        first[axis..].CopyTo(outShape[(axis + 1)..]);
        int y = record ? arena.NewSlot(outShape, record) : arena.NewSlot(outShape, dtype);
        ForwardRules.Stack(arena, tensors, axis, y);
        if (record || arena.IsTracing)
        {
            int start = arena.AddOperands(tensors);
            arena.Record(new Instruction(OpCode.Stack, y, -1) { Int0 = axis, OperandStart = start, OperandCount = tensors.Length }, record);
        }
        return arena.Handle(y);
    }
}
