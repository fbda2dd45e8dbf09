namespace ArenaGrad.Tape;

// Graph backward rules of linear algebra (see GraphBackwardRules.cs).
internal static partial class GraphBackwardRules
{
    // An array, not the literal (1, 1): a constant params span is RuntimeHelpers.CreateSpan, which allocates in Debug.
    private static readonly int[] OneByOne = [1, 1];

    // da = g@bᵀ, db = aᵀ@g (a vector operand as a one-row or one-column matrix; batch dims summed back)
    public static void MatMul(Arena arena, in Instruction ins, Tensor g)
    {
        Tensor a = T(arena, ins.Input0), b = T(arena, ins.Input1);
        bool aVector = a.Rank == 1, bVector = b.Rank == 1;
        Tensor a2 = aVector ? a.Unsqueeze(0) : a, b2 = bVector ? b.Unsqueeze(1) : b;
        Tensor g2 = g;
        if (aVector && bVector) g2 = g.Reshape(OneByOne);
        else if (aVector) g2 = g.Unsqueeze(g.Rank - 1);
        else if (bVector) g2 = g.Unsqueeze(g.Rank);
        if (Needs(arena, ins.Input0))
            Give(arena, ins.Input0, SumToShape(g2.MatMul(TransposeLast(b2)), a2.Shape).Reshape(a.Shape));
        if (Needs(arena, ins.Input1))
            Give(arena, ins.Input1, SumToShape(TransposeLast(a2).MatMul(g2), b2.Shape).Reshape(b.Shape));
    }

    // dx = g@w, dw = gᵀ@x over every row of the batch, db = g as [rows, out] summed to b's shape (b may be any shape
    // that expands to [rows, out], as addmm's bias)
    public static void Linear(Arena arena, in Instruction ins, Tensor g)
    {
        Tensor x = T(arena, ins.Input0), w = T(arena, ins.Input1);
        int outFeatures = w.Shape[0], inFeatures = w.Shape[1], rowCount = Functional.LinearRows(x.Shape);
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, g.MatMul(w));
        // Explicit row counts, not -1: a -1 is ambiguous for an empty tensor.
        Tensor rows = g.Reshape(rowCount, outFeatures);
        if (Needs(arena, ins.Input1)) Give(arena, ins.Input1, rows.Transpose(0, 1).MatMul(x.Reshape(rowCount, inFeatures)));
        GiveReduced(arena, ins.Input2, rows);
    }

    /// <summary>The transpose of the last two dims.</summary>
    private static Tensor TransposeLast(Tensor t) => t.Transpose(t.Rank - 2, t.Rank - 1);
}
