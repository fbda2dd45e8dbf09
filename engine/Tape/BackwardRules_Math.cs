using ArenaGrad.Kernels;
using ArenaGrad.Memory;

namespace ArenaGrad.Tape;

// The derivative rules of the math family (issue 16), one method per opcode in opcode order, each formula
// PyTorch 1.13's derivatives.yaml entry (kernels in engine/Kernels/MathOperators.cs).
internal static partial class BackwardRules
{
    // self: grad * self.cos()
    public static void Sin(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new SinGradOperator());
    // self: grad * -self.sin()
    public static void Cos(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new CosGradOperator());
    // self: log1p_backward(grad, self) = grad / (self + 1)
    public static void Log1p(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new Log1pGradOperator());
    // self: grad * (result + 1)
    public static void Expm1(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new Expm1GradOperator());
    // self: 2.0 / sqrt(M_PI) * exp(-(self.pow(2))) * grad
    public static void Erf(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new ErfGradOperator());
    // self: -0.5 * grad * result.pow(3)
    public static void Rsqrt(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new RsqrtGradOperator());
    // self: -grad * (result * result)
    public static void Reciprocal(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new ReciprocalGradOperator());
    // self: zeros_like(grad)
    public static void Sign(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => ZeroRule(arena, ins);
    // self: zeros_like(grad)
    public static void Floor(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => ZeroRule(arena, ins);
    // self: zeros_like(grad)
    public static void Round(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => ZeroRule(arena, ins);
    // self: softplus_backward(grad, self, beta, threshold) = self*beta > threshold ? grad : grad*z/(z+1), z = exp(self*beta)
    public static void Softplus(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new SoftplusGradOperator(ins.Scalar0, ins.Scalar1));
    // self: elu_backward(grad, alpha, 1, 1, is_result=false, self) = self > 0 ? grad : grad*alpha*exp(self)
    public static void Elu(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new EluGradOperator(ins.Scalar0));
    // self: gelu_backward(grad, self, "none") = grad * (cdf + self*pdf)
    public static void Gelu(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new GeluGradOperator());
    // self: gelu_backward(grad, self, "tanh")
    public static void GeluTanh(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new GeluTanhGradOperator());
    // self: silu_backward(grad, self) = grad * s * (1 + self*(1 - s)), s = sigmoid(self)
    public static void Silu(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new SiluGradOperator());
    // self: mish_backward(grad, self) = grad * (t + self*sigmoid(self)*(1 - t²)), t = tanh(softplus(self))
    public static void Mish(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new MishGradOperator());
    // self: hardtanh_backward(grad, self, min, max) = (self <= min || self >= max) ? 0 : grad
    public static void Hardtanh(Arena arena, in Instruction ins, ReadOnlySpan<float> g) => UnaryRule(arena, ins, g, new HardtanhGradOperator(ins.Scalar0, ins.Scalar1));
    // self: where(self == other, grad/2, grad).masked_fill_(self > other, 0); other: ... .masked_fill_(self < other, 0)
    public static void Minimum(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        ShareBackward(arena, g, ins.Input0, ins.Input1, ins.Output, new MinimumShareOperator());
        ShareBackward(arena, g, ins.Input1, ins.Input0, ins.Output, new MinimumShareOperator());
    }
    // self: where(self == other, grad/2, grad).masked_fill_(self < other, 0); other: ... .masked_fill_(self > other, 0)
    public static void Maximum(Arena arena, in Instruction ins, ReadOnlySpan<float> g)
    {
        ShareBackward(arena, g, ins.Input0, ins.Input1, ins.Output, new MaximumShareOperator());
        ShareBackward(arena, g, ins.Input1, ins.Input0, ins.Output, new MaximumShareOperator());
    }

    /// <summary>dx += 0: the gradient is zeros_like(grad), so a gradient that holds nothing yet is cleared and one that
    /// holds something is left as it is (even where g is infinite or NaN).</summary>
    private static void ZeroRule(Arena arena, in Instruction ins)
    {
        if (!arena.RequiresGrad(ins.Input0)) return;
        Span<float> target = arena.GradientForWrite(ins.Input0, out bool fresh);
        if (fresh) target.Clear();
    }

    /// <summary>d(input) += reduce(share(input, other) == 0 ? 0 : g share(input, other)), both operands broadcast to the
    /// output's shape: minimum's and maximum's rule for one side (one output-sized scratch).</summary>
    private static void ShareBackward<TShare>(Arena arena, ReadOnlySpan<float> g, int input, int other, int output, TShare share)
        where TShare : struct, IBinaryOperator
    {
        if (!arena.RequiresGrad(input)) return;
        Span<float> shares = arena.Scratch(g.Length, out _);
        ReadOnlySpan<float> u = arena.Values(input), v = arena.Values(other);
        if (u.Length == g.Length && v.Length == g.Length) Elementwise.Binary(share, u, v, shares);
        else
        {
            ReadOnlySpan<int> shape = arena.ShapeOf(output);
            Span<int> uStrides = stackalloc int[shape.Length];
            Span<int> vStrides = stackalloc int[shape.Length];
            ShapeMath.BroadcastStrides(arena.ShapeOf(input), shape, uStrides);
            ShapeMath.BroadcastStrides(arena.ShapeOf(other), shape, vStrides);
            Elementwise.BinaryBroadcast(share, u, uStrides, v, vStrides, shares, shape);
        }
        Elementwise.Binary(new ShareOperator(), g, shares, shares);
        AccumulateReduced(arena, input, shares, output, 1f);
    }
}
