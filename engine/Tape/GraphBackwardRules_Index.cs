namespace ArenaGrad.Tape;

// Graph backward rules of indexing and masks (see GraphBackwardRules.cs). The index ops' adjoints are each other
// (gather ↔ scatter_add into zeros, index_select ↔ index_add), so their derivatives of any order stay in the family;
// the masks route g with where/masked_fill, whose own derivatives are the same masks. Formulas of PyTorch 1.13.
internal static partial class GraphBackwardRules
{
    // dx = index_add(zeros_like(x), dim, index, g), written as scatter_add with the index expanded to g's shape along dim
    // (duplicates accumulate)
    public static void IndexSelect(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Span<int> shape = ShapeCopy(arena, ins.Input0, stackalloc int[Memory.TensorLayout.MaxRank]);
        if (shape.Length == 0)
        {
            Give(arena, ins.Input0, g); // a 0-d x: its one index is 0, and y is x
            return;
        }
        int dim = ins.Int0;
        Span<int> along = stackalloc int[shape.Length], gShape = ShapeCopy(arena, g.Slot, stackalloc int[Memory.TensorLayout.MaxRank]);
        along.Fill(1);
        along[dim] = arena.LengthOf(ins.Input1);
        Tensor index = T(arena, ins.Input1).Reshape(along).Expand(gShape);
        Give(arena, ins.Input0, arena.Zeros(shape).ScatterAdd(dim, index, g));
    }

    // dx = scatter_add(zeros_like(x), dim, index, g)
    public static void Gather(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Span<int> shape = ShapeCopy(arena, ins.Input0, stackalloc int[Memory.TensorLayout.MaxRank]);
        Give(arena, ins.Input0, arena.Zeros(shape).ScatterAdd(ins.Int0, T(arena, ins.Input1), g));
    }

    // dself = g; dsource = gather(g, dim, index) on the index's positions and 0 on the rest of the source (PyTorch 1.13
    // refuses a source larger than the index in backward; the fused rule gives those elements 0, and so does this one)
    public static void ScatterAdd(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, g);
        if (!Needs(arena, ins.Input2)) return;
        Span<int> sourceShape = ShapeCopy(arena, ins.Input2, stackalloc int[Memory.TensorLayout.MaxRank]);
        if (arena.LengthOf(ins.Input1) == 0)
        {
            Give(arena, ins.Input2, arena.Zeros(sourceShape));
            return;
        }
        Tensor gathered = g.Gather(ins.Int0, T(arena, ins.Input1));
        if (arena.ShapeOf(ins.Input1).SequenceEqual(sourceShape))
        {
            Give(arena, ins.Input2, gathered);
            return;
        }
        // The index box is a corner of the source: scatter_add along dim 0 with each position's own row puts it there.
        Give(arena, ins.Input2, arena.Zeros(sourceShape).ScatterAdd(0, IndexRowsOf(arena, ins.Input1), gathered));
    }

    // dx = reduce(mask ? 0 : g): g.masked_fill(mask, 0)
    public static void MaskedFill(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) GiveReduced(arena, ins.Input0, g.MaskedFill(T(arena, ins.Input1), 0f));
    }

    // Where and WhereScalar (no b): da = reduce(where(condition, g, 0)), db = reduce(where(condition, 0, g)), the latter
    // as g.masked_fill(condition, 0)
    public static void Where(Arena arena, in Instruction ins, Tensor g)
    {
        Tensor condition = T(arena, ins.Input2);
        if (Needs(arena, ins.Input0)) GiveReduced(arena, ins.Input0, Functional.Where(condition, g, 0f));
        if (Needs(arena, ins.Input1)) GiveReduced(arena, ins.Input1, g.MaskedFill(condition, 0f));
    }

    /// <summary>An Int32 tensor of the shape of the (non-empty, rank ≥ 1) index in <paramref name="slot"/> holding each
    /// position's coordinate along dim 0.</summary>
    private static Tensor IndexRowsOf(Arena arena, int slot)
    {
        Span<int> shape = ShapeCopy(arena, slot, stackalloc int[Memory.TensorLayout.MaxRank]);
        Tensor rows = arena.Zeros(shape, DType.Int32);
        int rowLength = arena.LengthOf(slot) / shape[0];
        Span<int> values = arena.IntValues(rows.Slot); // tensor memory never moves
        for (int i = 0; i < values.Length; i++) values[i] = i / rowLength;
        return rows;
    }
}
