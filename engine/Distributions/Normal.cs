using ArenaGrad.Capture;
using ArenaGrad.Memory;

namespace ArenaGrad.Distributions;

/// <summary>The normal distribution N(loc, scale²) (<c>torch.distributions.Normal(loc, scale)</c>), elementwise over
/// the broadcast shape of <c>loc</c> and <c>scale</c> (its batch shape).</summary>
/// <remarks>
/// <para>A struct: making one allocates no managed memory. It holds tensor handles, valid as long as the tensors are.</para>
/// <para>Built from the engine's differentiable ops, so gradients flow through <see cref="LogProb"/>,
/// <see cref="Entropy"/> and <see cref="RSample()"/> exactly as through PyTorch's; <see cref="Sample"/> is not
/// differentiable. Validation is PyTorch's default (<c>validate_args=True</c>): NaN loc, a scale that is not
/// positive, or a NaN value given to <see cref="LogProb"/> throw <see cref="ArgumentException"/> with its messages.</para>
/// </remarks>
public readonly struct Normal
{
    private const float HalfLogTwoPi = 0.9189385332046727f; // math.log(math.sqrt(2 * math.pi)), rounded to float as torch does

    /// <summary>Broadcasts <paramref name="loc"/> and <paramref name="scale"/> to one shape (<c>broadcast_all</c>: a
    /// tensor already of that shape is kept as is, another is expanded, recorded for autograd) and validates them.</summary>
    /// <exception cref="ArgumentException">Shapes that do not broadcast (PyTorch's <c>The size of tensor a (2) must
    /// match the size of tensor b (3) at non-singleton dimension 0</c>), a NaN loc (constraint <c>Real()</c>) or a
    /// scale not &gt; 0 (constraint <c>GreaterThan(lower_bound=0.0)</c>), with PyTorch's messages; nothing is left in
    /// the arena.</exception>
    public Normal(Tensor loc, Tensor scale)
    {
        Arena arena = loc.Arena;
        arena.RequireFloat(loc.Slot);
        scale.Arena.RequireFloat(scale.Slot);
        if (!ReferenceEquals(arena, scale.Arena))
            throw new ArgumentException("Expected a tensor of this arena, but got one made by another arena.", nameof(scale));
        Span<int> shape = stackalloc int[TensorLayout.MaxRank];
        int rank = Validation.Broadcast(loc.Shape, scale.Shape, shape);
        using OpTransaction op = arena.BeginOp(); // the expanded parameters, or neither
        Tensor l = Validation.ExpandTo(loc, shape[..rank]), s = Validation.ExpandTo(scale, shape[..rank]);
        if (Validation.AnyNaN(l)) throw Validation.InvalidParameter("loc", l, Repr(l, s), "Real()");
        if (Validation.AnyNotPositive(s)) throw Validation.InvalidParameter("scale", s, Repr(l, s), "GreaterThan(lower_bound=0.0)");
        op.Commit();
        Loc = l;
        Scale = s;
    }

    /// <summary>The mean, broadcast to the batch shape (<c>d.loc</c>).</summary>
    public Tensor Loc { get; }

    /// <summary>The standard deviation, broadcast to the batch shape (<c>d.scale</c>).</summary>
    public Tensor Scale { get; }

    /// <summary><see cref="Loc"/> (<c>d.mean</c>).</summary>
    public Tensor Mean => Loc;

    /// <summary><see cref="Loc"/> (<c>d.mode</c>).</summary>
    public Tensor Mode => Loc;

    /// <summary><see cref="Scale"/> (<c>d.stddev</c>).</summary>
    public Tensor Stddev => Scale;

    /// <summary>scale² (<c>d.variance</c>, <c>stddev.pow(2)</c>): a new tensor on each call.</summary>
    public Tensor Variance => Scale.Pow(2f);

    /// <summary>The batch shape. Valid until the parameters are released.</summary>
    public ReadOnlySpan<int> BatchShape => Loc.Shape;

    /// <summary>One draw per element, loc + ε·scale with ε ~ N(0, 1) from the arena's seeded generator
    /// (<c>d.sample()</c>, <c>torch.normal(loc, scale)</c> under no_grad): a tensor of the batch shape that does not
    /// require grad. Allocates no managed memory.</summary>
    /// <exception cref="InvalidOperationException">A step is being captured (a replay would not draw again).</exception>
    public Tensor Sample()
    {
        Tensor loc = Loc, scale = Scale;
        Arena arena = loc.Arena;
        Tensor draws = arena.Randn(loc.Shape); // one leaf: ε, then overwritten with loc + ε·scale
        Span<float> x = arena.Values(draws.Slot);
        ReadOnlySpan<float> mu = arena.Values(loc.Slot), sigma = arena.Values(scale.Slot);
        for (int i = 0; i < x.Length; i++) x[i] = mu[i] + x[i] * sigma[i];
        return draws;
    }

    /// <summary>A reparameterized draw, loc + ε·scale with ε ~ N(0, 1) from the arena's seeded generator
    /// (<c>d.rsample()</c>): recorded for autograd, so d/dloc = 1 and d/dscale = ε. Allocates no managed memory.</summary>
    /// <exception cref="InvalidOperationException">A step is being captured (a replay would not draw again).</exception>
    public Tensor RSample()
    {
        Arena arena = Loc.Arena;
        arena.ThrowIfCapturing(CaptureRefusal.Random, "Normal.RSample()");
        using OpTransaction op = arena.BeginOp(); // ε and the result, or neither
        return op.Commit(RSample(arena.Randn(Loc.Shape)));
    }

    /// <summary>loc + eps·scale for a given standard-normal <paramref name="eps"/> of the batch shape (the
    /// reparameterization with a fixed ε; tests compare it with PyTorch's).</summary>
    internal Tensor RSample(Tensor eps) => Loc + eps * Scale;

    /// <summary>log N(value; loc, scale) = −(value − loc)² / (2·scale²) − log scale − log √(2π) (<c>d.log_prob(value)</c>),
    /// in PyTorch's order of operations; the value broadcasts with the batch shape, and gradients flow to loc, scale
    /// and the value.</summary>
    /// <exception cref="ArgumentException">A value whose shape does not broadcast with the batch shape, or holding
    /// NaN (support <c>Real()</c>), with PyTorch's messages; nothing is left in the arena.</exception>
    public Tensor LogProb(Tensor value)
    {
        Tensor loc = Loc, scale = Scale;
        Arena arena = loc.Arena;
        value.Arena.RequireFloat(value.Slot);
        Validation.CheckBroadcastable(value.Shape, loc.Shape, nameof(value));
        if (Validation.AnyNaN(value)) throw Validation.OutsideSupport(value, "Real()", Repr(loc, scale), nameof(value));
        using OpTransaction op = arena.BeginOp();
        Tensor variance = scale.Pow(2f);
        Tensor logScale = scale.Log();
        return op.Commit(-(value - loc).Pow(2f) / (2f * variance) - logScale - HalfLogTwoPi);
    }

    /// <summary>H = ½ + ½·log 2π + log scale (<c>d.entropy()</c>), of the batch shape; its gradient flows to scale.</summary>
    public Tensor Entropy()
    {
        Tensor scale = Scale;
        using OpTransaction op = scale.Arena.BeginOp();
        return op.Commit((float)(0.5 + 0.5 * Math.Log(2 * Math.PI)) + scale.Log());
    }

    /// <summary><c>Normal(loc: torch.Size([2]), scale: torch.Size([2]))</c>, as PyTorch's repr.</summary>
    public override string ToString() => Repr(Loc, Scale);

    private static string Repr(Tensor loc, Tensor scale) =>
        $"Normal(loc: {Validation.ParameterRepr(loc)}, scale: {Validation.ParameterRepr(scale)})";
}
