namespace ArenaGrad.Tape;

// Graph backward rules of shape: reshape, transpose, cat and the views and shape ops of issue 16 (see GraphBackwardRules.cs).
// The adjoint of a slice, select or split is built from differentiable ops (zeros joined around g by Cat), so its own
// backward is the slice again, as PyTorch's slice_backward is; the operand buffer and shapes are copied before any op
// runs, since recording a Cat or Stack may move the operand buffer.
internal static partial class GraphBackwardRules
{
    // dx = g in x's shape (same element order)
    public static void Reshape(Arena arena, in Instruction ins, Tensor g) => GiveInShape(arena, ins.Input0, g);
    // dx = gᵀ (the same two dims swapped back)
    public static void Transpose(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, g.Transpose(ins.Int0, ins.Int1));
    }
    // dx_i = g.narrow(dim, offset_i, size_i) (PyTorch's cat_tensors_backward: a slice per input)
    public static void Concat(Arena arena, in Instruction ins, Tensor g)
    {
        ReadOnlySpan<int> operands = arena.OperandsOf(ins);
        Span<int> inputs = stackalloc int[operands.Length];
        operands.CopyTo(inputs);
        int dim = ins.Int0, offset = 0;
        foreach (int input in inputs)
        {
            int size = arena.ShapeOf(input)[dim];
            if (Needs(arena, input)) Give(arena, input, g.Narrow(dim, offset, size));
            offset += size;
        }
    }
    // dx = zeros with g at start, start+step, ... along dim (PyTorch's slice_backward, its backward the slice again)
    public static void Slice(Arena arena, in Instruction ins, Tensor g) => GiveSliceAdjoint(arena, ins.Input0, g, ins.Int0, ins.Int1, ins.Int2);
    // dx = zeros with g.unsqueeze(dim) at index along dim (PyTorch's select_backward)
    public static void Select(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) GiveSliceAdjoint(arena, ins.Input0, g.Unsqueeze(ins.Int0), ins.Int0, ins.Int1, 1);
    }
    // dx = g.permute(perm⁻¹)
    public static void Permute(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Span<int> inverse = stackalloc int[arena.RankOf(ins.Output)];
        for (int k = 0; k < inverse.Length; k++) inverse[ForwardRules.PermutationEntry(ins.Int0, k)] = k;
        Give(arena, ins.Input0, g.Permute(inverse));
    }
    // dx = g in x's shape
    public static void Unsqueeze(Arena arena, in Instruction ins, Tensor g) => GiveInShape(arena, ins.Input0, g);
    // dx = g in x's shape
    public static void SqueezeAll(Arena arena, in Instruction ins, Tensor g) => GiveInShape(arena, ins.Input0, g);
    // dx = g in x's shape
    public static void SqueezeDim(Arena arena, in Instruction ins, Tensor g) => GiveInShape(arena, ins.Input0, g);
    // dx = g summed over the expanded dims
    public static void Expand(Arena arena, in Instruction ins, Tensor g) => GiveReduced(arena, ins.Input0, g);
    // dx = Σ over the leading new dims, then g reshaped to [..., repeat_d, size_d, ...] and summed over each repeat_d
    // (PyTorch's repeat_backward; zeros when a repeat is 0)
    public static void Repeat(Arena arena, in Instruction ins, Tensor g)
    {
        int x = ins.Input0;
        if (!Needs(arena, x)) return;
        ReadOnlySpan<int> inShape = arena.ShapeOf(x), outShape = arena.ShapeOf(ins.Output);
        int lead = outShape.Length - inShape.Length;
        Span<int> gradSize = stackalloc int[2 * inShape.Length], sumDims = stackalloc int[inShape.Length];
        int sizes = 0, sums = 0;
        bool zeroRepeat = false;
        for (int k = 0; k < lead; k++) zeroRepeat |= outShape[k] == 0;
        for (int d = 0; d < inShape.Length; d++)
        {
            // An empty dim of x hides its repeat (0/0); any repeat gives the same empty gradient, so take 1.
            int repeat = inShape[d] == 0 ? 1 : outShape[lead + d] / inShape[d];
            zeroRepeat |= repeat == 0;
            if (repeat > 1)
            {
                sumDims[sums++] = sizes;
                gradSize[sizes++] = repeat;
            }
            gradSize[sizes++] = inShape[d];
        }
        if (zeroRepeat)
        {
            Give(arena, x, arena.Zeros(inShape));
            return;
        }
        Tensor t = g;
        for (int k = 0; k < lead; k++) t = t.Sum(0);
        t = t.Reshape(gradSize[..sizes]);
        for (int i = sums - 1; i >= 0; i--) t = t.Sum(sumDims[i]); // last first: earlier dims keep their index
        Give(arena, x, t);
    }
    // dx_i = g.select(dim, i) (PyTorch's stack_tensors_backward: g.unbind(dim))
    public static void Stack(Arena arena, in Instruction ins, Tensor g)
    {
        ReadOnlySpan<int> operands = arena.OperandsOf(ins);
        Span<int> inputs = stackalloc int[operands.Length];
        operands.CopyTo(inputs);
        for (int i = 0; i < inputs.Length; i++)
            if (Needs(arena, inputs[i])) Give(arena, inputs[i], g.Select(ins.Int0, i));
    }
    // dx = zeros with g at [start, start + len(y)) along dim (one piece of PyTorch's split_backward)
    public static void Split(Arena arena, in Instruction ins, Tensor g) => GiveSliceAdjoint(arena, ins.Input0, g, ins.Int0, ins.Int1, 1);
    // dx = zeros with g at [start, start + len(y)) along dim (one piece of PyTorch's split_with_sizes_backward)
    public static void SplitWithSizes(Arena arena, in Instruction ins, Tensor g) => GiveSliceAdjoint(arena, ins.Input0, g, ins.Int0, ins.Int1, 1);

    /// <summary>Gives the input in <paramref name="slot"/> the gradient <paramref name="g"/> reshaped to its shape (the
    /// views: same elements in the same order).</summary>
    private static void GiveInShape(Arena arena, int slot, Tensor g)
    {
        if (Needs(arena, slot)) Give(arena, slot, g.Reshape(arena.ShapeOf(slot)));
    }

    /// <summary>Gives the input in <paramref name="slot"/> a zero tensor of its shape holding <paramref name="g"/> at
    /// <paramref name="start"/>, start + <paramref name="step"/>, ... along <paramref name="dim"/> (g has x's rank),
    /// made only of Cat, Unsqueeze, Reshape and Narrow so that differentiating it gives the slice back.</summary>
    private static void GiveSliceAdjoint(Arena arena, int slot, Tensor g, int dim, int start, int step)
    {
        if (!Needs(arena, slot)) return;
        ReadOnlySpan<int> xShape = arena.ShapeOf(slot);
        int rank = xShape.Length, length = g.Shape[dim], covered = length;
        Tensor placed = g;
        if (step > 1 && length > 1)
        {
            // Interleave: g [.., L, ..] as [.., L, 1, ..] joined with zeros [.., L, step-1, ..] along dim+1, read as
            // [.., L*step, ..] and cut after the last element of g.
            Span<int> gaps = stackalloc int[rank + 1], wide = stackalloc int[rank];
            g.Shape.CopyTo(wide);
            wide[..(dim + 1)].CopyTo(gaps);
            gaps[dim + 1] = step - 1;
            wide[(dim + 1)..].CopyTo(gaps[(dim + 2)..]);
            wide[dim] = length * step;
            placed = Functional.Cat([g.Unsqueeze(dim + 1), arena.Zeros(gaps)], dim + 1).Reshape(wide);
            covered = step * (length - 1) + 1;
            placed = placed.Narrow(dim, 0, covered);
        }
        int after = xShape[dim] - start - covered;
        if (start > 0) placed = Functional.Cat([ShapeZerosAlong(arena, xShape, dim, start), placed], dim);
        if (after > 0) placed = Functional.Cat([placed, ShapeZerosAlong(arena, xShape, dim, after)], dim);
        Give(arena, slot, placed);
    }

    /// <summary>Zeros of <paramref name="shape"/> with <paramref name="dim"/> of size <paramref name="size"/>.</summary>
    private static Tensor ShapeZerosAlong(Arena arena, ReadOnlySpan<int> shape, int dim, int size)
    {
        Span<int> zeros = stackalloc int[shape.Length];
        shape.CopyTo(zeros);
        zeros[dim] = size;
        return arena.Zeros(zeros);
    }
}
