namespace ArenaGrad.Tests.Golden;

/// <summary>Golden/ops/index (make_ops_index.py, issue 16): indexing, masks, comparisons, logical ops and the class
/// losses with target tensors.</summary>
internal sealed class GoldenOps_Index : IGoldenOps
{
    public Tensor? TryRun(string op, Tensor[] args, GoldenAttributes attrs) => op switch
    {
        "index_select" => args[0].IndexSelect(attrs.Int("dim"), args[1]),
        "gather" => args[0].Gather(attrs.Int("dim"), args[1]),
        "scatter_add" => args[0].ScatterAdd(attrs.Int("dim"), args[1], args[2]),
        "masked_fill" => args[0].MaskedFill(args[1], attrs.Float("value")),
        "where" => Functional.Where(args[0], args[1], args[2]),
        "where_scalar" => Functional.Where(args[0], args[1], attrs.Float("b")),
        "eq" => args[0].Eq(args[1]),
        "ne" => args[0].Ne(args[1]),
        "lt" => args[0].Lt(args[1]),
        "le" => args[0].Le(args[1]),
        "gt" => args[0].Gt(args[1]),
        "ge" => args[0].Ge(args[1]),
        "eq_scalar" => args[0].Eq(attrs.Float("other")),
        "ne_scalar" => args[0].Ne(attrs.Float("other")),
        "lt_scalar" => args[0].Lt(attrs.Float("other")),
        "le_scalar" => args[0].Le(attrs.Float("other")),
        "gt_scalar" => args[0].Gt(attrs.Float("other")),
        "ge_scalar" => args[0].Ge(attrs.Float("other")),
        "logical_not" => args[0].LogicalNot(),
        "logical_and" => args[0].LogicalAnd(args[1]),
        "logical_or" => args[0].LogicalOr(args[1]),
        "logical_xor" => args[0].LogicalXor(args[1]),
        "cross_entropy_tensor" => Functional.CrossEntropy(args[0], args[1], ReductionOf(attrs), attrs.Float("label_smoothing"),
            attrs.Int("ignore_index")),
        "nll_loss_tensor" => Functional.NllLoss(args[0], args[1], ReductionOf(attrs), attrs.Int("ignore_index")),
        _ => null,
    };

    private static Reduction ReductionOf(GoldenAttributes attrs) => attrs.Raw.GetProperty("reduction").GetString() switch
    {
        "sum" => Reduction.Sum,
        "none" => Reduction.None,
        _ => Reduction.Mean,
    };
}
