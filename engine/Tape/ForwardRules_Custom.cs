namespace ArenaGrad.Tape;

internal static partial class ForwardRules
{
    // A custom function's forward is user code that Autograd.Apply ran once; captures refuse it, so nothing replays it.
    public static void Custom(Arena arena, in Instruction ins) =>
        throw new InvalidOperationException("Internal error: a custom autograd function cannot be replayed (captures refuse it).");
}
