using ArenaGrad.Kernels;

namespace ArenaGrad.Tape;

// The fused recurrent cells (issue 18): GruCell (gi, gh, h) -> h', LstmCellState (gi, gh, c) -> c' and
// LstmCellOutput (gi, gh, c') -> h'. gi and gh are [B, G·H] (G = 3 or 4), the states [B, H]; Saved, when the op is
// recorded, holds what backward reads ([B, 3H]: r, z, n or i, f, g; [B, 2H]: o, tanh c'). Kernels: Kernels/Recurrent.
internal static unsafe partial class ForwardRules
{
    /// <summary>h' = (h − n)·z + n with r, z, n from gi + gh (PyTorch's gate order r, z, n).</summary>
    public static void GruCell(Arena arena, in Instruction ins)
    {
        int hidden = arena.ShapeOf(ins.Output)[^1], rows = arena.LengthOf(ins.Output) / Math.Max(hidden, 1);
        float* gi = Pointer(arena, ins.Input0), gh = Pointer(arena, ins.Input1), h = Pointer(arena, ins.Input2), y = Pointer(arena, ins.Output);
        float* saved = ins.Saved >= 0 ? Pointer(arena, ins.Saved) : null;
        for (int b = 0; b < rows; b++)
            OptimizerKernels.Run(new GruCellForward(gi + b * 3 * hidden, gh + b * 3 * hidden, h + b * hidden, y + b * hidden,
                saved == null ? null : saved + b * 3 * hidden, hidden), (nuint)hidden);
    }

    /// <summary>c' = σ(f)·c + σ(i)·tanh(g) with the gates from gi + gh (PyTorch's order i, f, g, o).</summary>
    public static void LstmCellState(Arena arena, in Instruction ins)
    {
        int hidden = arena.ShapeOf(ins.Output)[^1], rows = arena.LengthOf(ins.Output) / Math.Max(hidden, 1);
        float* gi = Pointer(arena, ins.Input0), gh = Pointer(arena, ins.Input1), c = Pointer(arena, ins.Input2), y = Pointer(arena, ins.Output);
        float* saved = ins.Saved >= 0 ? Pointer(arena, ins.Saved) : null;
        for (int b = 0; b < rows; b++)
            OptimizerKernels.Run(new LstmCellStateForward(gi + b * 4 * hidden, gh + b * 4 * hidden, c + b * hidden, y + b * hidden,
                saved == null ? null : saved + b * 3 * hidden, hidden), (nuint)hidden);
    }

    /// <summary>h' = σ(o)·tanh(c') with o from gi + gh.</summary>
    public static void LstmCellOutput(Arena arena, in Instruction ins)
    {
        int hidden = arena.ShapeOf(ins.Output)[^1], rows = arena.LengthOf(ins.Output) / Math.Max(hidden, 1);
        float* gi = Pointer(arena, ins.Input0), gh = Pointer(arena, ins.Input1), c = Pointer(arena, ins.Input2), y = Pointer(arena, ins.Output);
        float* saved = ins.Saved >= 0 ? Pointer(arena, ins.Saved) : null;
        for (int b = 0; b < rows; b++)
            OptimizerKernels.Run(new LstmCellOutputForward(gi + b * 4 * hidden, gh + b * 4 * hidden, c + b * hidden, y + b * hidden,
                saved == null ? null : saved + b * 2 * hidden, hidden), (nuint)hidden);
    }

    /// <summary>The first value of <paramref name="slot"/> (arena memory never moves while the slot lives).</summary>
    private static float* Pointer(Arena arena, int slot) => OptimizerKernels.PointerTo(arena.Values(slot));
}
