using System.Runtime.InteropServices;
using ArenaGrad.Kernels;
using ArenaGrad.Memory;

namespace ArenaGrad.Tape;

// The forwards of the reductions of issue 16 (kernels in engine/Kernels/Reductions_Extremes.cs, _Moments.cs and
// _Scans.cs). Int0 is the axis, or -1 for every element; the eager op checked both.
internal static unsafe partial class ForwardRules
{
    public static void MinAll(Arena arena, in Instruction ins) => arena.Values(ins.Output)[0] = Reductions.Min(arena.Values(ins.Input0));

    public static void MinDim(Arena arena, in Instruction ins)
    {
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Input0), ins.Int0, out int outer, out int size, out int inner);
        Reductions.MinAxis(arena.Values(ins.Input0), outer, size, inner, arena.Values(ins.Output));
    }

    // values into Output, Int32 indices into Saved
    public static void MaxDimWithIndices(Arena arena, in Instruction ins) => ArgExtreme(arena, ins, ins.Saved, values: true, max: true);
    public static void MinDimWithIndices(Arena arena, in Instruction ins) => ArgExtreme(arena, ins, ins.Saved, values: true, max: false);

    // Int32 indices into Output
    public static void ArgMax(Arena arena, in Instruction ins) => ArgExtreme(arena, ins, ins.Output, values: false, max: true);
    public static void ArgMin(Arena arena, in Instruction ins) => ArgExtreme(arena, ins, ins.Output, values: false, max: false);

    private static void ArgExtreme(Arena arena, in Instruction ins, int indices, bool values, bool max)
    {
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Input0), ins.Int0, out int outer, out int size, out int inner);
        Reductions.ArgExtremeAxis(arena.Values(ins.Input0), outer, size, inner, values ? arena.Values(ins.Output) : default,
            MemoryMarshal.Cast<float, int>(arena.Values(indices)), max);
    }

    // Int1 = correction
    public static void Var(Arena arena, in Instruction ins) => Variance(arena, ins, std: false);
    public static void Std(Arena arena, in Instruction ins) => Variance(arena, ins, std: true);

    private static void Variance(Arena arena, in Instruction ins, bool std)
    {
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Input0), ins.Int0, out int outer, out int size, out int inner);
        Reductions.VarianceAxis(arena.Values(ins.Input0), outer, size, inner, ins.Int1, std, arena.Values(ins.Output));
    }

    // Scalar0 = p
    public static void Norm(Arena arena, in Instruction ins)
    {
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Input0), ins.Int0, out int outer, out int size, out int inner);
        Reductions.NormAxis(arena.Values(ins.Input0), outer, size, inner, ins.Scalar0, arena.Values(ins.Output));
    }

    public static void LogSumExp(Arena arena, in Instruction ins)
    {
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Input0), ins.Int0, out int outer, out int size, out int inner);
        Reductions.LogSumExpAxis(arena.Values(ins.Input0), outer, size, inner, arena.Values(ins.Output));
    }

    public static void CumSum(Arena arena, in Instruction ins)
    {
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Input0), ins.Int0, out int outer, out int size, out int inner);
        Reductions.CumSumAxis(arena.Values(ins.Input0), outer, size, inner, arena.Values(ins.Output));
    }

    public static void ProdAll(Arena arena, in Instruction ins)
    {
        ReadOnlySpan<float> x = arena.Values(ins.Input0);
        Reductions.ProdAxis(x, 1, x.Length, 1, arena.Values(ins.Output));
    }

    public static void ProdDim(Arena arena, in Instruction ins)
    {
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Input0), ins.Int0, out int outer, out int size, out int inner);
        Reductions.ProdAxis(arena.Values(ins.Input0), outer, size, inner, arena.Values(ins.Output));
    }
}
