namespace ArenaGrad.Tests.Golden;

/// <summary>The op names of Golden/ops/math (written by make_ops_math.py): the elementwise math family of issue 16.</summary>
internal sealed class GoldenOps_Math : IGoldenOps
{
    public Tensor? TryRun(string op, Tensor[] args, GoldenAttributes attrs) => op switch
    {
        "sin" => args[0].Sin(),
        "cos" => args[0].Cos(),
        "log1p" => args[0].Log1p(),
        "expm1" => args[0].Expm1(),
        "erf" => args[0].Erf(),
        "rsqrt" => args[0].Rsqrt(),
        "reciprocal" => args[0].Reciprocal(),
        "sign" => args[0].Sign(),
        "floor" => args[0].Floor(),
        "round" => args[0].Round(),
        "softplus" => args[0].Softplus(attrs.Float("beta"), attrs.Float("threshold")),
        "elu" => args[0].Elu(attrs.Float("alpha")),
        "gelu" => args[0].Gelu(tanhApproximation: attrs.Raw.GetProperty("approximate").GetString() switch
        {
            "none" => false,
            "tanh" => true,
            var other => throw new NotSupportedException($"gelu approximate '{other}'"),
        }),
        "silu" => args[0].Silu(),
        "mish" => args[0].Mish(),
        "hardtanh" => args[0].Hardtanh(attrs.Float("min_val"), attrs.Float("max_val")),
        "minimum" => Functional.Minimum(args[0], args[1]),
        "maximum" => Functional.Maximum(args[0], args[1]),
        _ => null,
    };
}
