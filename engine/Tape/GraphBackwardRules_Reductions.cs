namespace ArenaGrad.Tape;

// Graph backward rules of reductions, softmax and log-softmax, scans and products (see GraphBackwardRules.cs).
internal static partial class GraphBackwardRules
{
    // dx = g broadcast to x's shape
    public static void SumAll(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, g.Expand(arena.ShapeOf(ins.Input0)));
    }
    // dx[..,d,..] = g
    public static void SumDim(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, AlongAxis(arena, ins, g));
    }
    // dx = g/n broadcast
    public static void MeanAll(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, (g / arena.LengthOf(ins.Input0)).Expand(arena.ShapeOf(ins.Input0)));
    }
    // dx[..,d,..] = g/n
    public static void MeanDim(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, AlongAxis(arena, ins, g / arena.ShapeOf(ins.Input0)[ins.Int0]));
    }

    /// <summary>A per-slice gradient of a reduction along Int0 (kept dim when Int1 is 1) broadcast back over the slice.</summary>
    private static Tensor AlongAxis(Arena arena, in Instruction ins, Tensor g) =>
        (ins.Int1 != 0 ? g : g.Unsqueeze(ins.Int0)).Expand(arena.ShapeOf(ins.Input0));
    public static void MaxAll(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void MaxDim(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Softmax(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void LogSoftmax(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void MinAll(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void MinDim(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void MaxDimWithIndices(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void MinDimWithIndices(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Var(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Std(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Norm(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void LogSumExp(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void CumSum(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void ProdAll(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void ProdDim(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
}
