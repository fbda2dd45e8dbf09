using ArenaGrad.Kernels;

namespace ArenaGrad.Tape;

// Conversions between dtypes (Int0 holds the target DType).
internal static partial class ForwardRules
{
    public static void Cast(Arena arena, in Instruction ins) =>
        Conversions.Convert(arena.DTypeOf(ins.Input0), (DType)ins.Int0, arena.Values(ins.Input0), arena.Values(ins.Output));
}
