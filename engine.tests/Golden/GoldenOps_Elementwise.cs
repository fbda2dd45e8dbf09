namespace ArenaGrad.Tests.Golden;

/// <summary>The scalar-operand forms of the first elementwise family that GoldenProgramRunner does not name (written by
/// make_double_elementwise.py): a - s, s - a, a / s and s / a, each its own opcode.</summary>
internal sealed class GoldenOps_Elementwise : IGoldenOps
{
    public Tensor? TryRun(string op, Tensor[] args, GoldenAttributes attrs) => op switch
    {
        "sub_scalar" => args[0] - attrs.Float("scalar"),
        "rsub_scalar" => attrs.Float("scalar") - args[0],
        "div_scalar" => args[0] / attrs.Float("scalar"),
        "rdiv_scalar" => attrs.Float("scalar") / args[0],
        _ => null,
    };
}
