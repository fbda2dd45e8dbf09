using ArenaGrad.Kernels;
using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

// Operations that change how elements are arranged: reshape (a view), transpose (a copy), detach.
public readonly partial struct Tensor
{
    /// <summary>The same elements in a new shape; one dim may be -1 (inferred). Shares this tensor's values.</summary>
    public Tensor Reshape(params ReadOnlySpan<int> shape)
    {
        Arena arena = Arena;
        int x = _slot;
        int length = arena.LengthOf(x);
        if (shape.Length > TensorLayout.MaxRank)
            throw new ArgumentException($"Expected a shape of rank at most {TensorLayout.MaxRank}, but got rank {shape.Length}.", nameof(shape));
        Span<int> resolved = stackalloc int[shape.Length];
        int inferred = -1;
        long known = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == -1)
            {
                if (inferred >= 0) throw new ArgumentException("only one dimension can be inferred", nameof(shape));
                inferred = d;
            }
            else if (shape[d] < 0) throw new ArgumentException($"invalid shape dimension {shape[d]}", nameof(shape));
            else known = Math.Min(known * shape[d], 1L << 31); // saturates: past 2^31 no length can match
            resolved[d] = shape[d];
        }
        if (inferred >= 0 && known == 0)
            throw new ArgumentException(
                $"cannot reshape tensor of 0 elements into shape {ShapeMath.Format(shape)} because the unspecified dimension size -1 can be any value and is ambiguous",
                nameof(shape));
        if (inferred >= 0 && length % known == 0) resolved[inferred] = (int)(length / known);
        else if (inferred >= 0 || known != length)
            throw new ArgumentException($"shape '{ShapeMath.Format(shape)}' is invalid for input of size {length}", nameof(shape));
        bool record = arena.ShouldRecord(x);
        int y = record ? arena.NewSlot(resolved, record, arena.ValuesAddress(x), arena.VersionOwnerOf(x))
            : arena.NewSlot(resolved, arena.DTypeOf(x), arena.ValuesAddress(x), arena.VersionOwnerOf(x));
        arena.Record(new Instruction(OpCode.Reshape, y, x), record);
        if (!record && (arena.IsNoGradView(x) || (!arena.IsGradEnabled && arena.RequiresGrad(x)))) arena.MarkNoGradView(y); // PyTorch's NO_GRAD_MODE views
        return arena.Handle(y);
    }

    /// <summary>Swaps dims <paramref name="dim0"/> and <paramref name="dim1"/> (a contiguous copy).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        Arena arena = Arena;
        int x = _slot;
        int rank = arena.RankOf(x);
        int d0 = ShapeMath.NormalizeDim(dim0, rank), d1 = ShapeMath.NormalizeDim(dim1, rank);
        Span<int> shape = stackalloc int[rank];
        arena.ShapeOf(x).CopyTo(shape);
        if (rank > 0) (shape[d0], shape[d1]) = (shape[d1], shape[d0]);
        bool record = arena.ShouldRecord(x);
        int y = record ? arena.NewSlot(shape, record) : arena.NewSlot(shape, arena.DTypeOf(x));
        ForwardRules.Transpose(arena, x, d0, d1, y);
        arena.Record(new Instruction(OpCode.Transpose, y, x) { Int0 = d0, Int1 = d1 }, record);
        return arena.Handle(y);
    }

    /// <summary>A tensor sharing these values that never requires grad and is never part of the graph.</summary>
    public Tensor Detach()
    {
        Arena arena = Arena;
        int y = arena.NewSlot(arena.ShapeOf(_slot), arena.DTypeOf(_slot), arena.ValuesAddress(_slot), arena.VersionOwnerOf(_slot));
        return arena.Handle(y);
    }
}
