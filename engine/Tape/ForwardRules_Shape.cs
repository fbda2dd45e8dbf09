using ArenaGrad.Kernels;

namespace ArenaGrad.Tape;

// Views and shape ops (issue 16). Every result is a contiguous copy gathered through strides (Layout.Copy) or written
// through them (StridedScatter); elements are moved as 4-byte patterns, so Int32 and Bool go the same way as Float32.
// Unsqueeze and the squeezes share values and run the row's View forward.
internal static unsafe partial class ForwardRules
{
    // y = x[..., start : start + step*len(y) : step, ...] along Int0 (start Int1, step Int2); narrow, slice and split pieces
    public static void Slice(Arena arena, in Instruction ins)
    {
        if (arena.LengthOf(ins.Output) == 0) return;
        Span<int> strides = stackalloc int[arena.RankOf(ins.Input0)];
        int offset = SliceWindow(arena, in ins, strides);
        Layout.Copy(arena.Values(ins.Input0)[offset..], strides, arena.Values(ins.Output), arena.ShapeOf(ins.Output), accumulate: false);
    }

    // y = x[..., index, ...] along Int0 (index Int1), the dim removed
    public static void Select(Arena arena, in Instruction ins)
    {
        if (arena.LengthOf(ins.Output) == 0) return;
        Span<int> strides = stackalloc int[arena.RankOf(ins.Output)];
        int offset = SelectWindow(arena, in ins, strides);
        Layout.Copy(arena.Values(ins.Input0)[offset..], strides, arena.Values(ins.Output), arena.ShapeOf(ins.Output), accumulate: false);
    }

    // y[i_0, ..] = x[i_perm⁻¹...]: dim k of y is dim perm[k] of x (perm packed in Int0)
    public static void Permute(Arena arena, in Instruction ins)
    {
        Span<int> xStrides = stackalloc int[arena.RankOf(ins.Input0)];
        arena.StridesOf(ins.Input0, xStrides);
        Span<int> strides = stackalloc int[xStrides.Length];
        for (int k = 0; k < strides.Length; k++) strides[k] = xStrides[PermutationEntry(ins.Int0, k)];
        Layout.Copy(arena.Values(ins.Input0), strides, arena.Values(ins.Output), arena.ShapeOf(ins.Output), accumulate: false);
    }

    // y = x read with stride 0 along every expanded dim
    public static void Expand(Arena arena, in Instruction ins)
    {
        ReadOnlySpan<int> outShape = arena.ShapeOf(ins.Output);
        Span<int> strides = stackalloc int[outShape.Length];
        ShapeMath.BroadcastStrides(arena.ShapeOf(ins.Input0), outShape, strides);
        Layout.Copy(arena.Values(ins.Input0), strides, arena.Values(ins.Output), outShape, accumulate: false);
    }

    // y = x tiled: every tile of y (x's shape padded with leading 1s) is a copy of x
    public static void Repeat(Arena arena, in Instruction ins)
    {
        if (arena.LengthOf(ins.Output) == 0) return;
        ReadOnlySpan<int> outShape = arena.ShapeOf(ins.Output);
        Span<int> tile = stackalloc int[outShape.Length], tiles = stackalloc int[outShape.Length], strides = stackalloc int[outShape.Length];
        RepeatGeometry(arena, in ins, tile, tiles, strides);
        ReadOnlySpan<float> x = arena.Values(ins.Input0);
        Span<float> y = arena.Values(ins.Output);
        Span<int> t = stackalloc int[outShape.Length];
        t.Clear();
        do StridedScatter.Copy(x, y[TileOffset(t, tile, strides)..], strides, tile, accumulate: false);
        while (NextTile(t, tiles));
    }

    // y = torch.stack(operands, Int0)
    public static void Stack(Arena arena, in Instruction ins)
    {
        ReadOnlySpan<int> inputs = arena.OperandsOf(ins);
        Span<float> y = arena.Values(ins.Output);
        int n = inputs.Length, inner = arena.LengthOf(inputs[0]);
        int outer = StackOuter(arena.ShapeOf(inputs[0]), ins.Int0, ref inner);
        for (int i = 0; i < n; i++) StackPart(arena.Values(inputs[i]), y, i, n, outer, inner);
    }

    /// <summary>torch.stack of <paramref name="inputs"/> along <paramref name="dim"/> into y (eager: the handles).</summary>
    public static void Stack(Arena arena, ReadOnlySpan<Tensor> inputs, int dim, int y)
    {
        Span<float> result = arena.Values(y);
        int n = inputs.Length, inner = arena.LengthOf(inputs[0].Slot);
        int outer = StackOuter(arena.ShapeOf(inputs[0].Slot), dim, ref inner);
        for (int i = 0; i < n; i++) StackPart(arena.Values(inputs[i].Slot), result, i, n, outer, inner);
    }

    // ---- shared with the backward rules ------------------------------------------------------------------------------

    /// <summary>Strides that read a slice instruction's window from x's values, and the window's first element.</summary>
    internal static int SliceWindow(Arena arena, in Instruction ins, Span<int> strides)
    {
        arena.StridesOf(ins.Input0, strides);
        int offset = ins.Int1 * strides[ins.Int0];
        strides[ins.Int0] *= ins.Int2;
        return offset;
    }

    /// <summary>Strides (the selected dim left out) that read a select instruction's slice from x's values, and its first element.</summary>
    internal static int SelectWindow(Arena arena, in Instruction ins, Span<int> strides)
    {
        Span<int> xStrides = stackalloc int[arena.RankOf(ins.Input0)];
        arena.StridesOf(ins.Input0, xStrides);
        for (int k = 0, j = 0; k < xStrides.Length; k++)
            if (k != ins.Int0) strides[j++] = xStrides[k];
        return ins.Int1 * xStrides[ins.Int0];
    }

    /// <summary>A permutation of at most 8 dims in one int, 3 bits per entry.</summary>
    internal static int PackPermutation(ReadOnlySpan<int> perm)
    {
        int packed = 0;
        for (int k = 0; k < perm.Length; k++) packed |= perm[k] << (3 * k);
        return packed;
    }

    /// <summary>Entry <paramref name="k"/> of a packed permutation.</summary>
    internal static int PermutationEntry(int packed, int k) => (packed >> (3 * k)) & 7;

    /// <summary>A repeat's tile (x's shape padded with leading 1s), the tile counts per dim, and y's strides. Only for a
    /// non-empty y, where every tile dim is non-zero.</summary>
    internal static void RepeatGeometry(Arena arena, in Instruction ins, Span<int> tile, Span<int> tiles, Span<int> strides)
    {
        ReadOnlySpan<int> inShape = arena.ShapeOf(ins.Input0), outShape = arena.ShapeOf(ins.Output);
        int lead = outShape.Length - inShape.Length;
        for (int k = 0; k < outShape.Length; k++)
        {
            tile[k] = k < lead ? 1 : inShape[k - lead];
            tiles[k] = outShape[k] / tile[k];
        }
        ShapeMath.ContiguousStrides(outShape, strides);
    }

    /// <summary>Where tile <paramref name="t"/> starts in y.</summary>
    internal static int TileOffset(ReadOnlySpan<int> t, ReadOnlySpan<int> tile, ReadOnlySpan<int> strides)
    {
        int offset = 0;
        for (int k = 0; k < t.Length; k++) offset += t[k] * tile[k] * strides[k];
        return offset;
    }

    /// <summary>Advances the tile counter (last dim fastest); false after the last tile.</summary>
    internal static bool NextTile(Span<int> t, ReadOnlySpan<int> tiles)
    {
        for (int k = t.Length - 1; k >= 0; k--)
        {
            if (++t[k] < tiles[k]) return true;
            t[k] = 0;
        }
        return false;
    }

    /// <summary>Elements before the stacked dim (outer) and from it on (inner, given the input's length) in one input.</summary>
    internal static int StackOuter(ReadOnlySpan<int> inShape, int dim, ref int inner)
    {
        int outer = 1;
        for (int k = 0; k < dim; k++) outer *= inShape[k];
        inner = 1;
        for (int k = dim; k < inShape.Length; k++) inner *= inShape[k];
        return outer;
    }

    private static void StackPart(ReadOnlySpan<float> x, Span<float> y, int i, int n, int outer, int inner)
    {
        for (int o = 0; o < outer; o++) x.Slice(o * inner, inner).CopyTo(y.Slice((o * n + i) * inner, inner));
    }
}
