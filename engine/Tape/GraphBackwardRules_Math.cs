namespace ArenaGrad.Tape;

// Graph backward rules of the math family of issue 16 (see GraphBackwardRules.cs).
internal static partial class GraphBackwardRules
{
    public static void Sin(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Cos(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Log1p(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Expm1(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Erf(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Rsqrt(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Reciprocal(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Sign(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Floor(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Round(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Softplus(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Elu(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Gelu(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void GeluTanh(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Silu(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Mish(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Hardtanh(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Minimum(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
    public static void Maximum(Arena arena, in Instruction ins, Tensor g) => NotWritten(arena, ins);
}
