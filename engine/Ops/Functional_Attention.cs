using ArenaGrad.Memory;

namespace ArenaGrad;

// Attention (issue 18): scaled dot-product attention composed of differentiable ops (matmul, masked_fill or add,
// softmax, matmul), so backward, double backward and captured replays come from those ops.
public static partial class Functional
{
    /// <summary>F.scaled_dot_product_attention (PyTorch 2.x; 1.13 has none): softmax(q·kᵀ/√E + bias)·v for q [..., L, E],
    /// k [..., S, E], v [..., S, Ev] (batch dims broadcast as in matmul), giving [..., L, Ev]. The bias comes from
    /// <paramref name="attnMask"/>: a Bool mask (broadcast to [..., L, S]) where <b>true means the key takes part</b>
    /// (false: −∞), or a Float32 mask added to the scores; <paramref name="isCausal"/> lets query i see keys j ≤ i only.</summary>
    /// <remarks>The formula of PyTorch 2.0's documentation (its math path). A query row whose keys are all masked
    /// softmaxes −∞ everywhere and gives NaN, as PyTorch's math path does; mask such rows yourself (or keep one key) if
    /// that can happen. No dropout: apply it to the inputs or output if needed.</remarks>
    /// <exception cref="ArgumentException"><paramref name="isCausal"/> with a mask, an input of rank below 2, a mask that
    /// is neither Bool nor Float32, or shapes that matmul or the mask's broadcast refuse (PyTorch's messages).</exception>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor? attnMask = null, bool isCausal = false)
    {
        Arena arena = q.Arena;
        arena.OwnSlot(k);
        arena.OwnSlot(v);
        if (attnMask is Tensor maskCheck)
        {
            arena.OwnSlot(maskCheck);
            if (isCausal)
                throw new ArgumentException("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True", nameof(attnMask));
            if (maskCheck.DType != DType.Bool && maskCheck.DType != DType.Float32)
                throw new ArgumentException(
                    $"Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: {TorchTypeName(maskCheck.DType)} and  query.dtype: float instead.",
                    nameof(attnMask));
        }
        foreach (Tensor t in (ReadOnlySpan<Tensor>)[q, k, v])
            if (t.Rank < 2)
                throw new ArgumentException(
                    $"Dimension out of range (expected to be in range of [{-Math.Max(t.Rank, 1)}, {Math.Max(t.Rank, 1) - 1}], but got -2)");
        int l = q.Shape[^2], s = k.Shape[^2], e = q.Shape[^1];
        float scale = (float)(1.0 / Math.Sqrt(e)); // PyTorch 2.0's scale_factor = 1 / math.sqrt(query.size(-1))
        using OpTransaction op = arena.BeginOp(); // every intermediate and the result, or nothing
        Tensor scores = q.MatMul(k.Transpose(-2, -1)) * scale;
        if (isCausal) scores = scores.MaskedFill(CausalMask(arena, l, s), float.NegativeInfinity);
        if (attnMask is Tensor mask)
            scores = mask.DType == DType.Bool ? scores.MaskedFill(mask.LogicalNot(), float.NegativeInfinity) : scores + mask;
        return op.Commit(scores.Softmax(-1).MatMul(v));
    }

    /// <summary>A Bool [l, s] mask, true above the diagonal (key j &gt; query i: not allowed), a constant made in the
    /// current scope (no op: a captured replay reuses it).</summary>
    internal static Tensor CausalMask(Arena arena, int l, int s)
    {
        Span<int> shape = stackalloc int[2];
        shape[0] = l;
        shape[1] = s;
        Tensor mask = arena.Full(shape, 0, DType.Bool);
        Span<int> values = arena.IntValues(mask.Slot);
        for (int i = 0; i < l; i++)
            for (int j = i + 1; j < s; j++) values[i * s + j] = 1;
        return mask;
    }

    private static string TorchTypeName(DType dtype) => dtype switch
    {
        DType.Float32 => "float",
        DType.Int32 => "int",
        _ => "bool",
    };
}
