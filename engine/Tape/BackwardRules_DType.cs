namespace ArenaGrad.Tape;

// Rows of ops without a derivative point here; their results never require grad, so backward never reaches them.
internal static partial class BackwardRules
{
    public static void NotDifferentiable(Arena arena, in Instruction ins, ReadOnlySpan<float> g) =>
        throw new InvalidOperationException($"Internal error: {ins.Op} has no derivative, so it should never be on the tape.");
}
