namespace ArenaGrad.Tape;

// The fused recurrent cells (issue 18) written with ops: the gates are recomputed from gi and gh (never read from the
// saved buffer, which is outside the graph), so the gradients are differentiable in gi, gh and the state.
internal static partial class GraphBackwardRules
{
    // as BackwardRules.GruCell
    public static void GruCell(Arena arena, in Instruction ins, Tensor g)
    {
        Tensor gi = T(arena, ins.Input0), gh = T(arena, ins.Input1), h = T(arena, ins.Input2);
        int hidden = h.Shape[^1];
        Tensor r = (gh.Narrow(1, 0, hidden) + gi.Narrow(1, 0, hidden)).Sigmoid();
        Tensor z = (gh.Narrow(1, hidden, hidden) + gi.Narrow(1, hidden, hidden)).Sigmoid();
        Tensor ghn = gh.Narrow(1, 2 * hidden, hidden);
        Tensor n = (gi.Narrow(1, 2 * hidden, hidden) + ghn * r).Tanh();
        if (Needs(arena, ins.Input2)) Give(arena, ins.Input2, g * z);
        if (!Needs(arena, ins.Input0) && !Needs(arena, ins.Input1)) return;
        Tensor dn = g * (1f - z) * (1f - n * n);
        Tensor dz = g * (h - n) * (z * (1f - z));
        Tensor dr = dn * ghn * (r * (1f - r));
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, Functional.Cat([dr, dz, dn], 1));
        if (Needs(arena, ins.Input1)) Give(arena, ins.Input1, Functional.Cat([dr, dz, dn * r], 1));
    }

    // as BackwardRules.LstmCellState (the o block of dgi and dgh is zero)
    public static void LstmCellState(Arena arena, in Instruction ins, Tensor g)
    {
        Tensor gi = T(arena, ins.Input0), gh = T(arena, ins.Input1), c = T(arena, ins.Input2);
        int hidden = c.Shape[^1];
        Tensor gates = gh + gi;
        Tensor i = gates.Narrow(1, 0, hidden).Sigmoid(), f = gates.Narrow(1, hidden, hidden).Sigmoid();
        Tensor cg = gates.Narrow(1, 2 * hidden, hidden).Tanh();
        if (Needs(arena, ins.Input2)) Give(arena, ins.Input2, g * f);
        if (!Needs(arena, ins.Input0) && !Needs(arena, ins.Input1)) return;
        Tensor di = g * cg * (i * (1f - i));
        Tensor df = g * c * (f * (1f - f));
        Tensor dg = g * i * (1f - cg * cg);
        Tensor dgates = Functional.Cat([di, df, dg, arena.Zeros([c.Shape[0], hidden])], 1); // zeros: not g·0, which is NaN where g is infinite
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, dgates);
        if (Needs(arena, ins.Input1)) Give(arena, ins.Input1, dgates);
    }

    // as BackwardRules.LstmCellOutput (only the o block of dgi and dgh is non-zero)
    public static void LstmCellOutput(Arena arena, in Instruction ins, Tensor g)
    {
        Tensor gi = T(arena, ins.Input0), gh = T(arena, ins.Input1), c = T(arena, ins.Input2);
        int hidden = c.Shape[^1];
        Tensor o = (gh.Narrow(1, 3 * hidden, hidden) + gi.Narrow(1, 3 * hidden, hidden)).Sigmoid();
        Tensor tc = c.Tanh();
        if (Needs(arena, ins.Input2)) Give(arena, ins.Input2, g * o * (1f - tc * tc));
        if (!Needs(arena, ins.Input0) && !Needs(arena, ins.Input1)) return;
        Tensor d = g * tc * (o * (1f - o));
        Tensor dgates = Functional.Cat([arena.Zeros([c.Shape[0], 3 * hidden]), d], 1);
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, dgates);
        if (Needs(arena, ins.Input1)) Give(arena, ins.Input1, dgates);
    }
}
