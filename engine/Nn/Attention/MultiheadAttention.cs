using System.Globalization;
using ArenaGrad.Memory;

namespace ArenaGrad.Nn;

/// <summary>
/// Multi-head attention (<c>nn.MultiheadAttention</c> of PyTorch 1.13, kdim = vdim = embedDim, no dropout):
/// q, k, v = the input projections of query, key and value (<c>in_proj_weight</c> [3E, E], <c>in_proj_bias</c> [3E]),
/// split into <see cref="NumHeads"/> heads of E/H; each head computes softmax(q·kᵀ/√(E/H) + mask)·v; the heads are
/// joined and projected by <c>out_proj</c>.
/// </summary>
/// <remarks>
/// <para><b><see cref="BatchFirst"/> is true by default here</b> (PyTorch's default is false): inputs are
/// [N, L, E] unless constructed with <c>batchFirst: false</c> ([L, N, E]). Unbatched inputs ([L, E]) work either way.</para>
/// <para>Masks follow PyTorch 1.13's MultiheadAttention, where a Bool <b>true means "ignore"</b> (the opposite of
/// <see cref="Functional.ScaledDotProductAttention"/>'s): <c>keyPaddingMask</c> [N, S] (Bool: true = that key is padding;
/// or Float32, added), <c>attnMask</c> [L, S] or [N·H, L, S] (Bool: true = not allowed; or Float32, added). A query
/// whose keys are all masked gets NaN, as in PyTorch 1.13's path with gradients.</para>
/// </remarks>
public sealed class MultiheadAttention : Module
{
    /// <summary>Makes the parameters in <paramref name="arena"/> outside any scope, in PyTorch's order: <c>out_proj</c> as
    /// a Linear (its bias then zeroed), then <c>in_proj_weight</c> by xavier_uniform_, <c>in_proj_bias</c> zeros.</summary>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    /// <exception cref="ArgumentException">embedDim is not divisible by numHeads, or a size is not positive (PyTorch's message).</exception>
    public MultiheadAttention(Arena arena, int embedDim, int numHeads, bool bias = true, bool batchFirst = true)
    {
        ThrowIfScopeOpen(arena, nameof(MultiheadAttention));
        if (numHeads <= 0)
            throw new ArgumentException($"num_heads must be positive, but got {numHeads}", nameof(numHeads));
        if (embedDim <= 0)
            throw new ArgumentException($"embed_dim must be positive, but got {embedDim}", nameof(embedDim));
        if (embedDim / numHeads * numHeads != embedDim)
            throw new ArgumentException("embed_dim must be divisible by num_heads", nameof(numHeads));
        EmbedDim = embedDim;
        NumHeads = numHeads;
        HeadDim = embedDim / numHeads;
        BatchFirst = batchFirst;
        using OpTransaction op = arena.BeginOp(); // every parameter, or none
        var outProj = new NonDynamicallyQuantizableLinear(arena, embedDim, embedDim, bias);
        // xavier_uniform_: U(±gain·√(6 / (fan_in + fan_out))), fan_in = E, fan_out = 3E
        float bound = (float)(1.0 * Math.Sqrt(6.0 / (embedDim + 3.0 * embedDim)));
        InProjWeight = RegisterParameter("in_proj_weight", arena.Uniform([3 * embedDim, embedDim], -bound, bound, requiresGrad: true));
        if (bias) InProjBias = RegisterParameter("in_proj_bias", arena.Zeros([3 * embedDim], requiresGrad: true));
        OutProj = RegisterModule("out_proj", outProj);
        op.Commit();
    }

    /// <summary>E, the model's width.</summary>
    public int EmbedDim { get; }

    /// <summary>H, the number of heads.</summary>
    public int NumHeads { get; }

    /// <summary>E / H, each head's width.</summary>
    public int HeadDim { get; }

    /// <summary>Whether batched inputs are [N, L, E] (true, this library's default) or [L, N, E] (false, PyTorch's default).</summary>
    public bool BatchFirst { get; }

    /// <summary>The stacked q, k, v projections, [3E, E] (<c>in_proj_weight</c>).</summary>
    public Tensor InProjWeight { get; }

    /// <summary>Their biases, [3E] (<c>in_proj_bias</c>), or null when made with <c>bias: false</c>.</summary>
    public Tensor? InProjBias { get; }

    /// <summary>The output projection (<c>out_proj.weight</c>, <c>out_proj.bias</c>).</summary>
    public NonDynamicallyQuantizableLinear OutProj { get; }

    /// <summary>Self-attention: <c>Forward(input, input, input, needWeights: false).Output</c>.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, input, input, needWeights: false).Output;

    /// <summary>Attention of <paramref name="query"/> ([N, L, E], or [L, N, E] without batchFirst, or [L, E]) over
    /// <paramref name="key"/> and <paramref name="value"/> ([N, S, E] likewise). Returns the output (the query's shape) and,
    /// when <paramref name="needWeights"/>, the attention weights averaged over heads, [N, L, S] ([L, S] unbatched).</summary>
    /// <param name="query">The queries.</param>
    /// <param name="key">The keys.</param>
    /// <param name="value">The values (same shape as the keys).</param>
    /// <param name="keyPaddingMask">[N, S] ([S] unbatched): Bool, true = that key is ignored; or Float32, added to the scores.</param>
    /// <param name="attnMask">[L, S] or [N·H, L, S]: Bool, true = not allowed; or Float32, added to the scores.</param>
    /// <param name="needWeights">Whether to return the head-averaged attention weights.</param>
    /// <exception cref="ArgumentException">Wrong ranks, sizes or mask dtypes (PyTorch 1.13's messages).</exception>
    public (Tensor Output, Tensor? Weights) Forward(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask = null,
        Tensor? attnMask = null, bool needWeights = true)
    {
        Arena arena = query.Arena;
        arena.OwnSlot(key);
        arena.OwnSlot(value);
        if (keyPaddingMask is Tensor kpmOwn) arena.OwnSlot(kpmOwn);
        if (attnMask is Tensor maskOwn) arena.OwnSlot(maskOwn);
        bool batched = ShapeCheck(query, key, value, keyPaddingMask, attnMask);
        int batchDim = BatchFirst ? 0 : 1, seqDim = 1 - batchDim;
        // Sizes as PyTorch names them after its unsqueeze / transpose to [L, N, E].
        int l = batched ? query.Shape[seqDim] : query.Shape[0];
        int n = batched ? query.Shape[batchDim] : 1;
        int e = query.Shape[^1];
        int s = batched ? key.Shape[seqDim] : key.Shape[0];
        int keyBatch = batched ? key.Shape[batchDim] : 1;
        if (keyPaddingMask is Tensor kpmType && kpmType.DType != DType.Bool && kpmType.DType != DType.Float32)
            throw new ArgumentException("only bool and floating types of key_padding_mask are supported", nameof(keyPaddingMask));
        if (e != EmbedDim)
            throw new ArgumentException($"was expecting embedding dimension of {EmbedDim}, but got {e}", nameof(query));
        if (!key.Shape.SequenceEqual(value.Shape))
            throw new ArgumentException($"key shape {SeqFirstSize(key, batched)} does not match value shape {SeqFirstSize(value, batched)}", nameof(value));
        if (keyBatch != n)
            throw new ArgumentException(
                $"shape '[{s}, {n * NumHeads}, {HeadDim}]' is invalid for input of size {(long)s * keyBatch * e}", nameof(key));
        if (attnMask is Tensor mask)
        {
            if (mask.DType != DType.Bool && mask.DType != DType.Float32)
                throw new ArgumentException($"Only float, byte, and bool types are supported for attn_mask, not torch.int32", nameof(attnMask));
            ReadOnlySpan<int> m = mask.Shape;
            if (m.Length == 2 && (m[0] != l || m[1] != s))
                throw new ArgumentException($"The shape of the 2D attn_mask is {TorchSize(m)}, but should be ({l}, {s}).", nameof(attnMask));
            if (m.Length == 3 && (m[0] != n * NumHeads || m[1] != l || m[2] != s))
                throw new ArgumentException($"The shape of the 3D attn_mask is {TorchSize(m)}, but should be ({n * NumHeads}, {l}, {s}).", nameof(attnMask));
        }
        if (keyPaddingMask is Tensor kpm)
        {
            ReadOnlySpan<int> k = kpm.Shape;
            if (batched ? k[0] != n || k[1] != s : k[0] != s)
                throw new ArgumentException(
                    $"expecting key_padding_mask shape of ({n}, {s}), but got {(batched ? TorchSize(k) : $"torch.Size([1, {k[0]}])")}", nameof(keyPaddingMask));
        }

        using OpTransaction op = arena.BeginOp(); // every intermediate and the results, or nothing
        int unbatchedDim = BatchFirst ? 0 : 1; // where PyTorch's unsqueeze puts the batch of one, in this layout
        if (!batched)
        {
            bool self = query.Equals(key) && key.Equals(value);
            query = query.Unsqueeze(unbatchedDim);
            key = self ? query : key.Unsqueeze(unbatchedDim);
            value = self ? query : value.Unsqueeze(unbatchedDim);
        }
        InProjection(query, key, value, out Tensor q, out Tensor kp, out Tensor vp);
        q = ToHeads(q, l, n);
        kp = ToHeads(kp, s, n);
        vp = ToHeads(vp, s, n);
        // q/√d first, then + mask (PyTorch 1.13's baddbmm(mask, q_scaled, kᵀ)); a Bool mask's true gives −∞
        Tensor scores = (q / (float)Math.Sqrt(HeadDim)).MatMul(kp.Transpose(1, 2)); // [N·H, L, S]
        if (attnMask is Tensor am)
            scores = am.DType == DType.Bool ? scores.MaskedFill(am, float.NegativeInfinity) : scores + am;
        if (keyPaddingMask is Tensor pm)
        {
            Tensor byHead = scores.Reshape(n, NumHeads, l, s), padding = pm.Reshape(n, 1, 1, s);
            byHead = pm.DType == DType.Bool ? byHead.MaskedFill(padding, float.NegativeInfinity) : byHead + padding;
            scores = byHead.Reshape(n * NumHeads, l, s);
        }
        Tensor weights = scores.Softmax(-1);
        Tensor output = OutProj.Forward(FromHeads(weights.MatMul(vp), l, n));
        Tensor? averaged = needWeights ? weights.Reshape(n, NumHeads, l, s).Sum(1) / NumHeads : null;
        if (!batched)
        {
            output = output.Squeeze(unbatchedDim);
            if (averaged is Tensor a) averaged = a.Squeeze(0);
        }
        // both results belong to the transaction: commit the output, the weights were made before it
        return (op.Commit(output), averaged);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => "";

    /// <summary>q, k, v projections: one Linear over [3E, E] for self-attention (query, key and value the same tensor),
    /// else the three row blocks of in_proj_weight (and in_proj_bias) applied to each.</summary>
    private void InProjection(Tensor query, Tensor key, Tensor value, out Tensor q, out Tensor k, out Tensor v)
    {
        int e = EmbedDim;
        if (query.Equals(key) && key.Equals(value))
        {
            Tensor packed = Functional.Linear(query, InProjWeight, InProjBias);
            q = packed.Narrow(-1, 0, e);
            k = packed.Narrow(-1, e, e);
            v = packed.Narrow(-1, 2 * e, e);
            return;
        }
        q = Functional.Linear(query, InProjWeight.Narrow(0, 0, e), InProjBias?.Narrow(0, 0, e));
        k = Functional.Linear(key, InProjWeight.Narrow(0, e, e), InProjBias?.Narrow(0, e, e));
        v = Functional.Linear(value, InProjWeight.Narrow(0, 2 * e, e), InProjBias?.Narrow(0, 2 * e, e));
    }

    // An array rather than the literal 0, 2, 1, 3: a constant params span compiles to RuntimeHelpers.CreateSpan, which
    // unoptimized (Debug) code runs as a call that allocates on every use.
    private static readonly int[] SwapHeadsAndLength = [0, 2, 1, 3];

    /// <summary>[N, len, E] (batch first; [len, N, E] otherwise) to [N·H, len, E/H], batch-major as PyTorch's view.</summary>
    private Tensor ToHeads(Tensor t, int length, int n) => BatchFirst
        ? t.Reshape(n, length, NumHeads, HeadDim).Permute(SwapHeadsAndLength).Reshape(n * NumHeads, length, HeadDim)
        : t.Reshape(length, n * NumHeads, HeadDim).Transpose(0, 1);

    /// <summary>[N·H, L, E/H] back to [N, L, E] (batch first) or [L, N, E].</summary>
    private Tensor FromHeads(Tensor t, int length, int n) => BatchFirst
        ? t.Reshape(n, NumHeads, length, HeadDim).Permute(SwapHeadsAndLength).Reshape(n, length, EmbedDim)
        : t.Transpose(0, 1).Reshape(length, n, EmbedDim);

    /// <summary>PyTorch 1.13's _mha_shape_check: whether the input is batched, or its message.</summary>
    private bool ShapeCheck(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask, Tensor? attnMask)
    {
        if (query.Rank == 3)
        {
            if (key.Rank != 3 || value.Rank != 3)
                throw new ArgumentException(
                    $"For batched (3-D) `query`, expected `key` and `value` to be 3-D but found {key.Rank}-D and {value.Rank}-D tensors respectively");
            if (keyPaddingMask is Tensor kpm && kpm.Rank != 2)
                throw new ArgumentException(
                    $"For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but found {kpm.Rank}-D tensor instead", nameof(keyPaddingMask));
            if (attnMask is Tensor mask && mask.Rank is not (2 or 3))
                throw new ArgumentException(
                    $"For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found {mask.Rank}-D tensor instead", nameof(attnMask));
            return true;
        }
        if (query.Rank == 2)
        {
            if (key.Rank != 2 || value.Rank != 2)
                throw new ArgumentException(
                    $"For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found {key.Rank}-D and {value.Rank}-D tensors respectively");
            if (keyPaddingMask is Tensor kpm && kpm.Rank != 1)
                throw new ArgumentException(
                    $"For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but found {kpm.Rank}-D tensor instead", nameof(keyPaddingMask));
            if (attnMask is Tensor mask)
            {
                if (mask.Rank is not (2 or 3))
                    throw new ArgumentException(
                        $"For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found {mask.Rank}-D tensor instead", nameof(attnMask));
                if (mask.Rank == 3 && (mask.Shape[0] != NumHeads || mask.Shape[1] != query.Shape[0] || mask.Shape[2] != key.Shape[0]))
                    throw new ArgumentException(
                        $"Expected `attn_mask` shape to be ({NumHeads}, {query.Shape[0]}, {key.Shape[0]}) but got {TorchSize(mask.Shape)}", nameof(attnMask));
            }
            return false;
        }
        throw new ArgumentException($"query should be unbatched 2D or batched 3D tensor but received {query.Rank}-D query tensor", nameof(query));
    }

    /// <summary>A shape as PyTorch 1.13 prints it after moving the batch to dim 1 (or adding it).</summary>
    private string SeqFirstSize(Tensor t, bool batched)
    {
        ReadOnlySpan<int> shape = t.Shape;
        if (!batched) return $"torch.Size([{shape[0]}, 1, {shape[1]}])";
        return BatchFirst ? $"torch.Size([{shape[1]}, {shape[0]}, {shape[2]}])" : TorchSize(shape);
    }

    /// <summary><c>torch.Size([2, 3])</c></summary>
    internal static string TorchSize(ReadOnlySpan<int> shape)
    {
        var text = new System.Text.StringBuilder("torch.Size([");
        for (int i = 0; i < shape.Length; i++) text.Append(i == 0 ? "" : ", ").Append(shape[i].ToString(CultureInfo.InvariantCulture));
        return text.Append("])").ToString();
    }
}
