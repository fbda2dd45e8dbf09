namespace ArenaGrad.Nn;

/// <summary>
/// One Transformer encoder layer (<c>nn.TransformerEncoderLayer</c> of PyTorch 1.13, relu activation): self-attention
/// and a feed-forward block linear2(dropout(relu(linear1(x)))), each with dropout and a residual connection, and a
/// LayerNorm after each (post-norm, the default) or before each (<c>normFirst</c>, pre-norm).
/// </summary>
/// <remarks>
/// <para>Children, in PyTorch's order and names: <c>self_attn</c>, <c>linear1</c>, <c>dropout</c>, <c>linear2</c>,
/// <c>norm1</c>, <c>norm2</c>, <c>dropout1</c>, <c>dropout2</c>; state dicts load as they are.</para>
/// <para><b>batchFirst is true by default here</b> (PyTorch's default is false). Dropout in training mode draws from
/// the arena's seeded generator, so it cannot match PyTorch's random stream; <c>Eval()</c> (or dropout 0) matches
/// PyTorch's numbers.</para>
/// </remarks>
public sealed class TransformerEncoderLayer : Module
{
    /// <summary>Makes the layer's parameters in <paramref name="arena"/> outside any scope, in PyTorch's order
    /// (self_attn, linear1, linear2, norm1, norm2); LayerNorm eps is 1e-5 as PyTorch's default.</summary>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    /// <exception cref="ArgumentException">dModel not divisible by nHead (PyTorch's message), or a bad size.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dropout"/> outside [0, 1] (PyTorch's message).</exception>
    public TransformerEncoderLayer(Arena arena, int dModel, int nHead, int dimFeedforward = 2048, float dropout = 0.1f,
        bool batchFirst = true, bool normFirst = false)
    {
        ThrowIfScopeOpen(arena, nameof(TransformerEncoderLayer));
        if (!(dropout >= 0f && dropout <= 1f))
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout,
                $"dropout probability has to be between 0 and 1, but got {PythonFloat.Repr(dropout)}");
        NormFirst = normFirst;
        using OpTransaction op = arena.BeginOp(); // every parameter, or none
        SelfAttn = RegisterModule("self_attn", new MultiheadAttention(arena, dModel, nHead, bias: true, batchFirst: batchFirst));
        Linear1 = RegisterModule("linear1", new Linear(arena, dModel, dimFeedforward));
        Dropout = RegisterModule("dropout", new Dropout(dropout));
        Linear2 = RegisterModule("linear2", new Linear(arena, dimFeedforward, dModel));
        Norm1 = RegisterModule("norm1", new LayerNorm(arena, [dModel]));
        Norm2 = RegisterModule("norm2", new LayerNorm(arena, [dModel]));
        Dropout1 = RegisterModule("dropout1", new Dropout(dropout));
        Dropout2 = RegisterModule("dropout2", new Dropout(dropout));
        op.Commit();
    }

    /// <summary>Whether the LayerNorms come before each block (pre-norm) rather than after the residual (post-norm).</summary>
    public bool NormFirst { get; }

    /// <summary>The self-attention (<c>self_attn</c>).</summary>
    public MultiheadAttention SelfAttn { get; }

    /// <summary>The feed-forward block's first projection, dModel → dimFeedforward (<c>linear1</c>).</summary>
    public Linear Linear1 { get; }

    /// <summary>The dropout between the feed-forward projections (<c>dropout</c>).</summary>
    public Dropout Dropout { get; }

    /// <summary>The feed-forward block's second projection, dimFeedforward → dModel (<c>linear2</c>).</summary>
    public Linear Linear2 { get; }

    /// <summary>The LayerNorm of the attention block (<c>norm1</c>).</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>The LayerNorm of the feed-forward block (<c>norm2</c>).</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>The dropout on the attention block's output (<c>dropout1</c>).</summary>
    public Dropout Dropout1 { get; }

    /// <summary>The dropout on the feed-forward block's output (<c>dropout2</c>).</summary>
    public Dropout Dropout2 { get; }

    /// <summary>The layer without masks: <c>Forward(src, null, null)</c>.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null, null);

    /// <summary>Post-norm: x = norm1(x + sa(x)); x = norm2(x + ff(x)). Pre-norm: x = x + sa(norm1(x)); x = x + ff(norm2(x)).
    /// sa is self-attention with <paramref name="srcMask"/> as its attnMask and <paramref name="srcKeyPaddingMask"/> as its
    /// keyPaddingMask (MultiheadAttention's conventions: Bool true = ignore), then dropout1; ff is
    /// dropout2(linear2(dropout(relu(linear1(x))))).</summary>
    /// <param name="src">[N, S, E] with batchFirst ([S, N, E] without), or [S, E].</param>
    /// <param name="srcMask">[S, S] or [N·H, S, S]: Bool (true = not allowed) or Float32 (added).</param>
    /// <param name="srcKeyPaddingMask">[N, S] ([S] unbatched): Bool (true = padding) or Float32 (added).</param>
    /// <exception cref="ArgumentException">Wrong shapes or mask dtypes (PyTorch 1.13's messages).</exception>
    public Tensor Forward(Tensor src, Tensor? srcMask, Tensor? srcKeyPaddingMask = null)
    {
        Arena arena = src.Arena;
        using OpTransaction op = arena.BeginOp(); // every intermediate and the result, or nothing
        Tensor x = src;
        if (NormFirst)
        {
            x = x + SelfAttentionBlock(Norm1.Call(x), srcMask, srcKeyPaddingMask);
            x = x + FeedForwardBlock(Norm2.Call(x));
        }
        else
        {
            x = Norm1.Call(x + SelfAttentionBlock(x, srcMask, srcKeyPaddingMask));
            x = Norm2.Call(x + FeedForwardBlock(x));
        }
        return op.Commit(x);
    }

    private Tensor SelfAttentionBlock(Tensor x, Tensor? attnMask, Tensor? keyPaddingMask) =>
        Dropout1.Call(SelfAttn.Forward(x, x, x, keyPaddingMask, attnMask, needWeights: false).Output);

    private Tensor FeedForwardBlock(Tensor x) => Dropout2.Call(Linear2.Call(Dropout.Call(Linear1.Call(x).Relu())));

    /// <inheritdoc/>
    protected override string ExtraRepr() => "";
}
