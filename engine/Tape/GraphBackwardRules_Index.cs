namespace ArenaGrad.Tape;

// Graph backward rules of indexing and masks (see GraphBackwardRules.cs).
internal static partial class GraphBackwardRules
{
    public static void IndexSelect(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Gather(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void ScatterAdd(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void MaskedFill(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Where(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
}
