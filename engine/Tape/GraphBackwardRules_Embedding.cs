namespace ArenaGrad.Tape;

// Graph backward rule of embedding (issue 18): scatter_add of g's rows into zeros, with the padding rows of g zeroed
// first; scatter_add's own derivative is a gather, so derivatives of any order stay in the index family.
internal static partial class GraphBackwardRules
{
    public static void Embedding(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        ReadOnlySpan<int> weightShape = arena.ShapeOf(ins.Input0);
        int num = weightShape[0], dim = weightShape[1], count = arena.LengthOf(ins.Input1);
        Tensor index = T(arena, ins.Input1).Reshape(count, 1);
        Tensor rows = g.Reshape(count, dim);
        if (ins.Int0 >= 0) rows = rows.MaskedFill(index.Eq(ins.Int0), 0f);
        Give(arena, ins.Input0, arena.Zeros([num, dim]).ScatterAdd(0, index.Expand(count, dim), rows));
    }
}
