using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

// Normalization (issue 18): F.layer_norm as one fused op (grad_fn NativeLayerNormBackward0).
public static partial class Functional
{
    /// <summary>F.layer_norm: y = (x − E[x]) / √(Var[x] + eps) · weight + bias, the mean and biased variance taken over
    /// the last <c>normalizedShape.Length</c> dims of x, whose sizes must be <paramref name="normalizedShape"/>;
    /// weight and bias (optional, each of shape <paramref name="normalizedShape"/>) scale and shift elementwise.</summary>
    /// <remarks>One fused op: one pass per row for the mean and variance, one for the result, one fused backward.
    /// Backward reads x, the weight and each row's mean and 1/√(var + eps) saved here. The mean is kept as x[0] plus an
    /// offset, so a row whose mean is large against its spread keeps its precision (better than PyTorch 1.13's float mean).</remarks>
    /// <exception cref="ArgumentException">An empty <paramref name="normalizedShape"/>, an input whose trailing sizes
    /// differ from it, or a weight or bias of another shape (PyTorch's messages).</exception>
    public static Tensor LayerNorm(Tensor input, ReadOnlySpan<int> normalizedShape, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        Arena arena = input.Arena;
        int x = input.Slot, w = weight is Tensor wt ? arena.OwnSlot(wt) : -1, b = bias is Tensor bt ? arena.OwnSlot(bt) : -1;
        arena.RequireFloat(x);
        if (w >= 0) arena.RequireFloat(w);
        if (b >= 0) arena.RequireFloat(b);
        if (normalizedShape.Length == 0)
            throw new ArgumentException(
                "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = []",
                nameof(normalizedShape));
        if (w >= 0 && !arena.ShapeOf(w).SequenceEqual(normalizedShape))
            throw new ArgumentException(
                $"Expected weight to be of same shape as normalized_shape, but got weight of shape {ShapeMath.Format(arena.ShapeOf(w))} and normalized_shape = {ShapeMath.Format(normalizedShape)}",
                nameof(weight));
        if (b >= 0 && !arena.ShapeOf(b).SequenceEqual(normalizedShape))
            throw new ArgumentException(
                $"Expected bias to be of same shape as normalized_shape, but got bias of shape {ShapeMath.Format(arena.ShapeOf(b))} and normalized_shape = {ShapeMath.Format(normalizedShape)}",
                nameof(bias));
        ReadOnlySpan<int> shape = arena.ShapeOf(x);
        if (shape.Length < normalizedShape.Length || !shape[(shape.Length - normalizedShape.Length)..].SequenceEqual(normalizedShape))
            throw new ArgumentException(
                $"Given normalized_shape={ShapeMath.Format(normalizedShape)}, expected input with shape [*, {ShapeMath.Format(normalizedShape)[1..]}, but got input of size{ShapeMath.Format(shape)}",
                nameof(input));
        long n = 1;
        foreach (int size in normalizedShape) n *= size;
        int rows = n == 0 ? 0 : (int)(arena.LengthOf(x) / n);
        bool record = arena.IsGradEnabled && (arena.RequiresGrad(x) || (w >= 0 && arena.RequiresGrad(w)) || (b >= 0 && arena.RequiresGrad(b)));
        Span<int> statsShape = stackalloc int[2];
        statsShape[0] = rows;
        statsShape[1] = 3;
        using OpTransaction op = arena.BeginOp(); // the result and the saved statistics (one request), then the tape entry
        int saved = -1;
        int y = record ? arena.NewSlotWithSaved(shape, statsShape, out saved) : arena.NewSlot(shape, requiresGrad: false);
        var instruction = new Instruction(OpCode.LayerNorm, y, x, w, b) { Int0 = (int)n, Int1 = normalizedShape.Length, Scalar0 = eps, Saved = saved };
        ForwardRules.LayerNorm(arena, in instruction);
        arena.Record(in instruction, record);
        return op.Commit(y);
    }
}
