using ArenaGrad.Memory;

namespace ArenaGrad.Distributions;

/// <summary>The Bernoulli distribution with P(1) = sigmoid(logits), elementwise over <c>logits</c>' shape (its
/// batch shape) (<c>torch.distributions.Bernoulli(logits=logits)</c>).</summary>
/// <remarks>
/// <para>A struct: making one allocates no managed memory. It holds tensor handles, valid as long as the tensors are.
/// The probabilities are computed once, at construction (PyTorch computes them on first use).</para>
/// <para>Built from the engine's differentiable ops, so gradients flow through <see cref="LogProb"/>,
/// <see cref="Entropy"/>, <see cref="Probs"/>, <see cref="Mean"/> and <see cref="Stddev"/> exactly as through
/// PyTorch's. Validation is PyTorch's default (<c>validate_args=True</c>): NaN logits, or a value that is not 0 or 1
/// given to <see cref="LogProb"/>, throw <see cref="ArgumentException"/> with its messages.</para>
/// </remarks>
public readonly struct Bernoulli
{
    /// <summary>Keeps <paramref name="logits"/> as they are (<c>d.logits</c>) and computes the probabilities,
    /// sigmoid(logits), recorded for autograd.</summary>
    /// <exception cref="ArgumentException">NaN logits (PyTorch's <c>Expected parameter logits ... to satisfy the
    /// constraint Real()</c>); nothing is left in the arena.</exception>
    public Bernoulli(Tensor logits)
    {
        Arena arena = logits.Arena;
        arena.RequireFloat(logits.Slot);
        if (Validation.AnyNaN(logits)) throw Validation.InvalidParameter("logits", logits, Repr(logits), "Real()");
        Logits = logits;
        Probs = logits.Sigmoid();
    }

    /// <summary>The log-odds as given (<c>d.logits</c>).</summary>
    public Tensor Logits { get; }

    /// <summary>P(1) = sigmoid(logits) (<c>d.probs</c>).</summary>
    public Tensor Probs { get; }

    /// <summary><see cref="Probs"/> (<c>d.mean</c>).</summary>
    public Tensor Mean => Probs;

    /// <summary>p·(1 − p) (<c>d.variance</c>): a new tensor on each call.</summary>
    public Tensor Variance => Probs * (1f - Probs);

    /// <summary>√(p·(1 − p)) (<c>d.stddev</c>): a new tensor on each call.</summary>
    public Tensor Stddev
    {
        get
        {
            using OpTransaction op = Logits.Arena.BeginOp();
            return op.Commit(Variance.Sqrt());
        }
    }

    /// <summary>The batch shape. Valid until the logits are released.</summary>
    public ReadOnlySpan<int> BatchShape => Logits.Shape;

    /// <summary>One draw per element from the arena's seeded generator (<c>d.sample()</c>, <c>torch.bernoulli(probs)</c>):
    /// a Float32 tensor of 0s and 1s of the batch shape, 1 where u &lt; p for u uniform in [0, 1). Does not require
    /// grad; allocates no managed memory.</summary>
    /// <exception cref="InvalidOperationException">A step is being captured (a replay would not draw again).</exception>
    public Tensor Sample()
    {
        Tensor probs = Probs;
        Arena arena = probs.Arena;
        Tensor draws = arena.Rand(probs.Shape); // one leaf: u, then overwritten with the outcome
        Span<float> x = arena.Values(draws.Slot);
        ReadOnlySpan<float> p = arena.Values(probs.Slot);
        for (int i = 0; i < x.Length; i++) x[i] = x[i] < p[i] ? 1f : 0f;
        return draws;
    }

    /// <summary>log P(value) = −binary_cross_entropy_with_logits(logits, value) (<c>d.log_prob(value)</c>), with the
    /// logits and the value broadcast to one shape first; the gradient flows to the logits (and to a value that
    /// requires grad). Values are Float32 0s and 1s, as <see cref="Sample"/> gives.</summary>
    /// <exception cref="ArgumentException">A value whose shape does not broadcast with the batch shape, or an element
    /// that is not 0 or 1 (support <c>Boolean()</c>), with PyTorch's messages; nothing is left in the arena.</exception>
    public Tensor LogProb(Tensor value)
    {
        Tensor logits = Logits;
        Arena arena = logits.Arena;
        value.Arena.RequireFloat(value.Slot);
        Validation.CheckBroadcastable(value.Shape, logits.Shape, nameof(value));
        foreach (float x in value.Arena.Values(value.Slot))
            if (x != 0f && x != 1f) throw Validation.OutsideSupport(value, "Boolean()", Repr(logits), nameof(value));
        Span<int> shape = stackalloc int[TensorLayout.MaxRank];
        int rank = Validation.Broadcast(logits.Shape, value.Shape, shape);
        using OpTransaction op = arena.BeginOp(); // the expanded operands and the loss, or nothing
        Tensor l = Validation.ExpandTo(logits, shape[..rank]), v = Validation.ExpandTo(value, shape[..rank]);
        return op.Commit(-Functional.BinaryCrossEntropyWithLogits(l, v, Reduction.None));
    }

    /// <summary>H = binary_cross_entropy_with_logits(logits, probs) (<c>d.entropy()</c>), of the batch shape; the
    /// gradient flows to the logits through both arguments, as in PyTorch.</summary>
    public Tensor Entropy() => Functional.BinaryCrossEntropyWithLogits(Logits, Probs, Reduction.None);

    /// <summary>1 where p &gt; ½, 0 where p &lt; ½ and NaN where p = ½ (<c>d.mode</c>): a new Float32 tensor of the batch
    /// shape that does not require grad.</summary>
    public Tensor Mode
    {
        get
        {
            Tensor probs = Probs;
            Arena arena = probs.Arena;
            Tensor mode = arena.Zeros(probs.Shape);
            Span<float> m = arena.Values(mode.Slot);
            ReadOnlySpan<float> p = arena.Values(probs.Slot);
            for (int i = 0; i < m.Length; i++) m[i] = p[i] == 0.5f ? float.NaN : p[i] > 0.5f ? 1f : 0f;
            return mode;
        }
    }

    /// <summary><c>Bernoulli(logits: torch.Size([3]))</c>, as PyTorch's repr.</summary>
    public override string ToString() => Repr(Logits);

    private static string Repr(Tensor logits) => $"Bernoulli(logits: {Validation.ParameterRepr(logits)})";
}
