using System.Runtime.CompilerServices;
using ArenaGrad.Printing;

namespace ArenaGrad;

/// <summary>
/// A handle to a tensor stored in an <see cref="Arena"/>: the arena, a slot index and the slot's generation.
/// PyTorch's Tensor and Variable in one type.
/// </summary>
/// <remarks>
/// A handle is not the tensor's memory: copying or dropping it costs nothing and allocates nothing, and the
/// values live until the arena scope they were made in ends (or the arena is disposed). Using a handle after
/// that, or <c>default(Tensor)</c>, throws; it never reads stale memory.
/// </remarks>
[System.Diagnostics.DebuggerDisplay("{DebuggerText,nq}")]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2231:Overload operator equals on overriding value type Equals",
    Justification = "PyTorch's a == b compares values; a handle-comparing == would compile silently with another meaning.")]
public readonly partial struct Tensor : IEquatable<Tensor>
{
    private readonly Arena? _arena;
    private readonly int _slot;
    private readonly ulong _generation; // 64-bit so that it cannot wrap: a released handle stays released

    internal Tensor(Arena arena, int slot, ulong generation)
    {
        _arena = arena;
        _slot = slot;
        _generation = generation;
    }

    /// <summary>The arena that owns this tensor.</summary>
    public Arena Arena
    {
        get
        {
            if (_arena is null) ThrowDefault();
            _arena.Validate(_slot, _generation);
            return _arena;
        }
    }

    /// <summary>Whether this handle still names a live tensor (false for <c>default</c>, released or disposed).</summary>
    public bool IsAlive => _arena is not null && _arena.IsLive(_slot, _generation);

    private string DebuggerText => IsAlive
        ? $"Tensor {ShapeMath.Format(Shape)}{(RequiresGrad ? " requires_grad" : "")}{(GradFn is string name ? " " + name : "")}"
        : "Tensor (released)";

    /// <summary>The arena without validation (for ownership checks of an already validated handle).</summary>
    internal Arena? Owner => _arena;

    /// <summary>The validated slot index.</summary>
    internal int Slot
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (_arena is null) ThrowDefault();
            return _arena.Validate(_slot, _generation);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowDefault() => throw new InvalidOperationException(
        "This Tensor is default(Tensor): it was never made by an arena. Make tensors with arena.Zeros, arena.FromData, or an operation.");

    /// <summary>The dimension sizes (empty for a scalar). Valid until the tensor is released.</summary>
    public ReadOnlySpan<int> Shape => Arena.ShapeOf(_slot);

    /// <summary>Number of dimensions.</summary>
    public int Rank => Arena.RankOf(_slot);

    /// <summary>The element type (<c>dtype</c>): <see cref="DType.Float32"/> unless made as Int32 or Bool.</summary>
    public DType DType => Arena.DTypeOf(_slot);

    /// <summary>Number of elements (<c>numel()</c>).</summary>
    public int Count => Arena.LengthOf(_slot);

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim)
    {
        Arena arena = Arena;
        return arena.ShapeOf(_slot)[ShapeMath.NormalizeSizeDim(dim, arena.RankOf(_slot))];
    }

    /// <summary>Whether operations on this tensor are recorded for backward. False unless asked for.</summary>
    public bool RequiresGrad => Arena.RequiresGrad(_slot);

    /// <summary>True for tensors the user made (and for every tensor that does not require grad).</summary>
    public bool IsLeaf => Arena.IsLeaf(_slot);

    /// <summary>The name of the backward node that made this tensor (e.g. <c>AddBackward0</c>), or null for a leaf.</summary>
    public string? GradFn
    {
        get
        {
            Arena arena = Arena;
            int producer = arena.ProducerOf(_slot);
            return producer < 0 ? null : arena.GradFnNameOf(producer);
        }
    }

    /// <summary>The accumulated gradient, or null (PyTorch's None): for tensors that do not require grad, before
    /// the first backward, after <see cref="ZeroGrad"/>, and for non-leaves unless <see cref="RetainGrad"/> was called.</summary>
    public Tensor? Grad
    {
        get
        {
            Arena arena = Arena;
            if (!arena.IsLeaf(_slot) && !arena.RetainsGrad(_slot)) return null;
            int view = arena.GradientViewOf(_slot);
            if (view < 0) return null;
            // After Backward(createGraph: true), .grad is the differentiable tensor (same values as the buffer).
            return arena.TryGraphGradient(_slot, out Tensor differentiable) ? differentiable : arena.Handle(view);
        }
    }

    /// <summary><c>requires_grad_(requiresGrad)</c>: opts a leaf in (or out) of gradient tracking. Returns this tensor.</summary>
    /// <exception cref="InvalidOperationException">Turning it off on a non-leaf (PyTorch's message).</exception>
    public Tensor SetRequiresGrad(bool requiresGrad = true)
    {
        Arena arena = Arena;
        if (!arena.IsLeaf(_slot))
        {
            if (requiresGrad) return this;
            throw new InvalidOperationException(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph " +
                "that doesn't require differentiation use var_no_grad = var.detach().");
        }
        if (requiresGrad)
        {
            if (arena.DTypeOf(_slot) != DType.Float32) throw new InvalidOperationException(FloatingPointOnlyMessage);
            arena.ThrowIfReadOnly(_slot, "made to require grad"); // an optimizer would then write the shared values
            arena.EnsureGradient(_slot);
        }
        else arena.SetRequiresGradFlag(_slot, false);
        return this;
    }

    /// <summary><c>retain_grad()</c>: keeps this non-leaf's gradient after backward so <see cref="Grad"/> returns it.</summary>
    /// <exception cref="InvalidOperationException">The tensor does not require grad (PyTorch's message), or it was made
    /// outside the innermost open arena scope (the tensor that will hold its gradient would be released before it).</exception>
    public void RetainGrad()
    {
        Arena arena = Arena;
        if (!arena.RequiresGrad(_slot))
            throw new InvalidOperationException("can't retain_grad on Tensor that has requires_grad=False");
        arena.RetainGradient(_slot);
    }

    /// <summary>Sets <see cref="Grad"/> to null (PyTorch's <c>zero_grad(set_to_none=True)</c>); the next
    /// backward writes the gradient afresh. Frees nothing: the buffer is reused.</summary>
    public void ZeroGrad()
    {
        Arena arena = Arena;
        arena.ClearGradient(_slot);
        arena.ForgetGraphGradient(_slot);
    }

    /// <summary><c>register_hook(hook)</c>: <paramref name="hook"/> runs each time backward computes this tensor's
    /// gradient, before it flows on (or into <see cref="Grad"/>), and may return a replacement. Hooks of one tensor run
    /// in registration order. While a live tensor has a hook, backward computes gradients as tensors (as with
    /// <c>createGraph</c>, under no-grad), which costs more than the fused pass.</summary>
    /// <returns>A handle whose <see cref="RemovableHandle.Remove"/> unregisters the hook.</returns>
    /// <exception cref="InvalidOperationException">The tensor does not require grad (PyTorch's message).</exception>
    public RemovableHandle RegisterHook(GradientHook hook)
    {
        Arena arena = Arena;
        if (!arena.RequiresGrad(_slot))
            throw new InvalidOperationException("cannot register a hook on a tensor that doesn't require gradient");
        return arena.AddHook(_slot, hook);
    }

    /// <summary>Computes the gradient of this scalar w.r.t. every leaf that requires grad and adds it to their
    /// <see cref="Grad"/>. <paramref name="gradient"/> (same shape) is required for non-scalar tensors.</summary>
    /// <param name="gradient">d(something)/d(this); null means 1 for a one-element tensor.</param>
    /// <param name="retainGraph">Keep the recorded graph for another backward pass; null means <paramref name="createGraph"/>.</param>
    /// <param name="createGraph">Record the backward pass itself, so that the gradients left in <see cref="Grad"/> are
    /// differentiable (higher-order derivatives). Without it backward runs the fused kernels and records nothing.</param>
    public void Backward(Tensor? gradient = null, bool? retainGraph = null, bool createGraph = false)
    {
        Arena arena = Arena;
        ReadOnlySpan<Tensor> roots = new(in this);
        ReadOnlySpan<Tensor> seeds = gradient is Tensor g ? new ReadOnlySpan<Tensor>(in g) : default;
        arena.Backward(roots, seeds, retainGraph ?? createGraph, createGraph);
    }

    /// <summary>PyTorch's refusal of requires_grad on an integer or boolean tensor.</summary>
    internal const string FloatingPointOnlyMessage = "only Tensors of floating point dtype can require gradients";

    /// <summary>Copies the values out, row-major, as floats (an Int32 or Bool tensor's values converted, as
    /// <c>t.float().tolist()</c>). Allocates (not for hot paths; see <see cref="CopyTo(Span{float})"/>).</summary>
    public float[] ToArray()
    {
        Arena arena = Arena;
        arena.ThrowIfCapturing(Capture.CaptureRefusal.HostRead, "ToArray()");
        var result = new float[arena.LengthOf(_slot)];
        CopyValues(arena, result);
        return result;
    }

    /// <summary>Copies the values, row-major, into the first <see cref="Count"/> elements of <paramref name="destination"/>
    /// (the rest is left as it was, as <see cref="Span{T}.CopyTo"/> does); Int32 and Bool values are converted to
    /// float. Allocates nothing.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="Count"/>.</exception>
    public void CopyTo(Span<float> destination)
    {
        Arena arena = Arena;
        arena.ThrowIfCapturing(Capture.CaptureRefusal.HostRead, "CopyTo(Span<float>)");
        ThrowIfShort(arena, destination.Length, nameof(destination));
        CopyValues(arena, destination);
    }

    /// <summary>Copies the values of an Int32 or Bool tensor (as 0 and 1), row-major, into the first <see cref="Count"/>
    /// elements of <paramref name="destination"/>. Allocates nothing.</summary>
    /// <exception cref="ArgumentException">The tensor is Float32 (convert it with <c>To(DType.Int32)</c>), or
    /// <paramref name="destination"/> is shorter than <see cref="Count"/>.</exception>
    public void CopyTo(Span<int> destination)
    {
        Arena arena = Arena;
        arena.ThrowIfCapturing(Capture.CaptureRefusal.HostRead, "CopyTo(Span<int>)");
        ThrowIfFloat(arena, "CopyTo(Span<int>)");
        ThrowIfShort(arena, destination.Length, nameof(destination));
        arena.IntValues(_slot).CopyTo(destination);
    }

    /// <summary>Copies the values of an Int32 or Bool tensor (as 0 and 1) out, row-major. Allocates (see
    /// <see cref="CopyTo(Span{int})"/>).</summary>
    /// <exception cref="ArgumentException">The tensor is Float32 (convert it with <c>To(DType.Int32)</c>).</exception>
    public int[] ToIntArray()
    {
        Arena arena = Arena;
        arena.ThrowIfCapturing(Capture.CaptureRefusal.HostRead, "ToIntArray()");
        ThrowIfFloat(arena, "ToIntArray()");
        return arena.IntValues(_slot).ToArray();
    }

    private void CopyValues(Arena arena, Span<float> destination)
    {
        if (arena.DTypeOf(_slot) == DType.Float32)
        {
            arena.Values(_slot).CopyTo(destination);
            return;
        }
        ReadOnlySpan<int> values = arena.IntValues(_slot);
        for (int i = 0; i < values.Length; i++) destination[i] = values[i];
    }

    private void ThrowIfShort(Arena arena, int length, string parameter)
    {
        if (length < arena.LengthOf(_slot))
            throw new ArgumentException(
                $"CopyTo expects a destination of at least {arena.LengthOf(_slot)} elements (shape {ShapeMath.Format(arena.ShapeOf(_slot))}), but it has {length}.",
                parameter);
    }

    private void ThrowIfFloat(Arena arena, string method)
    {
        if (arena.DTypeOf(_slot) == DType.Float32)
            throw new ArgumentException(
                $"{method} reads an Int32 or Bool tensor, but this one is Float32. Convert it first with To(DType.Int32), or read it as floats.");
    }

    /// <summary>The value of a one-element tensor (<c>item()</c>), as a float (an Int32 or Bool value converted).</summary>
    public float Item()
    {
        Arena arena = Arena;
        arena.ThrowIfCapturing(Capture.CaptureRefusal.HostRead, "Item()");
        if (arena.LengthOf(_slot) != 1)
            throw new InvalidOperationException(
                $"a Tensor with {arena.LengthOf(_slot)} elements cannot be converted to Scalar");
        return arena.DTypeOf(_slot) == DType.Float32 ? arena.Values(_slot)[0] : arena.IntValues(_slot)[0];
    }

    /// <summary>The values in place, row-major.</summary>
    /// <remarks>Writes bypass autograd and version tracking, like <c>t.data</c> in PyTorch. The span is valid until
    /// the tensor is released. It does not keep the arena alive: an arena that is never disposed can be finalized
    /// (freeing the memory) once nothing references it, so keep it reachable while the span is in use.</remarks>
    /// <exception cref="ArgumentException">The tensor is not Float32 (see <see cref="AsIntSpanUnsafely"/>).</exception>
    public Span<float> AsSpanUnsafely()
    {
        Arena arena = Arena;
        arena.ThrowIfCapturing(Capture.CaptureRefusal.HostRead, "AsSpanUnsafely()");
        arena.RequireFloat(_slot);
        return arena.Values(_slot);
    }

    /// <summary>The values of an Int32 or Bool tensor in place, row-major (a Bool element must stay 0 or 1). Unsafe as
    /// <see cref="AsSpanUnsafely"/> is.</summary>
    /// <exception cref="ArgumentException">The tensor is Float32.</exception>
    public Span<int> AsIntSpanUnsafely()
    {
        Arena arena = Arena;
        arena.ThrowIfCapturing(Capture.CaptureRefusal.HostRead, "AsIntSpanUnsafely()");
        ThrowIfFloat(arena, "AsIntSpanUnsafely()");
        return arena.IntValues(_slot);
    }

    /// <summary>Prints as PyTorch does: <c>tensor([1., 2.], requires_grad=True)</c>.</summary>
    public override string ToString()
    {
        if (_arena is null) return "Tensor(default)";
        Arena arena = Arena;
        string? suffix = null;
        int producer = arena.ProducerOf(_slot);
        if (producer >= 0) suffix = $", grad_fn=<{arena.GradFnNameOf(producer)}>";
        else if (arena.RequiresGrad(_slot)) suffix = ", requires_grad=True";
        DType dtype = arena.DTypeOf(_slot);
        return dtype == DType.Float32
            ? TensorFormatter.Format(arena.Values(_slot), arena.ShapeOf(_slot), suffix)
            : TensorFormatter.FormatIntegers(arena.IntValues(_slot), arena.ShapeOf(_slot), dtype == DType.Bool, suffix);
    }

    /// <summary>Whether both handles name the same tensor (not the same values).</summary>
    /// <remarks>There is deliberately no <c>==</c> operator: in PyTorch <c>a == b</c> compares values elementwise,
    /// and a C# <c>==</c> that compared handles would compile silently with a different meaning.</remarks>
    public bool Equals(Tensor other) => ReferenceEquals(_arena, other._arena) && _slot == other._slot && _generation == other._generation;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Tensor other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_slot, _generation);
}
