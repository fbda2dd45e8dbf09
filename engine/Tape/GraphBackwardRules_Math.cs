namespace ArenaGrad.Tape;

// Graph backward rules of the math family of issue 16 (see GraphBackwardRules.cs). Each formula is PyTorch 1.13's
// derivatives.yaml entry, in the form autograd differentiates when grad mode is on (silu and mish take their
// infinitely_differentiable_* forms there), so second derivatives follow PyTorch's; the values are those of the fused
// kernels in engine/Kernels/MathOperators.cs, special cases included.
internal static partial class GraphBackwardRules
{
    // self: grad * self.cos()
    public static void Sin(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, g * T(arena, ins.Input0).Cos());
    }
    // self: grad * -self.sin()
    public static void Cos(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, g * -T(arena, ins.Input0).Sin());
    }
    // self: log1p_backward(grad, self) = grad / (self + 1)
    public static void Log1p(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, g / (T(arena, ins.Input0) + 1f));
    }
    // self: grad * (result + 1)
    public static void Expm1(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, g * (T(arena, ins.Output) + 1f));
    }
    // self: 2.0 / sqrt(M_PI) * exp(-(self.pow(2))) * grad (x*x as the kernel squares: pow(2)'s derivative 2x is the same)
    public static void Erf(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, MathTwoOverSqrtPi * (-T(arena, ins.Input0).Square()).Exp() * g);
    }
    // self: -0.5 * grad * result.pow(3)
    public static void Rsqrt(Arena arena, in Instruction ins, Tensor g)
    {
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, (g * -0.5f) * T(arena, ins.Output).Pow(3f));
    }
    // self: -grad * (result * result)
    public static void Reciprocal(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Tensor y = T(arena, ins.Output);
        Give(arena, ins.Input0, -g * (y * y));
    }
    // self: zeros_like(grad)
    public static void Sign(Arena arena, in Instruction ins, Tensor g) => MathZeroGradient(arena, ins);
    // self: zeros_like(grad)
    public static void Floor(Arena arena, in Instruction ins, Tensor g) => MathZeroGradient(arena, ins);
    // self: zeros_like(grad)
    public static void Round(Arena arena, in Instruction ins, Tensor g) => MathZeroGradient(arena, ins);
    // self: softplus_backward(grad, self, beta, threshold) = self*beta > threshold ? grad : grad*z/(z+1), z = exp(self*beta);
    // its derivative (softplus_double_backward) is sigmoid_backward(grad, sigmoid(self*beta)) * beta below the threshold,
    // so z/(z+1) is taken as sigmoid(self*beta): the same values, and no exp overflow (inf/inf) on the side where drops
    public static void Softplus(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Tensor xb = T(arena, ins.Input0) * ins.Scalar0;
        Give(arena, ins.Input0, Functional.Where(xb.Gt(ins.Scalar1), g, g * xb.Sigmoid()));
    }
    // self: elu_backward(grad, alpha, 1, 1, is_result=false, self) = self > 0 ? grad : grad*alpha*exp(self) (NaN: the exp
    // side, as the fused kernel). exp only sees self where it is not positive, so a large self cannot overflow it into
    // inf, whose derivative times the dropped side's zero would be NaN
    public static void Elu(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Tensor x = T(arena, ins.Input0);
        Tensor positive = x.Gt(0f);
        Tensor negativeSide = Functional.Where(positive.LogicalNot(), x, 0f);
        Give(arena, ins.Input0, Functional.Where(positive, g, g * ins.Scalar0 * negativeSide.Exp()));
    }
    // self: gelu_backward(grad, self, "none") = grad * (cdf + self*pdf), cdf = (1 + erf(self/sqrt 2))/2,
    // pdf = exp(-self²/2)/sqrt(2 pi); autograd of it gives gelu_double_backward's grad * (2 pdf + self pdf')
    public static void Gelu(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Tensor x = T(arena, ins.Input0);
        Tensor cdf = 0.5f * ((x * MathSqrtHalf).Erf() + 1f);
        Tensor pdf = MathGeluPdfScale * (x.Square() * -0.5f).Exp();
        Give(arena, ins.Input0, g * (x * pdf + cdf));
    }
    // self: gelu_backward(grad, self, "tanh") = grad * (right/2 + (self/2)(1 - t²) beta (1 + 3 kappa self²)),
    // t = tanh(beta (self + kappa self³)), right = 1 + t (the kernel's terms, in its order)
    public static void GeluTanh(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Tensor x = T(arena, ins.Input0);
        Tensor square = x.Square();
        Tensor t = (MathGeluTanhBeta * (x + MathGeluKappa * (square * x))).Tanh();
        Tensor leftDerivative = 0.5f * (t + 1f);
        Tensor innerDerivative = MathGeluTanhBeta * (3f * MathGeluKappa * square + 1f);
        Tensor rightDerivative = 0.5f * x * (1f - t.Square()) * innerDerivative;
        Give(arena, ins.Input0, g * (leftDerivative + rightDerivative));
    }
    // self: infinitely_differentiable_silu_backward(grad, self) = grad * s * (1 + self*(1 - s)), s = sigmoid(self)
    public static void Silu(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Tensor x = T(arena, ins.Input0);
        Tensor s = x.Sigmoid();
        Give(arena, ins.Input0, g * s * (x * (1f - s) + 1f));
    }
    // self: infinitely_differentiable_mish_backward(grad, self) = grad * (t + self*s*(1 - t²)), s = sigmoid(self),
    // t = tanh(log1p(exp(self)))
    public static void Mish(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Tensor x = T(arena, ins.Input0);
        Tensor s = x.Sigmoid();
        Tensor t = x.Exp().Log1p().Tanh();
        Give(arena, ins.Input0, g * (t + x * s * (1f - t.Square())));
    }
    // self: hardtanh_backward(grad, self, min, max) = (self <= min || self >= max) ? 0 : grad (NaN passes grad);
    // hardtanh_backward takes self with a zero derivative: with finite bounds the zeros outside are clamp(x)*0 (finite
    // there, and read from x, which the row declares), so the result depends on x as PyTorch's does, and x's ancestors
    // get zeros, not None, the next time
    public static void Hardtanh(Arena arena, in Instruction ins, Tensor g)
    {
        if (!Needs(arena, ins.Input0)) return;
        Tensor x = T(arena, ins.Input0);
        Tensor outside = x.Le(ins.Scalar0).LogicalOr(x.Ge(ins.Scalar1));
        bool finiteBounds = float.IsFinite(ins.Scalar0) && float.IsFinite(ins.Scalar1);
        Give(arena, ins.Input0, finiteBounds
            ? Functional.Where(outside, x.Clamp(ins.Scalar0, ins.Scalar1) * 0f, g)
            : Functional.Where(outside.LogicalNot(), g, 0f));
    }
    // self: where(self == other, grad/2, grad).masked_fill_(self > other, 0); other: ... .masked_fill_(self < other, 0)
    public static void Minimum(Arena arena, in Instruction ins, Tensor g) => MathShareBackward(arena, ins, g, maximum: false);
    // self: where(self == other, grad/2, grad).masked_fill_(self < other, 0); other: ... .masked_fill_(self > other, 0)
    public static void Maximum(Arena arena, in Instruction ins, Tensor g) => MathShareBackward(arena, ins, g, maximum: true);

    /// <summary>dx = zeros_like(x): no dependence on g (zero even where g is infinite or NaN) nor on anything else.</summary>
    private static void MathZeroGradient(Arena arena, in Instruction ins)
    {
        if (Needs(arena, ins.Input0)) Give(arena, ins.Input0, arena.Zeros(arena.ShapeOf(ins.Input0)));
    }

    /// <summary>Minimum's and maximum's rule: a tie halves g, the losing side gets 0 (masked, so 0 even where g is
    /// infinite or NaN), the winner and any NaN comparison get g; each side summed back to its shape.</summary>
    private static void MathShareBackward(Arena arena, in Instruction ins, Tensor g, bool maximum)
    {
        bool left = Needs(arena, ins.Input0), right = Needs(arena, ins.Input1);
        if (!left && !right) return;
        Tensor a = T(arena, ins.Input0), b = T(arena, ins.Input1);
        Tensor shared = Functional.Where(a.Eq(b), g * 0.5f, g);
        if (left) GiveReduced(arena, ins.Input0, Functional.Where((maximum ? a.Lt(b) : a.Gt(b)).LogicalNot(), shared, 0f));
        if (right) GiveReduced(arena, ins.Input1, Functional.Where((maximum ? a.Gt(b) : a.Lt(b)).LogicalNot(), shared, 0f));
    }

    private const float MathTwoOverSqrtPi = 1.12837916709551257f;     // M_2_SQRTPI
    private const float MathSqrtHalf = 0.707106781186547524f;         // M_SQRT1_2
    private const float MathGeluPdfScale = 0.398942280401432678f;     // M_2_SQRTPI * M_SQRT1_2 * 0.5
    private const float MathGeluTanhBeta = 0.797884560802865356f;     // M_SQRT2 * M_2_SQRTPI * 0.5
    private const float MathGeluKappa = 0.044715f;
}
