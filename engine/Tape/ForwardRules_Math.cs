using ArenaGrad.Kernels;

namespace ArenaGrad.Tape;

// The forwards of the math family (issue 16): one-input kernels (s0, s1 are the instruction's scalars) and the two
// broadcasting binaries. Kernels in engine/Kernels/MathOperators.cs and Trigonometry.cs.
internal static unsafe partial class ForwardRules
{
    public static void Sin(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new SinOperator(), x, y);
    public static void Cos(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new CosOperator(), x, y);
    public static void Log1p(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new Log1pOperator(), x, y);
    public static void Expm1(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new Expm1Operator(), x, y);
    public static void Erf(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new ErfOperator(), x, y);
    public static void Rsqrt(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new RsqrtOperator(), x, y);
    public static void Reciprocal(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new ReciprocalOperator(), x, y);
    public static void Sign(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new SignOperator(), x, y);
    public static void Floor(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new FloorOperator(), x, y);
    public static void Round(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new RoundOperator(), x, y);
    // s0 = beta, s1 = threshold
    public static void Softplus(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new SoftplusOperator(s0, s1), x, y);
    // s0 = alpha
    public static void Elu(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new EluOperator(s0), x, y);
    public static void Gelu(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new GeluOperator(), x, y);
    public static void GeluTanh(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new GeluTanhOperator(), x, y);
    public static void Silu(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new SiluOperator(), x, y);
    public static void Mish(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new MishOperator(), x, y);
    // s0 = min, s1 = max: torch's hardtanh is clamp
    public static void Hardtanh(float s0, float s1, ReadOnlySpan<float> x, Span<float> y) => Elementwise.Unary(new ClampOperator(s0, s1), x, y);

    public static void Minimum(Arena arena, in Instruction ins) => Binary(arena, new MinOperator(), ins.Input0, ins.Input1, ins.Output);
    public static void Maximum(Arena arena, in Instruction ins) => Binary(arena, new MaxOperator(), ins.Input0, ins.Input1, ins.Output);
}
