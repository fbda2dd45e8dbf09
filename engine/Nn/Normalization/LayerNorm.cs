using System.Globalization;

namespace ArenaGrad.Nn;

/// <summary>y = (x − E[x]) / √(Var[x] + eps) · weight + bias over the trailing dims <see cref="NormalizedShape"/>
/// (<c>nn.LayerNorm</c>), with the biased variance; the same in training and eval mode.</summary>
public sealed class LayerNorm : Module
{
    private readonly int[] _normalizedShape;

    /// <summary>Makes weight (ones) and bias (zeros), each of shape <paramref name="normalizedShape"/>, in
    /// <paramref name="arena"/> outside any scope, as PyTorch does; none when <paramref name="elementwiseAffine"/> is false.</summary>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    /// <exception cref="ArgumentException">A negative size in <paramref name="normalizedShape"/>.</exception>
    public LayerNorm(Arena arena, ReadOnlySpan<int> normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true)
    {
        ThrowIfScopeOpen(arena, nameof(LayerNorm));
        foreach (int size in normalizedShape)
            if (size < 0)
                throw new ArgumentException(
                    $"Trying to create tensor with negative dimension {size}: {ShapeText(normalizedShape, "[", "]")}", nameof(normalizedShape));
        _normalizedShape = normalizedShape.ToArray();
        Eps = eps;
        ElementwiseAffine = elementwiseAffine;
        if (!elementwiseAffine) return;
        using OpTransaction op = arena.BeginOp(); // weight and bias, or neither
        Weight = RegisterParameter("weight", arena.Ones(normalizedShape, requiresGrad: true));
        Bias = RegisterParameter("bias", arena.Zeros(normalizedShape, requiresGrad: true));
        op.Commit();
    }

    /// <summary>The sizes of the trailing dims normalized over.</summary>
    public ReadOnlySpan<int> NormalizedShape => _normalizedShape;

    /// <summary>Added to the variance before the square root.</summary>
    public float Eps { get; }

    /// <summary>Whether the layer has a weight and a bias.</summary>
    public bool ElementwiseAffine { get; }

    /// <summary>The scale, of shape <see cref="NormalizedShape"/> (<c>weight</c>), or null without an affine part.</summary>
    public Tensor? Weight { get; }

    /// <summary>The shift, of shape <see cref="NormalizedShape"/> (<c>bias</c>), or null without an affine part.</summary>
    public Tensor? Bias { get; }

    /// <summary>F.layer_norm(input, normalizedShape, weight, bias, eps)</summary>
    /// <exception cref="ArgumentException">The input's trailing sizes are not <see cref="NormalizedShape"/> (PyTorch's message).</exception>
    public override Tensor Forward(Tensor input) => Functional.LayerNorm(input, _normalizedShape, Weight, Bias, Eps);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{ShapeText(_normalizedShape, "(", _normalizedShape.Length == 1 ? ",)" : ")")}, eps={PythonFloat.Repr(Eps)}, elementwise_affine={(ElementwiseAffine ? "True" : "False")}";

    private static string ShapeText(ReadOnlySpan<int> shape, string open, string close)
    {
        var text = new System.Text.StringBuilder(open);
        for (int i = 0; i < shape.Length; i++) text.Append(i == 0 ? "" : ", ").Append(shape[i].ToString(CultureInfo.InvariantCulture));
        return text.Append(close).ToString();
    }
}
