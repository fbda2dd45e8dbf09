namespace ArenaGrad.Tests.Golden;

/// <summary>Golden/ops/reduce (make_ops_reduce.py): the reductions of issue 16.</summary>
internal sealed class GoldenOps_Reduce : IGoldenOps
{
    public Tensor? TryRun(string op, Tensor[] args, GoldenAttributes attrs)
    {
        Tensor x = args.Length > 0 ? args[0] : default;
        bool all = !attrs.Has("dim");
        int Dim() => attrs.Int("dim");
        bool keep = attrs.Bool("keepdim");
        return op switch
        {
            "min" => all ? x.Min() : x.Min(Dim(), keep),
            "amin" => x.Amin(Dim(), keep),
            "amax" => x.Amax(Dim(), keep),
            "max_values" => x.MaxWithIndices(Dim(), keep).Values,
            "max_indices" => x.MaxWithIndices(Dim(), keep).Indices,
            "min_values" => x.MinWithIndices(Dim(), keep).Values,
            "min_indices" => x.MinWithIndices(Dim(), keep).Indices,
            "argmax" => all ? x.ArgMax() : x.ArgMax(Dim(), keep),
            "argmin" => all ? x.ArgMin() : x.ArgMin(Dim(), keep),
            "var" => all ? x.Var(null, attrs.Int("correction"), keep) : x.Var(Dim(), attrs.Int("correction"), keep),
            "std" => all ? x.Std(null, attrs.Int("correction"), keep) : x.Std(Dim(), attrs.Int("correction"), keep),
            "norm" => all ? x.Norm(attrs.Float("p")) : x.Norm(attrs.Float("p"), Dim(), keep),
            "logsumexp" => x.LogSumExp(Dim(), keep),
            "cumsum" => x.CumSum(Dim()),
            "prod" => all ? x.Prod() : x.Prod(Dim(), keep),
            _ => null,
        };
    }
}
