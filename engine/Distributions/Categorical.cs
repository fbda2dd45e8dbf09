using ArenaGrad.Memory;

namespace ArenaGrad.Distributions;

/// <summary>A categorical distribution over K classes per row of <c>logits [..., K]</c>
/// (<c>torch.distributions.Categorical(logits=logits)</c>); its batch shape is <c>logits.shape[:-1]</c>.</summary>
/// <remarks>
/// <para>A struct: making one allocates no managed memory, so a policy can build one per step. It holds tensor
/// handles, valid as long as the tensors are (a distribution made in <c>arena.Scope()</c> dies with the scope).</para>
/// <para>Built from the engine's differentiable ops, so gradients flow through <see cref="LogProb"/>,
/// <see cref="Entropy"/>, <see cref="Probs"/> and <see cref="Logits"/> exactly as through PyTorch's. The normalized
/// logits and the probabilities are computed once, at construction (PyTorch computes <c>probs</c> on first use).</para>
/// <para>Validation is PyTorch's <c>validate_args=True</c> (its default): NaN logits and actions outside
/// [0, K−1] throw <see cref="ArgumentException"/> with PyTorch's messages. One difference in wording: PyTorch's
/// repr of the distribution also lists <c>probs</c> once something has read them; here it names the logits only.</para>
/// </remarks>
public readonly struct Categorical
{
    private const string SupportLowerBound = "IntegerInterval(lower_bound=0, upper_bound=";

    /// <summary>Normalizes <paramref name="logits"/> (logits − logsumexp(logits, −1)) and computes the probabilities
    /// (softmax over the last dim), recording both for autograd.</summary>
    /// <exception cref="ArgumentException">Logits of rank 0 (<c>`logits` parameter must be at least
    /// one-dimensional.</c>) or holding NaN (PyTorch's <c>Expected parameter logits ... to satisfy the constraint
    /// IndependentConstraint(Real(), 1)</c>, printing the normalized logits); nothing is left in the arena.</exception>
    public Categorical(Tensor logits)
    {
        if (logits.Rank < 1) throw new ArgumentException("`logits` parameter must be at least one-dimensional.", nameof(logits));
        Arena arena = logits.Arena;
        arena.RequireFloat(logits.Slot);
        using OpTransaction op = arena.BeginOp(); // the normalized logits and the probabilities, or neither
        Tensor normalized = logits - logits.LogSumExp(-1, keepDim: true);
        // PyTorch checks the normalized logits, so an infinite logit (whose row becomes NaN) fails as well.
        if (Validation.AnyNaN(normalized))
            throw Validation.InvalidParameter("logits", normalized, Repr(normalized), "IndependentConstraint(Real(), 1)");
        Tensor probs = normalized.Softmax(-1);
        op.Commit();
        Logits = normalized;
        Probs = probs;
    }

    /// <summary>The normalized log-probabilities, logits − logsumexp(logits, −1) (<c>d.logits</c>), shape [..., K].</summary>
    public Tensor Logits { get; }

    /// <summary>The probabilities, softmax(logits, −1) (<c>d.probs</c>), shape [..., K].</summary>
    public Tensor Probs { get; }

    /// <summary>The number of classes K (<c>d._num_events</c>).</summary>
    public int NumEvents => Logits.Shape[^1];

    /// <summary>The batch shape, <c>logits.shape[:-1]</c>. Valid until the logits are released.</summary>
    public ReadOnlySpan<int> BatchShape => Logits.Shape[..^1];

    /// <summary>Draws one class per row with the arena's seeded generator (<c>d.sample()</c>): an Int32 tensor of the
    /// batch shape, ready for <c>Gather</c> (after <c>Unsqueeze(-1)</c>), <c>CrossEntropy</c> and
    /// <see cref="LogProb"/>. Inverse CDF: class i where u·Σp falls in [p₀+…+p_{i−1}, p₀+…+p_i), u uniform in [0, 1);
    /// a class of probability 0 is never drawn. Allocates no managed memory; never recorded for autograd.</summary>
    /// <exception cref="InvalidOperationException">K is 0, or a step is being captured (sampling draws from the
    /// generator, which a replay would not repeat).</exception>
    public Tensor Sample()
    {
        Tensor probs = Probs;
        Arena arena = probs.Arena;
        int slot = probs.Slot;
        ReadOnlySpan<int> shape = arena.ShapeOf(slot);
        int k = shape[^1];
        if (k == 0) throw new InvalidOperationException("invalid multinomial distribution (sum of probabilities <= 0)"); // torch.multinomial's message for no classes
        Span<int> batch = stackalloc int[shape.Length - 1];
        shape[..^1].CopyTo(batch);
        int rows = arena.LengthOf(slot) / k;
        using OpTransaction op = arena.BeginOp(); // the draws and the actions, or neither
        Tensor uniforms = arena.Rand([rows]);
        Tensor actions = arena.Zeros(batch, DType.Int32);
        ReadOnlySpan<float> p = arena.Values(slot), u = arena.Values(uniforms.Slot);
        Span<int> chosen = arena.IntValues(actions.Slot);
        for (int r = 0; r < rows; r++) chosen[r] = Draw(p.Slice(r * k, k), u[r]);
        return op.Commit(actions);
    }

    /// <summary>The class whose cumulative-probability interval holds <paramref name="u"/>·Σp. Rounding can leave
    /// the scaled draw at or past the last sum; then the last class of positive probability.</summary>
    private static int Draw(ReadOnlySpan<float> p, float u)
    {
        double total = 0;
        foreach (float v in p) total += v;
        double target = u * total, cumulative = 0;
        int lastPositive = 0;
        for (int i = 0; i < p.Length; i++)
        {
            if (!(p[i] > 0f)) continue;
            cumulative += p[i];
            lastPositive = i;
            if (target < cumulative) return i;
        }
        return lastPositive;
    }

    /// <summary>log p(actions) = logits[..., actions] (<c>d.log_prob(value)</c>): actions broadcast with the batch
    /// shape, the result has the broadcast shape, and the gradient flows to the logits (through their
    /// normalization). Actions are Int32 (as <see cref="Sample"/> gives) or whole numbers in a Float32 tensor.</summary>
    /// <exception cref="ArgumentException">Actions whose shape does not broadcast with the batch shape, or outside
    /// {0, ..., K−1} (PyTorch's messages); nothing is left in the arena.</exception>
    public Tensor LogProb(Tensor actions)
    {
        Tensor logits = Logits;
        Arena arena = logits.Arena;
        ReadOnlySpan<int> logitsShape = logits.Shape;
        int k = logitsShape[^1];
        Span<int> batch = stackalloc int[logitsShape.Length - 1];
        logitsShape[..^1].CopyTo(batch);
        Validation.CheckBroadcastable(actions.Shape, batch, nameof(actions));
        if (!InSupport(actions, k)) throw Validation.OutsideSupport(actions, SupportLowerBound + (k - 1) + ")", Repr(logits), nameof(actions));

        Span<int> outShape = stackalloc int[TensorLayout.MaxRank + 1];
        int rank = Validation.Broadcast(actions.Shape, batch, outShape);
        outShape[rank] = k;
        using OpTransaction op = arena.BeginOp(); // the expanded operands, the gather and its views, or nothing
        Tensor index = actions.DType == DType.Int32 ? actions : actions.To(DType.Int32);
        index = Validation.ExpandTo(index, outShape[..rank]);
        Tensor logPmf = Validation.ExpandTo(logits, outShape[..(rank + 1)]);
        return op.Commit(logPmf.Gather(-1, index.Unsqueeze(-1)).Squeeze(-1));
    }

    private static bool InSupport(Tensor actions, int k)
    {
        Arena arena = actions.Arena;
        int slot = actions.Slot;
        if (arena.DTypeOf(slot) == DType.Float32)
        {
            foreach (float v in arena.Values(slot))
                if (!(v >= 0f && v <= k - 1 && v == MathF.Floor(v))) return false; // (value % 1 == 0) & (0 <= value <= K-1)
            return true;
        }
        foreach (int v in arena.IntValues(slot)) if ((uint)v >= (uint)k) return false;
        return true;
    }

    /// <summary>H = −Σ p·log p over the last dim (<c>d.entropy()</c>), with the log-probabilities clamped to the
    /// lowest finite float first, as PyTorch does, so a class of probability 0 (a logit of −∞) adds 0, not NaN.
    /// Shape: the batch shape.</summary>
    public Tensor Entropy()
    {
        Tensor logits = Logits;
        using OpTransaction op = logits.Arena.BeginOp();
        Tensor pLogP = logits.Clamp(float.MinValue, float.MaxValue) * Probs;
        return op.Commit(-pLogP.Sum(-1));
    }

    /// <summary>The most likely class, <c>probs.argmax(-1)</c> (<c>d.mode</c>): an Int32 tensor of the batch shape;
    /// the first of equal maxima.</summary>
    public Tensor Mode => Probs.ArgMax(-1);

    /// <summary>NaN of the batch shape, as PyTorch's <c>d.mean</c> (a categorical has no mean over class labels).</summary>
    public Tensor Mean => NaNOfBatchShape();

    /// <summary>NaN of the batch shape, as PyTorch's <c>d.stddev</c>.</summary>
    public Tensor Stddev => NaNOfBatchShape();

    private Tensor NaNOfBatchShape()
    {
        Tensor logits = Logits;
        ReadOnlySpan<int> shape = logits.Shape;
        Span<int> batch = stackalloc int[shape.Length - 1];
        shape[..^1].CopyTo(batch);
        return logits.Arena.Full(batch, float.NaN);
    }

    /// <summary><c>Categorical(logits: torch.Size([2, 3]))</c>, as PyTorch's repr.</summary>
    public override string ToString() => Repr(Logits);

    private static string Repr(Tensor logits) => $"Categorical(logits: {Validation.ParameterRepr(logits)})";
}
