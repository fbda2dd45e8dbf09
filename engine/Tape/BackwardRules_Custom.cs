namespace ArenaGrad.Tape;

internal static partial class BackwardRules
{
    // A custom function's backward is user code on tensors: a pass that reaches one runs the graph pass
    // (GraphBackwardRules.Custom), so the fused pass never gets here.
    public static void Custom(Arena arena, in Instruction ins, ReadOnlySpan<float> g) =>
        throw new InvalidOperationException("Internal error: a custom autograd function's backward runs on the graph pass only.");
}
