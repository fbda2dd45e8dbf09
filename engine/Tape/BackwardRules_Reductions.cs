using System.Runtime.InteropServices;
using ArenaGrad.Kernels;
using ArenaGrad.Memory;

namespace ArenaGrad.Tape;

// The derivative rules of the reductions of issue 16, one per opcode in opcode order (Int0: the axis, or -1 for every
// element). ArgMax and ArgMin have none: their rows point at NotDifferentiable.
internal static partial class BackwardRules
{
    // ties (or NaNs) share g evenly (torch.min())
    public static void MinAll(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => MaxBackward(arena, ins, g, WholeTensor, amax: false);
    // amin: (g/count)*mask, NaN min: NaN
    public static void MinDim(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => MaxBackward(arena, ins, g, ins.Int0, amax: true);
    // dx[index] += g (the returned index only)
    public static void MaxDimWithIndices(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => SelectedBackward(arena, ins, g);
    // dx[index] += g (the returned index only)
    public static void MinDimWithIndices(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => SelectedBackward(arena, ins, g);
    // dx += ((2/(n-c)) g)(x - mean)
    public static void Var(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => VarianceBackward(arena, ins, g, std: false);
    // as var with g/(2y) (0 where y = 0)
    public static void Std(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => VarianceBackward(arena, ins, g, std: true);
    // torch's norm_backward by p
    public static void Norm(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => AxisKernelBackward(arena, ins, g, AxisKernel.Norm);
    // dx += g exp(x - y)
    public static void LogSumExp(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => AxisKernelBackward(arena, ins, g, AxisKernel.LogSumExp);
    // dx += reverse cumsum of g
    public static void CumSum(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => AxisKernelBackward(arena, ins, g, AxisKernel.CumSum);
    // dx += g Π(others); two zeros or more: 0
    public static void ProdAll(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => ProdBackward(arena, ins, g, zeroIfTwoZeros: true);
    // dx += g Π(others), without dividing by x
    public static void ProdDim(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => ProdBackward(arena, ins, g, zeroIfTwoZeros: false);

    private enum AxisKernel { Norm, LogSumExp, CumSum }

    private static void SelectedBackward(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Input0), ins.Int0, out int outer, out int dim, out int inner);
        Reductions.SelectedAxisGradAccumulate(MemoryMarshal.Cast<float, int>(arena.Values(ins.Saved)), g, outer, dim, inner,
            arena.GradientForAccumulation(ins.Input0));
    }

    private static void VarianceBackward(Arena arena, in Instruction ins, ReadOnlySpan<float> g, bool std)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Input0), ins.Int0, out int outer, out int dim, out int inner);
        Reductions.VarianceAxisGradAccumulate(arena.Values(ins.Input0), arena.Values(ins.Output), g, outer, dim, inner, ins.Int1, std,
            arena.GradientForAccumulation(ins.Input0));
    }

    private static void AxisKernelBackward(Arena arena, in Instruction ins, ReadOnlySpan<float> g, AxisKernel kernel)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        // The 0-norm has no gradient (PyTorch's is undefined, so the input's .grad stays None).
        if (kernel == AxisKernel.Norm && ins.Scalar0 == 0f) return;
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Input0), ins.Int0, out int outer, out int dim, out int inner);
        Span<float> dx = arena.GradientForAccumulation(ins.Input0);
        ReadOnlySpan<float> x = arena.Values(ins.Input0);
        switch (kernel)
        {
            case AxisKernel.Norm: Reductions.NormAxisGradAccumulate(x, arena.Values(ins.Output), g, outer, dim, inner, ins.Scalar0, dx); break;
            case AxisKernel.LogSumExp: Reductions.LogSumExpAxisGradAccumulate(x, arena.Values(ins.Output), g, outer, dim, inner, dx); break;
            default: Reductions.ReverseCumSumAxisAccumulate(g, outer, dim, inner, dx); break;
        }
    }

    private static void ProdBackward(Arena arena, in Instruction ins, ReadOnlySpan<float> g, bool zeroIfTwoZeros)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        ReadOnlySpan<float> x = arena.Values(ins.Input0);
        Span<float> dx = arena.GradientForAccumulation(ins.Input0);
        // prod() over everything: PyTorch's gradient is zeros_like(x) once two elements are 0.
        if (zeroIfTwoZeros && Reductions.CountZeros(x) >= 2) return;
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Input0), zeroIfTwoZeros ? WholeTensor : ins.Int0, out int outer, out int dim, out int inner);
        Reductions.ProdAxisGradAccumulate(x, g, outer, dim, inner, dx, arena.Scratch(x.Length, out _));
    }
}
