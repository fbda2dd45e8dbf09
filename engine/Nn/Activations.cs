namespace ArenaGrad.Nn;

// Elementwise activations: each Forward is one line naming the tensor op (whose backward is in the rule table).

/// <summary>tanh x (<c>nn.Tanh</c>)</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Tanh();
}

/// <summary>max(x, 0) (<c>nn.ReLU</c>)</summary>
public sealed class Relu : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Relu();

    /// <inheritdoc/>
    protected override string TypeName => "ReLU";
}

/// <summary>1 / (1 + e⁻ˣ) (<c>nn.Sigmoid</c>)</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Sigmoid();
}

/// <summary>x &gt; 0 ? x : slope·x (<c>nn.LeakyReLU(negative_slope)</c>)</summary>
/// <param name="slope">The slope for negative inputs (PyTorch's <c>negative_slope</c>, default 0.01).</param>
public sealed class LeakyRelu(float slope = 0.01f) : Module
{
    /// <summary>The slope for negative inputs.</summary>
    public float Slope { get; } = slope;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LeakyRelu(Slope);

    /// <inheritdoc/>
    protected override string TypeName => "LeakyReLU";

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"negative_slope={PythonFloat.Repr(Slope)}";
}

/// <summary>exp(x) / Σ exp(x) along <see cref="Dim"/> (<c>nn.Softmax(dim)</c>)</summary>
/// <param name="dim">The dim that sums to 1 (negative counts from the end).</param>
public sealed class Softmax(int dim) : Module
{
    /// <summary>The dim that sums to 1.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Softmax(Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => FormattableString.Invariant($"dim={Dim}");
}
