namespace ArenaGrad.Tape;

/// <summary>
/// Every derivative rule again, written with ordinary ops on tensors: one method per <see cref="BackwardRules"/> method,
/// with the same name, in the same families (one file each). The table's <c>GraphBackward</c> column points here.
/// </summary>
/// <remarks>
/// <para>Backward with <c>createGraph</c> runs these instead of the fused kernels, with grad mode on, so the ops they
/// use are recorded and the gradients they give can be differentiated again, to any order. <c>Autograd.Grad</c>
/// without <c>createGraph</c> and hooks run them under no-grad. Each rule must compute the same values as its fused
/// twin (the per-opcode tests compare the two paths) from tensors the graph knows: the op's inputs and output, never a
/// buffer the forward saved outside the graph (it has no gradient of its own).</para>
/// <para>A rule gives each input that requires grad (<see cref="Needs"/>) its gradient, of that input's shape, through
/// <see cref="Give"/> (<see cref="GiveReduced"/> sums a broadcast gradient back to the input's shape).</para>
/// </remarks>
internal static partial class GraphBackwardRules
{
    /// <summary>Whether the input in <paramref name="slot"/> takes a gradient (-1: the instruction has no such input).</summary>
    private static bool Needs(Arena arena, int slot) => arena.NeedsGraphGradient(slot);

    /// <summary>The tensor in <paramref name="slot"/>.</summary>
    private static Tensor T(Arena arena, int slot) => arena.Handle(slot);

    /// <summary>Adds <paramref name="gradient"/> (exactly the shape of the input in <paramref name="slot"/>) to its gradient.</summary>
    private static void Give(Arena arena, int slot, Tensor gradient) => arena.AccumulateGraphGradient(slot, gradient);

    /// <summary>Adds <paramref name="gradient"/>, summed back to the shape of the input in <paramref name="slot"/>
    /// (broadcasting's adjoint), to its gradient; does nothing when that input takes none.</summary>
    private static void GiveReduced(Arena arena, int slot, Tensor gradient)
    {
        if (!Needs(arena, slot)) return;
        Give(arena, slot, SumToShape(gradient, arena.ShapeOf(slot)));
    }

    /// <summary>The shape of <paramref name="slot"/> copied into <paramref name="buffer"/> (a stackalloc of
    /// <c>TensorLayout.MaxRank</c>): <c>ShapeOf</c> points into the arena's layout column, which the slots a rule makes
    /// may move, and a copy on the stack allocates nothing.</summary>
    private static Span<int> ShapeCopy(Arena arena, int slot, Span<int> buffer)
    {
        ReadOnlySpan<int> shape = arena.ShapeOf(slot);
        shape.CopyTo(buffer);
        return buffer[..shape.Length];
    }

    /// <summary><paramref name="t"/> summed over the dims broadcasting added or stretched, to <paramref name="shape"/>.</summary>
    internal static Tensor SumToShape(Tensor t, ReadOnlySpan<int> shape)
    {
        while (t.Rank > shape.Length) t = t.Sum(0);
        ReadOnlySpan<int> now = t.Shape;
        for (int d = 0; d < shape.Length; d++)
            if (shape[d] == 1 && now[d] != 1)
            {
                t = t.Sum(d, keepDim: true);
                now = t.Shape;
            }
        return t;
    }

    // a custom function: its own Backward, on tensors (Autograd.Apply)
    public static void Custom(Arena arena, in Instruction ins, Tensor g) => arena.RunCustomBackward(ins, g);
}
