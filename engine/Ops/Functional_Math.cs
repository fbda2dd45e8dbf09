using ArenaGrad.Tape;

namespace ArenaGrad;

// The binary members of the elementwise math family (issue 16); the unary ones are Tensor methods (Ops/Tensor_Math.cs).
public static partial class Functional
{
    /// <summary>min(a, b) elementwise with broadcasting, NaN where either is NaN (<c>torch.minimum</c>). On a tie each
    /// side gets half the gradient.</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => Tensor.MinimumOrMaximum(OpCode.Minimum, a, b);

    /// <summary>max(a, b) elementwise with broadcasting, NaN where either is NaN (<c>torch.maximum</c>). On a tie each
    /// side gets half the gradient.</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => Tensor.MinimumOrMaximum(OpCode.Maximum, a, b);
}
