namespace ArenaGrad.Nn;

/// <summary>The output projection of <see cref="MultiheadAttention"/> (<c>out_proj</c>): a <see cref="Linear"/> that
/// PyTorch names <c>NonDynamicallyQuantizableLinear</c> (so its repr says so), with its bias zeroed.</summary>
public sealed class NonDynamicallyQuantizableLinear : Linear
{
    /// <summary>Makes W and b as <see cref="Linear"/> does, then zeroes b, as <c>MultiheadAttention._reset_parameters</c>
    /// does: b is drawn first, so the generator advances as PyTorch's does (Linear's init, then constant_(0)).</summary>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    internal NonDynamicallyQuantizableLinear(Arena arena, int inFeatures, int outFeatures, bool bias)
        : base(arena, inFeatures, outFeatures, bias)
    {
        if (Bias is Tensor b) b.AsSpanUnsafely().Clear();
    }
}
