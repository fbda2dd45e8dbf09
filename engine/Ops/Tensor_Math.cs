using ArenaGrad.Tape;

namespace ArenaGrad;

// The elementwise math family (issue 16). Each forward is one line naming its opcode; the opcode's row in
// Tape/OpTable.cs names its kernel (Tape/ForwardRules_Math.cs) and its backward (Tape/BackwardRules_Math.cs).
public readonly partial struct Tensor
{
    /// <summary>sin x (the engine's own sine: the same bits on every instruction set; see the README for its error bound)</summary>
    public Tensor Sin() => Unary(OpCode.Sin);

    /// <summary>cos x (the engine's own cosine: the same bits on every instruction set)</summary>
    public Tensor Cos() => Unary(OpCode.Cos);

    /// <summary>ln(1 + x), accurate near 0 (<c>torch.log1p</c>)</summary>
    public Tensor Log1p() => Unary(OpCode.Log1p);

    /// <summary>eˣ − 1, accurate near 0 (<c>torch.expm1</c>)</summary>
    public Tensor Expm1() => Unary(OpCode.Expm1);

    /// <summary>erf x = (2/√π) ∫₀ˣ e^(−t²) dt (<c>torch.erf</c>)</summary>
    public Tensor Erf() => Unary(OpCode.Erf);

    /// <summary>1 / √x (<c>torch.rsqrt</c>)</summary>
    public Tensor Rsqrt() => Unary(OpCode.Rsqrt);

    /// <summary>1 / x (<c>torch.reciprocal</c>)</summary>
    public Tensor Reciprocal() => Unary(OpCode.Reciprocal);

    /// <summary>sign x ∈ {−1, 0, 1}, 0 for ±0 and NaN (<c>torch.sign</c>); its gradient is 0</summary>
    public Tensor Sign() => Unary(OpCode.Sign);

    /// <summary>⌊x⌋ (<c>torch.floor</c>); its gradient is 0</summary>
    public Tensor Floor() => Unary(OpCode.Floor);

    /// <summary>x rounded to the nearest integer, halves to even (<c>torch.round</c>); its gradient is 0</summary>
    public Tensor Round() => Unary(OpCode.Round);

    /// <summary>x·β &gt; threshold ? x : ln(1 + e^(βx)) / β (<c>F.softplus</c>)</summary>
    public Tensor Softplus(float beta = 1f, float threshold = 20f) => Unary(OpCode.Softplus, beta, threshold);

    /// <summary>x &gt; 0 ? x : α(eˣ − 1) (<c>F.elu</c>)</summary>
    public Tensor Elu(float alpha = 1f) => Unary(OpCode.Elu, alpha);

    /// <summary>x·Φ(x) = (x/2)(1 + erf(x/√2)) (<c>F.gelu</c>); with <paramref name="tanhApproximation"/>,
    /// (x/2)(1 + tanh(√(2/π)(x + 0.044715x³))) (<c>approximate='tanh'</c>)</summary>
    public Tensor Gelu(bool tanhApproximation = false) => Unary(tanhApproximation ? OpCode.GeluTanh : OpCode.Gelu);

    /// <summary>x·σ(x) = x / (1 + e⁻ˣ) (<c>F.silu</c>)</summary>
    public Tensor Silu() => Unary(OpCode.Silu);

    /// <summary>x·tanh(ln(1 + eˣ)) (<c>F.mish</c>)</summary>
    public Tensor Mish() => Unary(OpCode.Mish);

    /// <summary>min(max(x, min), max) (<c>F.hardtanh</c>); the gradient passes only strictly inside (min, max)</summary>
    public Tensor Hardtanh(float min = -1f, float max = 1f) => Unary(OpCode.Hardtanh, min, max);

    /// <summary>min(a, b) or max(a, b) elementwise with broadcasting, for <see cref="Functional.Minimum"/> and
    /// <see cref="Functional.Maximum"/>.</summary>
    internal static Tensor MinimumOrMaximum(OpCode op, Tensor a, Tensor b) => Binary(op, a, b);
}
