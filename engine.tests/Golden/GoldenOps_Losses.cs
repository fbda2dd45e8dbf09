namespace ArenaGrad.Tests.Golden;

/// <summary>The losses with every reduction and attribute (Golden/double/losses, make_double_losses.py, issue 17):
/// the pointwise losses and the class-index losses with targets as a list (the operand-buffer form; the Int32 tensor
/// form is GoldenOps_Index's).</summary>
internal sealed class GoldenOps_Losses : IGoldenOps
{
    public Tensor? TryRun(string op, Tensor[] args, GoldenAttributes attrs) => op switch
    {
        "mse_loss_reduction" => Functional.MseLoss(args[0], args[1], ReductionOf(attrs)),
        "l1_loss" => Functional.L1Loss(args[0], args[1], ReductionOf(attrs)),
        "smooth_l1_loss" => Functional.SmoothL1Loss(args[0], args[1], attrs.Float("beta"), ReductionOf(attrs)),
        "huber_loss" => Functional.HuberLoss(args[0], args[1], attrs.Float("delta"), ReductionOf(attrs)),
        "binary_cross_entropy_with_logits" => Functional.BinaryCrossEntropyWithLogits(args[0], args[1], ReductionOf(attrs)),
        "nll_loss_list" => Functional.NllLoss(args[0], attrs.Ints("targets"), ReductionOf(attrs), attrs.Int("ignore_index")),
        "cross_entropy_list" => Functional.CrossEntropy(args[0], attrs.Ints("targets"), ReductionOf(attrs), attrs.Float("label_smoothing"),
            attrs.Int("ignore_index")),
        _ => null,
    };

    private static Reduction ReductionOf(GoldenAttributes attrs) => attrs.Raw.GetProperty("reduction").GetString() switch
    {
        "sum" => Reduction.Sum,
        "none" => Reduction.None,
        _ => Reduction.Mean,
    };
}
