namespace ArenaGrad.Nn;

/// <summary>Merges dims <see cref="StartDim"/>..<see cref="EndDim"/> into one (<c>nn.Flatten(start_dim=1, end_dim=-1)</c>):
/// [N, C, H, W] becomes [N, C·H·W]. A reshape: it shares the input's values.</summary>
/// <param name="startDim">First dim to merge (default 1: keep the batch dim).</param>
/// <param name="endDim">Last dim to merge (default -1: the last).</param>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <summary>First dim merged.</summary>
    public int StartDim { get; } = startDim;

    /// <summary>Last dim merged.</summary>
    public int EndDim { get; } = endDim;

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">A dim out of range (PyTorch's message).</exception>
    /// <exception cref="ArgumentException"><see cref="StartDim"/> comes after <see cref="EndDim"/>.</exception>
    public override Tensor Forward(Tensor input)
    {
        ReadOnlySpan<int> shape = input.Shape;
        int start = ShapeMath.NormalizeDim(StartDim, shape.Length), end = ShapeMath.NormalizeDim(EndDim, shape.Length);
        if (start > end) throw new ArgumentException("flatten() has invalid args: start_dim cannot come after end_dim");
        if (shape.Length == 0) return input.Reshape(1);
        if (start == end) return input;
        Span<int> flat = stackalloc int[shape.Length - (end - start)];
        int merged = 1;
        for (int d = start; d <= end; d++) merged *= shape[d];
        shape[..start].CopyTo(flat);
        flat[start] = merged;
        shape[(end + 1)..].CopyTo(flat[(start + 1)..]);
        return input.Reshape(flat);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => FormattableString.Invariant($"start_dim={StartDim}, end_dim={EndDim}");
}
