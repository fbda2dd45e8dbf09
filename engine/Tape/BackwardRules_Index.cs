using ArenaGrad.Kernels;
using ArenaGrad.Memory;

namespace ArenaGrad.Tape;

// Indexing and masks (issue 16). The index ops' derivatives are scatter-adds of g in a fixed order (index_add /
// scatter_add into zeros); the masks route g to the inputs the condition selected and reduce broadcast inputs.
internal static partial class BackwardRules
{
    // dx = index_add(zeros_like(x), dim, index, g): dx[o, index[i], r] += g[o, i, r]
    public static void IndexSelect(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        ShapeMath.SplitAxis(arena.ShapeOf(ins.Input0), ins.Int0, out int outer, out int size, out int inner);
        IndexKernels.IndexSelectBackward(g, arena.IntValues(ins.Input1), outer, size, inner, arena.GradientForAccumulation(ins.Input0));
    }

    // dx = scatter_add(zeros_like(x), dim, index, g)
    public static void Gather(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        ReadOnlySpan<int> xShape = arena.ShapeOf(ins.Input0);
        Span<int> xStrides = stackalloc int[xShape.Length];
        ShapeMath.ContiguousStrides(xShape, xStrides);
        IndexKernels.GatherBackward(g, xStrides, arena.IntValues(ins.Input1), arena.ShapeOf(ins.Input1), ins.Int0,
            arena.GradientForAccumulation(ins.Input0));
    }

    // dself = g; dsource = gather(g, dim, index) on the index's positions, 0 on the rest of source
    public static void ScatterAdd(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        AccumulateReduced(arena, ins.Input0, g, ins.Output, 1f);
        if (!arena.RequiresGrad(ins.Input2)) return;
        ReadOnlySpan<int> shape = arena.ShapeOf(ins.Output), sourceShape = arena.ShapeOf(ins.Input2);
        Span<int> strides = stackalloc int[shape.Length];
        Span<int> sourceStrides = stackalloc int[sourceShape.Length];
        ShapeMath.ContiguousStrides(shape, strides);
        ShapeMath.ContiguousStrides(sourceShape, sourceStrides);
        IndexKernels.ScatterAddSourceBackward(g, strides, arena.IntValues(ins.Input1), arena.ShapeOf(ins.Input1), sourceStrides, ins.Int0,
            arena.GradientForAccumulation(ins.Input2));
    }

    // dx += reduce(mask ? 0 : g)
    public static void MaskedFill(Arena arena, in Instruction ins, ReadOnlySpan<float> g) =>
        MaskedRule(arena, ins.Input0, ins.Input1, select: false, g, ins.Output);

    // da += reduce(condition ? g : 0); db += reduce(condition ? 0 : g)
    public static void Where(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        MaskedRule(arena, ins.Input0, ins.Input2, select: true, g, ins.Output);
        if (ins.Input1 >= 0) MaskedRule(arena, ins.Input1, ins.Input2, select: false, g, ins.Output);
    }

    /// <summary>d[input] += g where (condition != 0) == select, reduced to the input's shape when it was broadcast.</summary>
    private static void MaskedRule(Arena arena, int input, int condition, bool select, ReadOnlySpan<float> g, int output)
    {
        if (!arena.RequiresGrad(input)) return;
        ReadOnlySpan<int> shape = arena.ShapeOf(output);
        Span<int> cStrides = stackalloc int[shape.Length];
        ShapeMath.BroadcastStrides(arena.ShapeOf(condition), shape, cStrides);
        ReadOnlySpan<int> mask = arena.IntValues(condition);
        if (arena.LengthOf(input) == g.Length)
        {
            Span<float> target = arena.GradientForWrite(input, out bool fresh);
            MaskKernels.MaskedGradient(g, mask, cStrides, shape, select, target, accumulate: !fresh);
            return;
        }
        Span<float> masked = arena.Scratch(g.Length, out _);
        MaskKernels.MaskedGradient(g, mask, cStrides, shape, select, masked, accumulate: false);
        AccumulateReduced(arena, input, masked, output, 1f);
    }
}

// Cross-entropy with class-probability targets (issue 16, family index).
internal static partial class BackwardRules
{
    // dx[n, c] += w_n (softmax[n, c]·Σ_c' q[n, c'] − q[n, c]); dtarget[n, c] += −w_n (1 − ε) logp[n, c]
    // (w_n = g/N for the mean, g for the sum, g[n] for none; q = (1 − ε)·target + ε/C)
    public static void CrossEntropyProbabilities(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        ReadOnlySpan<int> shape = arena.ShapeOf(ins.Input0);
        int classes = shape[^1], rows = shape.Length == 2 ? shape[0] : 1;
        ReadOnlySpan<float> logProbabilities = arena.Values(ins.Saved), targets = arena.Values(ins.Input1);
        var reduction = (Reduction)ins.Int0;
        float epsilon = ins.Scalar0, keep = (float)(1.0 - epsilon), shift = classes == 0 ? 0f : (float)((double)epsilon / classes);
        if (arena.RequiresGrad(ins.Input0))
        {
            Span<float> dx = arena.GradientForWrite(ins.Input0, out bool fresh);
            for (int n = 0; n < rows; n++)
            {
                float w = RowWeight(reduction, g, n, rows);
                double sum = 0;
                for (int c = 0; c < classes; c++) sum += ForwardRules.SmoothedTarget(targets[n * classes + c], epsilon, keep, shift);
                float targetSum = (float)sum;
                for (int c = 0; c < classes; c++)
                {
                    int k = n * classes + c;
                    float q = ForwardRules.SmoothedTarget(targets[k], epsilon, keep, shift);
                    float value = w * (Transcendentals.Exp(logProbabilities[k]) * targetSum - q);
                    if (fresh) dx[k] = value;
                    else dx[k] += value;
                }
            }
        }
        if (arena.RequiresGrad(ins.Input1))
        {
            Span<float> dt = arena.GradientForAccumulation(ins.Input1);
            for (int n = 0; n < rows; n++)
            {
                float w = RowWeight(reduction, g, n, rows);
                float scale = -w * (epsilon > 0f ? keep : 1f);
                for (int c = 0; c < classes; c++) dt[n * classes + c] += scale * logProbabilities[n * classes + c];
            }
        }
    }
}
