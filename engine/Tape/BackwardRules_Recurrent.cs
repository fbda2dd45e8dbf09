using ArenaGrad.Kernels;

namespace ArenaGrad.Tape;

// The fused recurrent cells (issue 18): each rule is one pass per batch row over the saved gate activations
// (Kernels/Recurrent), accumulating into the gradients of gi, gh and the state that take one.
internal static unsafe partial class BackwardRules
{
    // dh += g·z; dn = g·(1 − z)·(1 − n²); dz = g·(h − n)·z·(1 − z); dr = dn·gh_n·r·(1 − r);
    // dgi += [dr, dz, dn]; dgh += [dr, dz, dn·r]
    public static void GruCell(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        int hidden = arena.ShapeOf(ins.Output)[^1], rows = g.Length / Math.Max(hidden, 1);
        float* dgi = Target(arena, ins.Input0), dgh = Target(arena, ins.Input1), dh = Target(arena, ins.Input2);
        float* saved = Read(arena, ins.Saved), gh = Read(arena, ins.Input1), h = Read(arena, ins.Input2);
        fixed (float* pg = g)
            for (int b = 0; b < rows; b++)
            {
                int row = b * hidden, gates = 3 * row;
                OptimizerKernels.Run(new GruCellBackward(pg + row, saved + gates, gh + gates, h + row,
                    dgi == null ? null : dgi + gates, dgh == null ? null : dgh + gates, dh == null ? null : dh + row, hidden), (nuint)hidden);
            }
    }

    // dc += g·f; di = g·g_c·i·(1 − i); df = g·c·f·(1 − f); dg = g·i·(1 − g_c²) into the i, f, g blocks of dgi and dgh
    public static void LstmCellState(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        int hidden = arena.ShapeOf(ins.Output)[^1], rows = g.Length / Math.Max(hidden, 1);
        float* dgi = Target(arena, ins.Input0), dgh = Target(arena, ins.Input1), dc = Target(arena, ins.Input2);
        float* saved = Read(arena, ins.Saved), c = Read(arena, ins.Input2);
        fixed (float* pg = g)
            for (int b = 0; b < rows; b++)
            {
                int row = b * hidden;
                OptimizerKernels.Run(new LstmCellStateBackward(pg + row, saved + 3 * row, c + row,
                    dgi == null ? null : dgi + 4 * row, dgh == null ? null : dgh + 4 * row, dc == null ? null : dc + row, hidden), (nuint)hidden);
            }
    }

    // do = g·tanh(c')·o·(1 − o) into the o blocks of dgi and dgh; dc' += g·o·(1 − tanh²(c'))
    public static void LstmCellOutput(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        int hidden = arena.ShapeOf(ins.Output)[^1], rows = g.Length / Math.Max(hidden, 1);
        float* dgi = Target(arena, ins.Input0), dgh = Target(arena, ins.Input1), dc = Target(arena, ins.Input2);
        float* saved = Read(arena, ins.Saved);
        fixed (float* pg = g)
            for (int b = 0; b < rows; b++)
            {
                int row = b * hidden;
                OptimizerKernels.Run(new LstmCellOutputBackward(pg + row, saved + 2 * row,
                    dgi == null ? null : dgi + 4 * row, dgh == null ? null : dgh + 4 * row, dc == null ? null : dc + row, hidden), (nuint)hidden);
            }
    }

    /// <summary>The gradient of <paramref name="slot"/> to accumulate into (zeroed when it held none: the LSTM rules
    /// write a block of it each), or null when the input takes none.</summary>
    private static float* Target(Arena arena, int slot) =>
        slot >= 0 && arena.RequiresGrad(slot) ? OptimizerKernels.PointerTo(arena.GradientForAccumulation(slot)) : null;

    /// <summary>The values of <paramref name="slot"/>.</summary>
    private static float* Read(Arena arena, int slot) => OptimizerKernels.PointerTo(arena.Values(slot));
}
