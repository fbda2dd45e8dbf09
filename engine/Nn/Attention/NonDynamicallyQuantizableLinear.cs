using System.Globalization;

namespace ArenaGrad.Nn;

/// <summary>The output projection of <see cref="MultiheadAttention"/> (<c>out_proj</c>): y = x·Wᵀ + b, an ordinary
/// linear layer that PyTorch names <c>NonDynamicallyQuantizableLinear</c> (so its repr says so).</summary>
public sealed class NonDynamicallyQuantizableLinear : Module
{
    /// <summary>Makes W and b as <see cref="Linear"/> does (kaiming_uniform_(a=√5) for W, then U(±1/√inFeatures) for b,
    /// from the arena's seeded generator) and then zeroes b, as <c>MultiheadAttention._reset_parameters</c> does.</summary>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    internal NonDynamicallyQuantizableLinear(Arena arena, int inFeatures, int outFeatures, bool bias)
    {
        ThrowIfScopeOpen(arena, nameof(MultiheadAttention));
        using OpTransaction op = arena.BeginOp(); // weight and bias, or neither
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        double gain = Math.Sqrt(2.0 / (1 + 5.0));
        float weightBound = inFeatures > 0 ? (float)(Math.Sqrt(3.0) * (gain / Math.Sqrt(inFeatures))) : 0f;
        float biasBound = inFeatures > 0 ? (float)(1 / Math.Sqrt(inFeatures)) : 0f;
        Weight = RegisterParameter("weight", arena.Uniform([outFeatures, inFeatures], -weightBound, weightBound, requiresGrad: true));
        if (bias)
        {
            // drawn, then zeroed: the generator advances as PyTorch's does (Linear's init, then constant_(0))
            Tensor b = arena.Uniform([outFeatures], -biasBound, biasBound, requiresGrad: true);
            b.AsSpanUnsafely().Clear();
            Bias = RegisterParameter("bias", b);
        }
        op.Commit();
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>W, shape [outFeatures, inFeatures] (<c>weight</c>).</summary>
    public Tensor Weight { get; }

    /// <summary>b, shape [outFeatures] (<c>bias</c>), or null without a bias.</summary>
    public Tensor? Bias { get; }

    /// <summary>x·Wᵀ + b (<c>F.linear</c>)</summary>
    public override Tensor Forward(Tensor input) => Functional.Linear(input, Weight, Bias);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        string.Create(CultureInfo.InvariantCulture, $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is null ? "False" : "True")}");
}
