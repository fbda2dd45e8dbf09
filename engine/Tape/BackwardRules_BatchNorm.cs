using ArenaGrad.Kernels;

namespace ArenaGrad.Tape;

// Batch normalization (issue 18): one pass per channel over g and x with the statistics the forward saved.
internal static partial class BackwardRules
{
    // batch statistics: dx = w·invstd·(g − mean(g) − x̂·mean(g·x̂)); running statistics: dx = g·w·invstd;
    // dweight = Σ g·x̂, dbias = Σ g over each channel
    public static void BatchNorm(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        bool needX = arena.RequiresGrad(ins.Input0);
        bool needWeight = ins.Input1 >= 0 && arena.RequiresGrad(ins.Input1);
        bool needBias = ins.Input2 >= 0 && arena.RequiresGrad(ins.Input2);
        if (!needX && !needWeight && !needBias) return;
        ForwardRules.BatchNormGeometry(arena.ShapeOf(ins.Input0), out int n, out int c, out int s);
        BatchNormKernels.Backward(g, arena.Values(ins.Input0), n, c, s, ins.Input1 >= 0 ? arena.Values(ins.Input1) : default,
            arena.Values(ins.Saved), ins.Int0 != 0,
            needX ? arena.GradientForAccumulation(ins.Input0) : default,
            needWeight ? arena.GradientForAccumulation(ins.Input1) : default,
            needBias ? arena.GradientForAccumulation(ins.Input2) : default);
    }
}
