namespace ArenaGrad.Tests.Golden;

/// <summary>Golden/ops/dtype (make_ops_dtype.py): tensor.to(dtype).</summary>
internal sealed class GoldenOps_DType : IGoldenOps
{
    public Tensor? TryRun(string op, Tensor[] args, GoldenAttributes attrs) => op switch
    {
        "to" => args[0].To(attrs.Raw.GetProperty("dtype").GetString() switch
        {
            "int32" => DType.Int32,
            "bool" => DType.Bool,
            _ => DType.Float32,
        }),
        _ => null,
    };
}
