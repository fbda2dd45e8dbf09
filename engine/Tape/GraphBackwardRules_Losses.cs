namespace ArenaGrad.Tape;

// Graph backward rules of the fused losses (see GraphBackwardRules.cs).
internal static partial class GraphBackwardRules
{
    public static void MseLoss(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void CrossEntropy(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void L1Loss(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void SmoothL1Loss(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void HuberLoss(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void BinaryCrossEntropyWithLogits(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void NllLoss(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void CrossEntropyProbabilities(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
}
