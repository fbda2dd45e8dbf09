using ArenaGrad.Kernels;

namespace ArenaGrad.Tape;

// LayerNorm (issue 18): one fused pass per row from g, x, the weight and the saved statistics.
internal static unsafe partial class BackwardRules
{
    // x̂ = ((x-shift)-offset)·rstd, ĝ = g·w: dx += rstd(ĝ - mean(ĝ) - x̂·mean(ĝx̂)), dw += Σ_rows g·x̂, db += Σ_rows g
    public static void LayerNorm(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        int n = ins.Int0;
        int rows = n == 0 ? 0 : arena.LengthOf(ins.Input0) / n;
        bool wantX = arena.RequiresGrad(ins.Input0);
        bool wantW = ins.Input1 >= 0 && arena.RequiresGrad(ins.Input1);
        bool wantB = ins.Input2 >= 0 && arena.RequiresGrad(ins.Input2);
        fixed (float* gp = g)
        fixed (float* x = arena.Values(ins.Input0))
        fixed (float* weight = ins.Input1 >= 0 ? arena.Values(ins.Input1) : default)
        fixed (float* stats = arena.Values(ins.Saved))
        fixed (float* dx = wantX ? arena.GradientForAccumulation(ins.Input0) : default)
        fixed (float* dweight = wantW ? arena.GradientForAccumulation(ins.Input1) : default)
        fixed (float* dbias = wantB ? arena.GradientForAccumulation(ins.Input2) : default)
            LayerNormKernels.Backward(gp, x, weight, stats, dx, dweight, dbias, rows, n);
    }
}
