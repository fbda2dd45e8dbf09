using ArenaGrad.Kernels;

namespace ArenaGrad.Tape;

// Embedding (issue 18): the lookup's adjoint is an index_add of g's rows, skipping the padding row.
internal static partial class BackwardRules
{
    // dweight[index[i]] += g[i] for every index other than the padding index (Int0, -1 for none)
    public static void Embedding(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        EmbeddingKernels.Backward(g, arena.ShapeOf(ins.Input0)[1], arena.IntValues(ins.Input1), ins.Int0,
            arena.GradientForAccumulation(ins.Input0));
    }
}
