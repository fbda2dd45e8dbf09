using ArenaGrad.Kernels;

namespace ArenaGrad.Tape;

// LayerNorm (issue 18): rows of Int0 elements, eps in Scalar0; each row's shift, mean offset and rstd go to Saved when backward needs them.
internal static unsafe partial class ForwardRules
{
    /// <summary>y = (x − mean)/√(var + eps)·weight + bias over each row of the normalized dims (F.layer_norm).</summary>
    public static void LayerNorm(Arena arena, in Instruction ins)
    {
        int n = ins.Int0;
        int length = arena.LengthOf(ins.Input0);
        int rows = n == 0 ? 0 : length / n;
        fixed (float* x = arena.Values(ins.Input0))
        fixed (float* weight = ins.Input1 >= 0 ? arena.Values(ins.Input1) : default)
        fixed (float* bias = ins.Input2 >= 0 ? arena.Values(ins.Input2) : default)
        fixed (float* y = arena.Values(ins.Output))
        fixed (float* stats = ins.Saved >= 0 ? arena.Values(ins.Saved) : default)
            LayerNormKernels.Forward(x, weight, bias, y, stats, rows, n, ins.Scalar0);
    }
}
