namespace ArenaGrad.Tests.Golden;

/// <summary>Golden/double/conv (make_double_conv.py, issue 18): convolution, unfold/fold and pooling, with every
/// window attribute as an [h, w] pair (a 1-d convolution's as one int).</summary>
internal sealed class GoldenOps_Conv : IGoldenOps
{
    public Tensor? TryRun(string op, Tensor[] args, GoldenAttributes attrs) => op switch
    {
        "conv2d" => Functional.Conv2d(args[0], args[1], args.Length > 2 ? args[2] : null, Pair(attrs, "stride"), Pair(attrs, "padding"),
            Pair(attrs, "dilation"), attrs.Int("groups")),
        "conv1d" => Functional.Conv1d(args[0], args[1], args.Length > 2 ? args[2] : null, attrs.Int("stride"), attrs.Int("padding"),
            attrs.Int("dilation"), attrs.Int("groups")),
        "unfold" => Functional.Unfold(args[0], Pair(attrs, "kernel_size"), Pair(attrs, "dilation"), Pair(attrs, "padding"), Pair(attrs, "stride")),
        "fold" => Functional.Fold(args[0], Pair(attrs, "output_size"), Pair(attrs, "kernel_size"), Pair(attrs, "dilation"), Pair(attrs, "padding"),
            Pair(attrs, "stride")),
        "max_pool2d" => Functional.MaxPool2d(args[0], Pair(attrs, "kernel_size"), Pair(attrs, "stride"), Pair(attrs, "padding")),
        "avg_pool2d" => Functional.AvgPool2d(args[0], Pair(attrs, "kernel_size"), Pair(attrs, "stride"), Pair(attrs, "padding")),
        "adaptive_avg_pool2d" => Functional.AdaptiveAvgPool2d(args[0], Pair(attrs, "output_size")),
        _ => null,
    };

    private static (int, int) Pair(GoldenAttributes attrs, string name)
    {
        int[] v = attrs.Ints(name);
        return (v[0], v[1]);
    }
}
