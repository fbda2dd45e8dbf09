using ArenaGrad.Kernels;

namespace ArenaGrad;

// In-place updates, for optimizers and for filling buffers. They are not recorded: like PyTorch, they refuse a
// leaf that requires grad while grad mode is on, and they bump the version counter that backward checks.
public readonly partial struct Tensor
{
    /// <summary>this += alpha · other (<c>add_(other, alpha=alpha)</c>). Same shape required.</summary>
    public Tensor AddInPlace(Tensor other, float alpha = 1f)
    {
        Arena arena = Arena;
        int source = arena.OwnSlot(other);
        arena.RequireFloat(_slot);
        arena.RequireFloat(source);
        if (!arena.ShapeOf(source).SequenceEqual(arena.ShapeOf(_slot)))
            throw new ArgumentException(
                $"AddInPlace expects other to have this tensor's shape {ShapeMath.Format(arena.ShapeOf(_slot))}, but got {ShapeMath.Format(arena.ShapeOf(source))}.",
                nameof(other));
        BeginInPlace(arena);
        if (alpha == 1f) Elementwise.Accumulate(arena.Values(source), arena.Values(_slot));
        else Elementwise.AccumulateScaled(arena.Values(source), alpha, arena.Values(_slot));
        return this;
    }

    /// <summary>this ·= s (<c>mul_(s)</c>)</summary>
    public Tensor MulInPlace(float s)
    {
        Arena arena = Arena;
        arena.RequireFloat(_slot);
        BeginInPlace(arena);
        Span<float> values = arena.Values(_slot);
        Elementwise.Unary(new MultiplyScalarOperator(s), values, values);
        return this;
    }

    /// <summary>Sets every element to <paramref name="value"/> (<c>fill_(value)</c>).</summary>
    public Tensor FillInPlace(float value)
    {
        Arena arena = Arena;
        arena.RequireFloat(_slot);
        BeginInPlace(arena);
        arena.Values(_slot).Fill(value);
        return this;
    }

    /// <summary>Copies <paramref name="source"/>'s values into this tensor (<c>copy_(source)</c>). Same element count required.</summary>
    public Tensor CopyFrom(Tensor source)
    {
        Arena arena = Arena;
        int from = arena.OwnSlot(source);
        arena.RequireDType(from, arena.DTypeOf(_slot));
        if (arena.LengthOf(from) != arena.LengthOf(_slot))
            throw new ArgumentException(
                $"CopyFrom expects {arena.LengthOf(_slot)} elements (shape {ShapeMath.Format(arena.ShapeOf(_slot))}), but source has {arena.LengthOf(from)} (shape {ShapeMath.Format(arena.ShapeOf(from))}).",
                nameof(source));
        BeginInPlace(arena);
        arena.Values(from).CopyTo(arena.Values(_slot));
        return this;
    }

    private const string NoGradViewInPlaceMessage =
        "A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given that this use case is " +
        "ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the view and the inplace either " +
        "both inside the no_grad block (if you don't want the inplace to be tracked) or both outside (if you want the inplace to be tracked).";

    private void BeginInPlace(Arena arena)
    {
        arena.ThrowIfCapturing(Capture.CaptureRefusal.InPlace, "An in-place operation");
        arena.ThrowIfReadOnly(_slot, "modified in place");
        if (arena.IsGradEnabled && arena.IsNoGradView(_slot))
            throw new InvalidOperationException(NoGradViewInPlaceMessage);
        if (arena.IsGradEnabled && arena.RequiresGrad(_slot))
        {
            if (arena.IsLeaf(_slot))
                throw new InvalidOperationException("a leaf Variable that requires grad is being used in an in-place operation.");
            throw new NotSupportedException(
                "In-place operations on tensors that are part of a recorded graph are not supported; use the out-of-place operation, or run under arena.NoGrad().");
        }
        arena.BumpVersion(_slot);
    }
}
