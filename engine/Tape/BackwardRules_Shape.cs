using ArenaGrad.Kernels;

namespace ArenaGrad.Tape;

// Views and shape ops (issue 16): each gradient is g moved back to where its elements came from.
internal static partial class BackwardRules
{
    // dx[..., start : : step, ...] += g
    public static void Slice(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => SliceBackward(arena, in ins, g);
    // dx[..., index, ...] += g
    public static void Select(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        Span<float> dx = arena.GradientForAccumulation(ins.Input0);
        if (g.Length == 0) return; // an empty slice: dx stays zero
        Span<int> strides = stackalloc int[arena.RankOf(ins.Output)];
        int offset = ForwardRules.SelectWindow(arena, in ins, strides);
        StridedScatter.Copy(g, dx[offset..], strides, arena.ShapeOf(ins.Output), accumulate: true);
    }
    // dx = g.permute(perm⁻¹): read g with dim perm[k] of x taking y's stride k
    public static void Permute(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        ReadOnlySpan<int> outShape = arena.ShapeOf(ins.Output);
        Span<int> gStrides = stackalloc int[outShape.Length], strides = stackalloc int[outShape.Length];
        ShapeMath.ContiguousStrides(outShape, gStrides);
        for (int k = 0; k < strides.Length; k++) strides[ForwardRules.PermutationEntry(ins.Int0, k)] = gStrides[k];
        Layout.Copy(g, strides, arena.GradientForAccumulation(ins.Input0), arena.ShapeOf(ins.Input0), accumulate: true);
    }
    // dx += g (same elements, another shape)
    public static void Unsqueeze(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => AccumulateReduced(arena, ins.Input0, g, ins.Output, 1f);
    // dx += g (same elements, another shape)
    public static void SqueezeAll(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => AccumulateReduced(arena, ins.Input0, g, ins.Output, 1f);
    // dx += g (same elements, another shape)
    public static void SqueezeDim(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => AccumulateReduced(arena, ins.Input0, g, ins.Output, 1f);
    // dx += Σ g over the expanded dims
    public static void Expand(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => AccumulateReduced(arena, ins.Input0, g, ins.Output, 1f);
    // dx += Σ over the tiles of g, tile by tile in row-major tile order
    public static void Repeat(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        Span<float> dx = arena.GradientForAccumulation(ins.Input0);
        if (g.Length == 0) return; // a repeat by 0: dx stays zero
        int rank = arena.RankOf(ins.Output);
        Span<int> tile = stackalloc int[rank], tiles = stackalloc int[rank], strides = stackalloc int[rank], t = stackalloc int[rank];
        t.Clear();
        ForwardRules.RepeatGeometry(arena, in ins, tile, tiles, strides);
        do Layout.Copy(g[ForwardRules.TileOffset(t, tile, strides)..], strides, dx, tile, accumulate: true);
        while (ForwardRules.NextTile(t, tiles));
    }
    // dx_i += g[..., i, ...] along Int0
    public static void Stack(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        ReadOnlySpan<int> inputs = arena.OperandsOf(ins);
        int n = inputs.Length, inner = 0;
        int outer = ForwardRules.StackOuter(arena.ShapeOf(inputs[0]), ins.Int0, ref inner);
        for (int i = 0; i < n; i++)
        {
            if (!arena.RequiresGrad(inputs[i])) continue;
            Span<float> dx = arena.GradientForAccumulation(inputs[i]);
            for (int o = 0; o < outer; o++) Elementwise.Accumulate(g.Slice((o * n + i) * inner, inner), dx.Slice(o * inner, inner));
        }
    }
    // dx[..., start : start + len(y), ...] += g (one piece of torch.split)
    public static void Split(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => SliceBackward(arena, in ins, g);
    // dx[..., start : start + len(y), ...] += g (one piece of torch.split with sizes)
    public static void SplitWithSizes(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => SliceBackward(arena, in ins, g);

    private static void SliceBackward(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        Span<float> dx = arena.GradientForAccumulation(ins.Input0);
        if (g.Length == 0) return; // an empty slice: dx stays zero
        Span<int> strides = stackalloc int[arena.RankOf(ins.Input0)];
        int offset = ForwardRules.SliceWindow(arena, in ins, strides);
        StridedScatter.Copy(g, dx[offset..], strides, arena.ShapeOf(ins.Output), accumulate: true);
    }
}
