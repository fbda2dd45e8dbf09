namespace ArenaGrad.Nn;

/// <summary>Zeroes each element with probability <see cref="P"/> and scales the rest by 1/(1−p) in training mode;
/// the identity in eval mode (<c>nn.Dropout(p)</c>, inverted dropout).</summary>
public sealed class Dropout : Module
{
    /// <summary>A dropout layer with drop probability <paramref name="p"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1] (PyTorch's message).</exception>
    public Dropout(float p = 0.5f)
    {
        if (!(p >= 0f && p <= 1f))
            throw new ArgumentOutOfRangeException(nameof(p), p, $"dropout probability has to be between 0 and 1, but got {PythonFloat.Repr(p)}");
        P = p;
    }

    /// <summary>The probability of zeroing an element.</summary>
    public float P { get; }

    /// <summary>Training mode: x · mask, mask[i] = 1/(1−p) with probability 1−p and 0 otherwise, drawn from the arena's
    /// seeded generator and made in the current scope (autograd sees an ordinary multiply: dx = mask · g).
    /// Eval mode, p = 0 or an empty input: the input itself.</summary>
    public override Tensor Forward(Tensor input)
    {
        if (!IsTraining || P == 0f || input.Count == 0) return input;
        if (P == 1f) return input * 0f; // as ATen: everything dropped, gradient zero
        Arena arena = input.Arena;
        double keep = 1 - PythonFloat.ToDouble(P);
        float keepProbability = (float)keep, scale = 1f / (float)keep; // noise.bernoulli_(1 - p).div_(1 - p)
        using OpTransaction op = arena.BeginOp(); // the mask and the product, or neither
        Tensor mask = arena.Rand(input.Shape);
        Span<float> values = mask.AsSpanUnsafely();
        for (int i = 0; i < values.Length; i++) values[i] = values[i] < keepProbability ? scale : 0f;
        return op.Commit(input * mask);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"p={PythonFloat.Repr(P)}, inplace=False";
}
