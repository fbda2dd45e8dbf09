namespace ArenaGrad.Tests.Golden;

/// <summary>Golden/double/layers (make_double_layers.py) and Golden/double/norm (make_double_norm.py): the layer ops of
/// issue 18 in golden programs.</summary>
internal sealed class GoldenOps_Layers : IGoldenOps
{
    public Tensor? TryRun(string op, Tensor[] args, GoldenAttributes attrs) => op switch
    {
        "layer_norm" => Functional.LayerNorm(args[0], attrs.Ints("normalized_shape"), args.Length > 1 ? args[1] : null,
            args.Length > 2 ? args[2] : null, attrs.Float("eps")),
        "scaled_dot_product_attention" => Functional.ScaledDotProductAttention(args[0], args[1], args[2], args.Length > 3 ? args[3] : null,
            attrs.Bool("is_causal")),
        "batch_norm" => Functional.BatchNorm(args[0], null, null, args.Length > 1 ? args[1] : null, args.Length > 2 ? args[2] : null,
            attrs.Bool("training"), 0.1f, attrs.Float("eps")),
        "batch_norm_eval" => Functional.BatchNorm(args[0], args[1], args[2], args[3], args[4], false, 0.1f, attrs.Float("eps")),
        "embedding" => Functional.Embedding(args[0], args[1], attrs.Int("padding_idx")),
        _ => null,
    };
}
