using System.Globalization;

namespace ArenaGrad.Nn;

/// <summary>y = x·Wᵀ + b (<c>nn.Linear</c>), for x [..., inFeatures], W [outFeatures, inFeatures], b [outFeatures].</summary>
public class Linear : Module
{
    /// <summary>Makes W and b in <paramref name="arena"/>, outside any scope, initialized as PyTorch does:
    /// W by <c>kaiming_uniform_(a=√5)</c>, which is U(−1/√inFeatures, 1/√inFeatures), then b by the same bound,
    /// both from the arena's seeded generator (weight first, then bias).</summary>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    /// <exception cref="ArgumentException">A negative size (PyTorch's message).</exception>
    public Linear(Arena arena, int inFeatures, int outFeatures, bool bias = true)
    {
        ThrowIfScopeOpen(arena, nameof(Linear));
        using OpTransaction op = arena.BeginOp(); // weight and bias, or neither
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        // PyTorch's arithmetic, in double: gain = √(2 / (1 + a²)), std = gain / √fan_in, bound = √3 · std.
        double gain = Math.Sqrt(2.0 / (1 + 5.0));
        float weightBound = inFeatures > 0 ? (float)(Math.Sqrt(3.0) * (gain / Math.Sqrt(inFeatures))) : 0f;
        float biasBound = inFeatures > 0 ? (float)(1 / Math.Sqrt(inFeatures)) : 0f;
        Weight = RegisterParameter("weight", arena.Uniform([outFeatures, inFeatures], -weightBound, weightBound, requiresGrad: true));
        if (bias) Bias = RegisterParameter("bias", arena.Uniform([outFeatures], -biasBound, biasBound, requiresGrad: true));
        op.Commit();
    }

    /// <summary>Input features (the last dim of the input).</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>W, shape [outFeatures, inFeatures] (<c>weight</c>).</summary>
    public Tensor Weight { get; }

    /// <summary>b, shape [outFeatures] (<c>bias</c>), or null when made with <c>bias: false</c>.</summary>
    public Tensor? Bias { get; }

    /// <summary>x·Wᵀ + b (<c>F.linear</c>)</summary>
    public override Tensor Forward(Tensor input) => Functional.Linear(input, Weight, Bias);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        string.Create(CultureInfo.InvariantCulture, $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is null ? "False" : "True")}");
}
