namespace ArenaGrad.Tape;

// Graph backward rules of shape: reshape, transpose, cat and the views and shape ops of issue 16 (see GraphBackwardRules.cs).
internal static partial class GraphBackwardRules
{
    // dx = g in x's shape (same element order)
    public static void Reshape(Arena arena, in Instruction ins, Tensor g) => GiveInShape(arena, ins.Input0, g);
    // dx = gᵀ (the same two dims swapped back)
    public static void Transpose(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, g.Transpose(ins.Int0, ins.Int1));
    }
    public static void Concat(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Slice(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Select(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Permute(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    // dx = g in x's shape
    public static void Unsqueeze(Arena arena, in Instruction ins, Tensor g) => GiveInShape(arena, ins.Input0, g);
    // dx = g in x's shape
    public static void SqueezeAll(Arena arena, in Instruction ins, Tensor g) => GiveInShape(arena, ins.Input0, g);
    // dx = g in x's shape
    public static void SqueezeDim(Arena arena, in Instruction ins, Tensor g) => GiveInShape(arena, ins.Input0, g);
    // dx = g summed over the expanded dims
    public static void Expand(Arena arena, in Instruction ins, Tensor g) => GiveReduced(arena, ins.Input0, g);
    public static void Repeat(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Stack(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Split(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void SplitWithSizes(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);

    /// <summary>Gives the input in <paramref name="slot"/> the gradient <paramref name="g"/> reshaped to its shape (the
    /// views: same elements in the same order).</summary>
    private static void GiveInShape(Arena arena, int slot, Tensor g)
    {
        if (Needs(arena, slot)) Give(arena, slot, g.Reshape(arena.ShapeOf(slot)));
    }
}
