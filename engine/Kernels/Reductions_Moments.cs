using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ArenaGrad.Kernels;

// Variance and standard deviation, vector norms and log-sum-exp over the middle axis of a tensor viewed as
// [outer, dim, inner], with their backward passes. Every sum is a fixed-order cascade (PairwiseSum.Sum for a
// contiguous slice, PairwiseSum.Columns for a strided one), so the vector width never changes a bit; the backward
// passes are per element in index order.
internal static unsafe partial class Reductions
{
    /// <summary>The divisor of a variance with this many elements and Bessel correction: max(0, n - correction), as
    /// PyTorch's forward uses (a slice no larger than the correction divides by 0: inf, or NaN for 0/0). An empty slice
    /// divides by 0 whatever the correction, so its variance is NaN even with a negative correction, as PyTorch's.</summary>
    internal static float VarianceDivisor(int n, int correction) => n == 0 ? 0f : Math.Max(0L, (long)n - correction);

    /// <summary>y = Σ_d (x - mean)² / max(0, dim - correction) along the middle axis (the square root of it when
    /// <paramref name="std"/>): two passes, the mean (cascade Σ x, divided by dim) and then the cascade Σ (x - mean)².</summary>
    [MethodImpl(Kernel.Compile)]
    [SkipLocalsInit]
    internal static void VarianceAxis(ReadOnlySpan<float> x, int outer, int dim, int inner, int correction, bool std, Span<float> y)
    {
        CheckAxis(x.Length, outer, dim, inner, y.Length, nameof(x), nameof(y));
        float divisor = VarianceDivisor(dim, correction);
        Span<float> mean = stackalloc float[PairwiseSum.TileWidth];
        Span<float> squares = stackalloc float[PairwiseSum.TileWidth];
        for (int o = 0; o < outer; o++)
        {
            int start = o * dim * inner;
            if (inner == 1)
            {
                fixed (float* px = x.Slice(start, dim))
                {
                    float m = PairwiseSum.Sum(new LoadSource(px), (nuint)dim) / dim;
                    float s = PairwiseSum.Sum(new UnarySource<SquaredShiftOperator>(new(m), px), (nuint)dim);
                    y[o] = std ? MathF.Sqrt(s / divisor) : s / divisor;
                }

                continue;
            }

            for (int c0 = 0; c0 < inner; c0 += PairwiseSum.TileWidth)
            {
                int width = Math.Min(PairwiseSum.TileWidth, inner - c0);
                Span<float> m = mean[..width], s = squares[..width];
                ColumnMeans(x, start + c0, dim, inner, m);
                fixed (float* px = x.Slice(start + c0), pm = m)
                {
                    PairwiseSum.Columns(new BinaryRows<SquaredDifferenceOperator>(default, px, inner, pm, 0), dim, s, accumulate: false);
                }

                for (int j = 0; j < width; j++)
                {
                    y[o * inner + c0 + j] = std ? MathF.Sqrt(s[j] / divisor) : s[j] / divisor;
                }
            }
        }
    }

    /// <summary>Backward of <see cref="VarianceAxis"/> as PyTorch 1.13's var_backward and std_backward: with
    /// dof = dim - correction (not clamped, so a slice no larger than the correction gives ±inf, NaN or a negative
    /// factor, as PyTorch does), dx += ((2 / dof) * gv) * (x - mean), where gv = g for the variance and
    /// gv = y == 0 ? 0 : g / (y * 2) for the standard deviation.</summary>
    [MethodImpl(Kernel.Compile)]
    [SkipLocalsInit]
    internal static void VarianceAxisGradAccumulate(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> g, int outer, int dim, int inner,
        int correction, bool std, Span<float> dx)
    {
        CheckAxis(x.Length, outer, dim, inner, y.Length, nameof(x), nameof(y));
        Check.SameLength(y.Length, g.Length, nameof(y), nameof(g));
        Check.SameLength(x.Length, dx.Length, nameof(x), nameof(dx));
        float factor = (float)(2.0 / ((long)dim - correction));
        Span<float> mean = stackalloc float[PairwiseSum.TileWidth];
        for (int o = 0; o < outer; o++)
        {
            int start = o * dim * inner;
            for (int c0 = 0; c0 < inner; c0 += PairwiseSum.TileWidth)
            {
                int width = Math.Min(PairwiseSum.TileWidth, inner - c0);
                Span<float> m = mean[..width];
                ColumnMeans(x, start + c0, dim, inner, m);
                for (int j = 0; j < width; j++)
                {
                    int at = o * inner + c0 + j;
                    float gv = g[at];
                    if (std)
                    {
                        gv = y[at] == 0f ? 0f : gv / (y[at] * 2f);
                    }

                    float scale = factor * gv;
                    for (int d = 0; d < dim; d++)
                    {
                        int k = start + d * inner + c0 + j;
                        dx[k] += scale * (x[k] - m[j]);
                    }
                }
            }
        }
    }

    /// <summary>m[j] = (cascade Σ_d x[start + d*inner + j]) / dim for j in [0, m.Length): the means of a tile of columns
    /// (for inner == 1, one contiguous slice).</summary>
    private static void ColumnMeans(ReadOnlySpan<float> x, int start, int dim, int inner, Span<float> m)
    {
        if (inner == 1)
        {
            m[0] = Sum(x.Slice(start, dim)) / dim;
            return;
        }

        fixed (float* px = x.Slice(start))
        {
            PairwiseSum.Columns(new StridedRows(px, inner, 1f), dim, m, accumulate: false);
        }

        for (int j = 0; j < m.Length; j++)
        {
            m[j] /= dim;
        }
    }

    /// <summary>The vector p-norm along the middle axis, as torch.linalg.vector_norm: p = 2: √Σx², p = 1: Σ|x|,
    /// p = ∞: max |x|, p = −∞: min |x| (NaN if a NaN is present), p = 0: the count of
    /// elements that are not 0, otherwise (Σ|x|^p)^(1/p); 0 for an empty slice whatever p (torch.norm's). Every Σ is a cascade sum.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void NormAxis(ReadOnlySpan<float> x, int outer, int dim, int inner, float p, Span<float> y)
    {
        CheckAxis(x.Length, outer, dim, inner, y.Length, nameof(x), nameof(y));
        if (dim == 0)
        {
            y.Clear(); // torch.norm of an empty slice is 0 for every p (even ±∞ and p < 0)
            return;
        }

        if (float.IsInfinity(p))
        {
            for (int o = 0; o < outer; o++)
            {
                for (int i = 0; i < inner; i++)
                {
                    int start = o * dim * inner + i;
                    float m = MathF.Abs(x[start]);
                    for (int d = 1; d < dim; d++)
                    {
                        float v = MathF.Abs(x[start + d * inner]);
                        m = p > 0 ? MathF.Max(m, v) : MathF.Min(m, v);
                    }

                    y[o * inner + i] = m;
                }
            }

            return;
        }

        switch (p)
        {
            case 2f:
                SumAxisOf(new SquareOperator(), x, outer, dim, inner, y);
                Elementwise.Unary(new SqrtOperator(), y, y);
                break;
            case 1f:
                SumAxisOf(new AbsOperator(), x, outer, dim, inner, y);
                break;
            case 0f:
                SumAxisOf(new NonZeroOperator(), x, outer, dim, inner, y);
                break;
            default:
                SumAxisOf(new AbsPowOperator(p), x, outer, dim, inner, y);
                Elementwise.Unary(new PowOperator((float)(1.0 / p)), y, y);
                break;
        }
    }

    /// <summary>Backward of <see cref="NormAxis"/> as PyTorch 1.13's norm_backward (y the norm, g its gradient, per
    /// slice): p = 0 adds nothing (PyTorch's gradient is undefined there); p = 1: sgn(x)·g; p = 2: g·(y == 0 ? 0 : x/y);
    /// p = ±∞: sgn(x)·((g/count)·mask) with mask = |x| == y or x is NaN; p &lt; 1: (sgn(x)·(x == 0 ? 0 : |x|^(p−1)))·g·y^(1−p);
    /// 1 &lt; p &lt; 2: (sgn(x)·|x|^(p−1))·(y == 0 ? 0 : g / y^(p−1)); p &gt; 2: (x·|x|^(p−2))·(y == 0 ? 0 : g / y^(p−1)).
    /// sgn(NaN) is 0, as torch.sgn gives.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void NormAxisGradAccumulate(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> g, int outer, int dim, int inner,
        float p, Span<float> dx)
    {
        CheckAxis(x.Length, outer, dim, inner, y.Length, nameof(x), nameof(y));
        Check.SameLength(y.Length, g.Length, nameof(y), nameof(g));
        Check.SameLength(x.Length, dx.Length, nameof(x), nameof(dx));
        if (p == 0f)
        {
            return;
        }

        bool infinite = float.IsInfinity(p);
        var powMinusOne = new PowOperator(p - 1f);
        var powMinusTwo = new PowOperator(p - 2f);
        var powOneMinus = new PowOperator(1f - p);
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int slice = o * inner + i, start = o * dim * inner + i;
                float norm = y[slice], gs = g[slice];
                // The per-slice factor: g / count for ±∞, g·y^(1−p) for p < 1, the masked g / y^(p−1) for p > 1.
                float scale;
                if (infinite)
                {
                    int count = 0;
                    for (int d = 0; d < dim; d++)
                    {
                        float a = MathF.Abs(x[start + d * inner]);
                        count += a == norm || float.IsNaN(a) ? 1 : 0;
                    }

                    scale = gs / count;
                }
                else if (p < 1f)
                {
                    scale = powOneMinus.Invoke(norm);
                }
                else
                {
                    scale = norm == 0f ? 0f : gs / powMinusOne.Invoke(norm);
                }

                for (int d = 0; d < dim; d++)
                {
                    int k = start + d * inner;
                    float v = x[k], a = MathF.Abs(v);
                    dx[k] += p switch
                    {
                        1f => Sgn(v) * gs,
                        2f => gs * (norm == 0f ? 0f : v / norm),
                        _ when infinite => Sgn(v) * (scale * (a == norm || float.IsNaN(a) ? 1f : 0f)),
                        < 1f => (Sgn(v) * (v == 0f ? 0f : powMinusOne.Invoke(a))) * gs * scale,
                        < 2f => (Sgn(v) * powMinusOne.Invoke(a)) * scale,
                        _ => (v * powMinusTwo.Invoke(a)) * scale,
                    };
                }
            }
        }
    }

    /// <summary>sgn x ∈ {−1, 0, 1}; 0 for ±0 and NaN (torch.sgn of a real tensor).</summary>
    private static float Sgn(float v) => v > 0f ? 1f : v < 0f ? -1f : 0f;

    /// <summary>y = log Σ_d exp(x) along the middle axis, shifted by the slice's max m for stability as PyTorch's
    /// logsumexp: y = log(Σ exp(x − m')) + m' with m' = m, or 0 where m is ±∞ (an all −∞ slice gives −∞, a slice
    /// holding +∞ gives +∞, NaN stays NaN; an empty slice gives −∞). exp and log are the engine's own
    /// (<see cref="Transcendentals"/>); the Σ is a cascade.</summary>
    [MethodImpl(Kernel.Compile)]
    [SkipLocalsInit]
    internal static void LogSumExpAxis(ReadOnlySpan<float> x, int outer, int dim, int inner, Span<float> y)
    {
        CheckAxis(x.Length, outer, dim, inner, y.Length, nameof(x), nameof(y));
        Span<float> shift = stackalloc float[PairwiseSum.TileWidth];
        Span<float> sum = stackalloc float[PairwiseSum.TileWidth];
        for (int o = 0; o < outer; o++)
        {
            int start = o * dim * inner;
            if (inner == 1)
            {
                float m = dim == 0 ? 0f : FiniteOrZero(Max(x.Slice(start, dim)));
                float s;
                fixed (float* px = x.Slice(start, dim))
                {
                    s = PairwiseSum.Sum(new UnarySource<ExpShiftOperator>(new(m), px), (nuint)dim);
                }

                y[o] = Transcendentals.Log(s) + m;
                continue;
            }

            for (int c0 = 0; c0 < inner; c0 += PairwiseSum.TileWidth)
            {
                int width = Math.Min(PairwiseSum.TileWidth, inner - c0);
                Span<float> m = shift[..width], s = sum[..width];
                if (dim == 0)
                {
                    m.Clear();
                }
                else
                {
                    x.Slice(start + c0, width).CopyTo(m);
                }

                for (int d = 1; d < dim; d++)
                {
                    Elementwise.Binary(default(MaxOperator), m, x.Slice(start + d * inner + c0, width), m);
                }

                for (int j = 0; j < width; j++)
                {
                    m[j] = FiniteOrZero(m[j]);
                }

                fixed (float* px = x.Slice(start + c0), pm = m)
                {
                    PairwiseSum.Columns(new BinaryRows<ExpDifferenceOperator>(default, px, inner, pm, 0), dim, s, accumulate: false);
                }

                for (int j = 0; j < width; j++)
                {
                    y[o * inner + c0 + j] = Transcendentals.Log(s[j]) + m[j];
                }
            }
        }
    }

    /// <summary>Backward of <see cref="LogSumExpAxis"/> as PyTorch's logsumexp_backward: dx += g * exp(x − y).</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void LogSumExpAxisGradAccumulate(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> g, int outer, int dim, int inner,
        Span<float> dx)
    {
        CheckAxis(x.Length, outer, dim, inner, y.Length, nameof(x), nameof(y));
        Check.SameLength(y.Length, g.Length, nameof(y), nameof(g));
        Check.SameLength(x.Length, dx.Length, nameof(x), nameof(dx));
        for (int o = 0; o < outer; o++)
        {
            for (int d = 0; d < dim; d++)
            {
                int row = (o * dim + d) * inner;
                for (int i = 0; i < inner; i++)
                {
                    dx[row + i] += g[o * inner + i] * Transcendentals.Exp(x[row + i] - y[o * inner + i]);
                }
            }
        }
    }

    /// <summary>m where finite, else 0 (logsumexp's shift: masked_fill(abs(m) == inf, 0); NaN stays NaN).</summary>
    private static float FiniteOrZero(float m) => float.IsInfinity(m) ? 0f : m;

    /// <summary>y[o*inner+i] = cascade Σ_d op(x[(o*dim+d)*inner+i]).</summary>
    private static void SumAxisOf<TOp>(TOp op, ReadOnlySpan<float> x, int outer, int dim, int inner, Span<float> y)
        where TOp : struct, IUnaryOperator
    {
        for (int o = 0; o < outer; o++)
        {
            fixed (float* block = x.Slice(o * dim * inner, dim * inner))
            {
                if (inner == 1)
                {
                    y[o] = PairwiseSum.Sum(new UnarySource<TOp>(op, block), (nuint)dim);
                }
                else
                {
                    PairwiseSum.Columns(new UnaryRows<TOp>(op, block, inner), dim, y.Slice(o * inner, inner), accumulate: false);
                }
            }
        }
    }
}

/// <summary>row_d[c] = op(x[d*stride + c]).</summary>
internal readonly unsafe struct UnaryRows<TOp>(TOp op, float* x, nint stride) : IRowSource
    where TOp : struct, IUnaryOperator
{
    private readonly TOp _op = op;
    private readonly float* _x = x;
    private readonly nint _stride = stride;

    /// <inheritdoc/>
    public void Store(int d, int c0, ref float dst, nuint n) => Loops.Store(new UnarySource<TOp>(_op, _x + d * _stride + c0), ref dst, n);

    /// <inheritdoc/>
    public void Add(int d, int c0, ref float dst, nuint n) => Loops.Add(new UnarySource<TOp>(_op, _x + d * _stride + c0), ref dst, n);
}

/// <summary>y = (x − shift)² (the variance's second pass over a contiguous slice).</summary>
internal readonly struct SquaredShiftOperator(float shift) : IUnaryOperator
{
    private readonly float _shift = shift;

    /// <summary>(x − shift)²</summary>
    public float Invoke(float x) => (x - _shift) * (x - _shift);

    /// <summary>(x − shift)²</summary>
    public Vector128<float> Invoke(Vector128<float> x)
    {
        Vector128<float> d = x - Vector128.Create(_shift);
        return d * d;
    }

    /// <summary>(x − shift)²</summary>
    public Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> d = x - Vector256.Create(_shift);
        return d * d;
    }

    /// <summary>(x − shift)²</summary>
    public Vector512<float> Invoke(Vector512<float> x)
    {
        Vector512<float> d = x - Vector512.Create(_shift);
        return d * d;
    }
}

/// <summary>y = (a − b)² (the variance's second pass over strided columns, b the column means).</summary>
internal readonly struct SquaredDifferenceOperator : IBinaryOperator
{
    /// <summary>(a − b)²</summary>
    public float Invoke(float a, float b) => (a - b) * (a - b);

    /// <summary>(a − b)²</summary>
    public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => (a - b) * (a - b);

    /// <summary>(a − b)²</summary>
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => (a - b) * (a - b);

    /// <summary>(a − b)²</summary>
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => (a - b) * (a - b);
}

/// <summary>y = |x|^p with the engine's pow (the general p-norm's terms).</summary>
internal readonly struct AbsPowOperator(float p) : IUnaryOperator
{
    private readonly PowOperator _pow = new(p);

    /// <summary>|x|^p</summary>
    public float Invoke(float x) => _pow.Invoke(MathF.Abs(x));

    /// <summary>|x|^p</summary>
    public Vector128<float> Invoke(Vector128<float> x) => _pow.Invoke(Vector128.Abs(x));

    /// <summary>|x|^p</summary>
    public Vector256<float> Invoke(Vector256<float> x) => _pow.Invoke(Vector256.Abs(x));

    /// <summary>|x|^p</summary>
    public Vector512<float> Invoke(Vector512<float> x) => _pow.Invoke(Vector512.Abs(x));
}

/// <summary>y = x != 0 ? 1 : 0 (NaN counts: the 0-norm's terms).</summary>
internal readonly struct NonZeroOperator : IUnaryOperator
{
    /// <summary>x != 0 ? 1 : 0</summary>
    public float Invoke(float x) => x != 0f ? 1f : 0f;

    /// <summary>x != 0 ? 1 : 0</summary>
    public Vector128<float> Invoke(Vector128<float> x) =>
        Vector128.ConditionalSelect(Vector128.Equals(x, Vector128<float>.Zero), Vector128<float>.Zero, Vector128<float>.One);

    /// <summary>x != 0 ? 1 : 0</summary>
    public Vector256<float> Invoke(Vector256<float> x) =>
        Vector256.ConditionalSelect(Vector256.Equals(x, Vector256<float>.Zero), Vector256<float>.Zero, Vector256<float>.One);

    /// <summary>x != 0 ? 1 : 0</summary>
    public Vector512<float> Invoke(Vector512<float> x) =>
        Vector512.ConditionalSelect(Vector512.Equals(x, Vector512<float>.Zero), Vector512<float>.Zero, Vector512<float>.One);
}
