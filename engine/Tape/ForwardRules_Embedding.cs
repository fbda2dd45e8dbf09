using ArenaGrad.Kernels;

namespace ArenaGrad.Tape;

// Embedding (issue 18): rows of the weight by an Int32 index of any shape.
internal static unsafe partial class ForwardRules
{
    /// <summary>y[..., :] = weight[index[...], :].</summary>
    public static void Embedding(Arena arena, in Instruction ins)
    {
        ReadOnlySpan<int> shape = arena.ShapeOf(ins.Input0);
        EmbeddingKernels.Forward(arena.Values(ins.Input0), shape[0], shape[1], arena.IntValues(ins.Input1), arena.Values(ins.Output));
    }
}
