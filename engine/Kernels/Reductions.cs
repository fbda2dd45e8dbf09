using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ArenaGrad.Kernels;

/// <summary>Reductions over the middle axis of a tensor viewed as [outer, dim, inner] row-major, their
/// backward passes, softmax, and SumToShape (the one place broadcast gradients are reduced).</summary>
internal static class Reductions
{
    /// <summary>Σ x[i]; the summation order is fixed (see <see cref="Loops.Sum{TSrc}"/>), so the result
    /// does not depend on which vector width ran.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static float Sum(ReadOnlySpan<float> x) =>
        Loops.Sum(new LoadSource(ref MemoryMarshal.GetReference(x)), (nuint)x.Length);

    /// <summary>Σ a[i]*b[i], in the same fixed order as <see cref="Sum"/>.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Check.SameLength(a.Length, b.Length, nameof(a), nameof(b));
        return Loops.Sum(
            new BinarySource<MultiplyOperator>(default, ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b)),
            (nuint)a.Length);
    }

    /// <summary>max_i x[i]; NaN if any element is NaN (like torch.max). x must not be empty.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static float Max(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty)
        {
            throw new ArgumentException("Expected at least one element, got an empty span (max of nothing is undefined).", nameof(x));
        }

        ref float r = ref MemoryMarshal.GetReference(x);
        nuint n = (nuint)x.Length;
        // Max is idempotent, so the last vector may overlap the main loop's.
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> m = Vector512.LoadUnsafe(ref r);
            for (nuint i = 16; i < n - 16; i += 16)
            {
                m = Vector512.Max(m, Vector512.LoadUnsafe(ref r, i));
            }

            m = Vector512.Max(m, Vector512.LoadUnsafe(ref r, n - 16));
            return HorizontalMax(Vector256.Max(m.GetLower(), m.GetUpper()));
        }

        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> m = Vector256.LoadUnsafe(ref r);
            for (nuint i = 8; i < n - 8; i += 8)
            {
                m = Vector256.Max(m, Vector256.LoadUnsafe(ref r, i));
            }

            return HorizontalMax(Vector256.Max(m, Vector256.LoadUnsafe(ref r, n - 8)));
        }

        if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            Vector128<float> m = Vector128.LoadUnsafe(ref r);
            for (nuint i = 4; i < n - 4; i += 4)
            {
                m = Vector128.Max(m, Vector128.LoadUnsafe(ref r, i));
            }

            return HorizontalMax(Vector128.Max(m, Vector128.LoadUnsafe(ref r, n - 4)));
        }

        float s = r;
        for (nuint i = 1; i < n; i++)
        {
            s = MathF.Max(s, Unsafe.Add(ref r, i));
        }

        return s;
    }

    /// <summary>y[o*inner+i] = Σ_d x[(o*dim+d)*inner+i]. Rows are added in d order (vectorised over
    /// inner), or for inner == 1 each row is one fixed-order <see cref="Sum"/>: width-independent.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void SumAxis(ReadOnlySpan<float> x, int outer, int dim, int inner, Span<float> y)
    {
        CheckAxis(x.Length, outer, dim, inner, y.Length, nameof(x), nameof(y));
        for (int o = 0; o < outer; o++)
        {
            ReadOnlySpan<float> block = x.Slice(o * dim * inner, dim * inner);
            if (inner == 1)
            {
                y[o] = Sum(block);
                continue;
            }

            Span<float> row = y.Slice(o * inner, inner);
            if (dim == 0)
            {
                row.Clear();
                continue;
            }

            block[..inner].CopyTo(row);
            for (int d = 1; d < dim; d++)
            {
                Elementwise.Accumulate(block.Slice(d * inner, inner), row);
            }
        }
    }

    /// <summary>y[o*inner+i] = max_d x[(o*dim+d)*inner+i], NaN if any is NaN. dim must be &gt; 0 unless
    /// there is nothing to reduce.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void MaxAxis(ReadOnlySpan<float> x, int outer, int dim, int inner, Span<float> y)
    {
        CheckAxis(x.Length, outer, dim, inner, y.Length, nameof(x), nameof(y));
        if (dim == 0 && y.Length != 0)
        {
            throw new ArgumentException($"Expected dim > 0 to take a max over, got dim = 0 with {y.Length} outputs.", nameof(dim));
        }

        for (int o = 0; o < outer; o++)
        {
            ReadOnlySpan<float> block = x.Slice(o * dim * inner, dim * inner);
            if (inner == 1)
            {
                y[o] = Max(block);
                continue;
            }

            Span<float> row = y.Slice(o * inner, inner);
            block[..inner].CopyTo(row);
            for (int d = 1; d < dim; d++)
            {
                Elementwise.Binary(default(MaxOperator), row, block.Slice(d * inner, inner), row);
            }
        }
    }

    /// <summary>dx[(o*dim+d)*inner+i] += g[o*inner+i] / count where x there equals max[o*inner+i] and count
    /// is the number of such d (torch.amax shares the gradient evenly between ties).</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void MaxAxisGrad(ReadOnlySpan<float> x, ReadOnlySpan<float> max, ReadOnlySpan<float> g, int outer, int dim, int inner, Span<float> dx)
    {
        CheckAxis(x.Length, outer, dim, inner, max.Length, nameof(x), nameof(max));
        Check.SameLength(max.Length, g.Length, nameof(max), nameof(g));
        Check.SameLength(x.Length, dx.Length, nameof(x), nameof(dx));
        for (int o = 0; o < outer; o++)
        {
            int baseX = o * dim * inner;
            for (int i = 0; i < inner; i++)
            {
                float m = max[o * inner + i];
                int count = 0;
                for (int d = 0; d < dim; d++)
                {
                    count += x[baseX + d * inner + i] == m ? 1 : 0;
                }

                if (count == 0)
                {
                    continue; // max was NaN: no position equals it
                }

                float share = g[o * inner + i] / count;
                for (int d = 0; d < dim; d++)
                {
                    if (x[baseX + d * inner + i] == m)
                    {
                        dx[baseX + d * inner + i] += share;
                    }
                }
            }
        }
    }

    /// <summary>dx[(o*dim+d)*inner+i] += scale * g[o*inner+i] (backward of sum / mean over the axis).</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void BroadcastAxisAccumulate(ReadOnlySpan<float> g, int outer, int dim, int inner, float scale, Span<float> dx)
    {
        CheckAxis(dx.Length, outer, dim, inner, g.Length, nameof(dx), nameof(g));
        for (int o = 0; o < outer; o++)
        {
            Span<float> block = dx.Slice(o * dim * inner, dim * inner);
            if (inner == 1)
            {
                Elementwise.AccumulateConstant(scale * g[o], block);
                continue;
            }

            ReadOnlySpan<float> row = g.Slice(o * inner, inner);
            for (int d = 0; d < dim; d++)
            {
                Elementwise.AccumulateScaled(row, scale, block.Slice(d * inner, inner));
            }
        }
    }

    /// <summary>y = softmax(x) = exp(x - m) / Σ exp(x - m), or when log, y = (x - m) - log Σ exp(x - m),
    /// along the middle axis, m the max along it. y may be the same memory as x.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void Softmax(ReadOnlySpan<float> x, int outer, int dim, int inner, Span<float> y, bool log)
    {
        CheckAxis(x.Length, outer, dim, inner, outer * inner, nameof(x), "outer*inner");
        Check.SameLength(x.Length, y.Length, nameof(x), nameof(y));
        if (dim == 0)
        {
            return;
        }

        for (int o = 0; o < outer; o++)
        {
            int start = o * dim * inner;
            if (inner == 1)
            {
                ReadOnlySpan<float> row = x.Slice(start, dim);
                Span<float> dst = y.Slice(start, dim);
                float m = Max(row);
                if (log)
                {
                    // Σ exp without storing it, so x is still intact when y overwrites it.
                    float s = Loops.Sum(new UnarySource<ExpShiftOperator>(new(m), ref MemoryMarshal.GetReference(row)), (nuint)dim);
                    Elementwise.Unary(new LogSoftmaxOperator(m, MathF.Log(s)), row, dst);
                }
                else
                {
                    Elementwise.Unary(new ExpShiftOperator(m), row, dst);
                    Elementwise.Unary(new DivideScalarOperator(Sum(dst)), dst, dst);
                }

                continue;
            }

            // Strided axis: scalar per (o, i) column.
            for (int i = 0; i < inner; i++)
            {
                int first = start + i;
                float m = x[first];
                for (int d = 1; d < dim; d++)
                {
                    m = MathF.Max(m, x[first + d * inner]);
                }

                float s = 0f;
                for (int d = 0; d < dim; d++)
                {
                    s += MathF.Exp(x[first + d * inner] - m);
                }

                float lse = MathF.Log(s);
                for (int d = 0; d < dim; d++)
                {
                    int at = first + d * inner;
                    y[at] = log ? (x[at] - m) - lse : MathF.Exp(x[at] - m) / s;
                }
            }
        }
    }

    /// <summary>Backward of <see cref="Softmax"/> given its output y: softmax: dx += y*(g - Σ g*y);
    /// log_softmax: dx += g - exp(y)*Σ g. dx must not alias y or g.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void SoftmaxGradAccumulate(ReadOnlySpan<float> y, ReadOnlySpan<float> g, int outer, int dim, int inner, Span<float> dx, bool log)
    {
        CheckAxis(y.Length, outer, dim, inner, outer * inner, nameof(y), "outer*inner");
        Check.SameLength(y.Length, g.Length, nameof(y), nameof(g));
        Check.SameLength(y.Length, dx.Length, nameof(y), nameof(dx));
        for (int o = 0; o < outer; o++)
        {
            int start = o * dim * inner;
            if (inner == 1)
            {
                ReadOnlySpan<float> yr = y.Slice(start, dim);
                ReadOnlySpan<float> gr = g.Slice(start, dim);
                Span<float> dr = dx.Slice(start, dim);
                if (log)
                {
                    Elementwise.AccumulateBinary(new LogSoftmaxBackOperator(Sum(gr)), gr, yr, dr);
                }
                else
                {
                    Elementwise.AccumulateBinary(new SoftmaxBackOperator(Dot(gr, yr)), gr, yr, dr);
                }

                continue;
            }

            for (int i = 0; i < inner; i++)
            {
                int first = start + i;
                float s = 0f;
                for (int d = 0; d < dim; d++)
                {
                    int at = first + d * inner;
                    s += log ? g[at] : g[at] * y[at];
                }

                for (int d = 0; d < dim; d++)
                {
                    int at = first + d * inner;
                    dx[at] += log ? g[at] - MathF.Exp(y[at]) * s : y[at] * (g[at] - s);
                }
            }
        }
    }

    /// <summary>dst[Σ idx_k*dstStrides[k]] += scale * g[i] for every element i (multi-index idx) of the
    /// contiguous g of shape gShape; dstStrides is 0 where dst was broadcast. The one place broadcast
    /// gradients are reduced. Rows are vectorised when the last stride is 1 (row accumulate) or 0 (row sum).</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void SumToShape(ReadOnlySpan<float> g, ReadOnlySpan<int> gShape, Span<float> dst, ReadOnlySpan<int> dstStrides, float scale)
    {
        int count = Check.Shape(gShape);
        Check.SameLength(count, g.Length, nameof(gShape) + " element count", nameof(g));
        Check.Strides(gShape, dstStrides, dst.Length, nameof(dstStrides));
        if (count == 0)
        {
            return;
        }

        int rank = gShape.Length;
        if (rank == 0)
        {
            dst[0] += scale * g[0];
            return;
        }

        int row = gShape[rank - 1];
        int step = dstStrides[rank - 1];
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float dr = ref MemoryMarshal.GetReference(dst);
        Span<int> idx = stackalloc int[Check.MaxRank];
        idx = idx[..rank];
        idx.Clear();
        for (int start = 0; start < count; start += row)
        {
            ref float gi = ref Unsafe.Add(ref gr, start);
            ref float di = ref Unsafe.Add(ref dr, Strided.Offset(idx, dstStrides));
            if (step == 1)
            {
                Loops.Add(new ScalarLeftSource<MultiplyOperator>(default, scale, ref gi), ref di, (nuint)row);
            }
            else if (step == 0)
            {
                di += scale * Loops.Sum(new LoadSource(ref gi), (nuint)row);
            }
            else
            {
                for (int j = 0; j < row; j++)
                {
                    Unsafe.Add(ref di, (nint)j * step) += scale * Unsafe.Add(ref gi, j);
                }
            }

            Strided.NextRow(idx, gShape);
        }
    }

    /// <summary>Max of the lanes, NaN if any lane is NaN.</summary>
    private static float HorizontalMax(Vector256<float> v) => HorizontalMax(Vector128.Max(v.GetLower(), v.GetUpper()));

    /// <summary>Max of the lanes, NaN if any lane is NaN.</summary>
    private static float HorizontalMax(Vector128<float> v) =>
        MathF.Max(MathF.Max(v.GetElement(0), v.GetElement(1)), MathF.Max(v.GetElement(2), v.GetElement(3)));

    /// <summary>Checks outer, dim, inner &gt;= 0, full == outer*dim*inner and reduced == outer*inner.</summary>
    private static void CheckAxis(int full, int outer, int dim, int inner, int reduced, string fullName, string reducedName)
    {
        Check.NonNegative(outer, nameof(outer));
        Check.NonNegative(dim, nameof(dim));
        Check.NonNegative(inner, nameof(inner));
        Check.SameLength((int)Math.Min((long)outer * dim * inner, int.MaxValue), full, "outer*dim*inner", fullName);
        Check.SameLength((int)Math.Min((long)outer * inner, int.MaxValue), reduced, "outer*inner", reducedName);
    }
}

/// <summary>y = exp(x - shift) (softmax numerator, shift = row max).</summary>
internal readonly struct ExpShiftOperator(float shift) : IUnaryOperator
{
    private readonly float _shift = shift;

    /// <summary>exp(x - shift)</summary>
    public float Invoke(float x) => MathF.Exp(x - _shift);

    /// <summary>exp(x - shift)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.Exp(x - Vector128.Create(_shift));

    /// <summary>exp(x - shift)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Exp(x - Vector256.Create(_shift));

    /// <summary>exp(x - shift)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.Exp(x - Vector512.Create(_shift));
}

/// <summary>y = (x - max) - lse (log_softmax, lse = log Σ exp(x - max)).</summary>
internal readonly struct LogSoftmaxOperator(float max, float lse) : IUnaryOperator
{
    private readonly float _max = max;
    private readonly float _lse = lse;

    /// <summary>(x - max) - lse</summary>
    public float Invoke(float x) => (x - _max) - _lse;

    /// <summary>(x - max) - lse</summary>
    public Vector128<float> Invoke(Vector128<float> x) => (x - Vector128.Create(_max)) - Vector128.Create(_lse);

    /// <summary>(x - max) - lse</summary>
    public Vector256<float> Invoke(Vector256<float> x) => (x - Vector256.Create(_max)) - Vector256.Create(_lse);

    /// <summary>(x - max) - lse</summary>
    public Vector512<float> Invoke(Vector512<float> x) => (x - Vector512.Create(_max)) - Vector512.Create(_lse);
}

/// <summary>f(g, y) = y * (g - s), s = Σ g*y (softmax backward).</summary>
internal readonly struct SoftmaxBackOperator(float s) : IBinaryOperator
{
    private readonly float _s = s;

    /// <summary>y * (g - s)</summary>
    public float Invoke(float a, float b) => b * (a - _s);

    /// <summary>y * (g - s)</summary>
    public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => b * (a - Vector128.Create(_s));

    /// <summary>y * (g - s)</summary>
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => b * (a - Vector256.Create(_s));

    /// <summary>y * (g - s)</summary>
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => b * (a - Vector512.Create(_s));
}

/// <summary>f(g, y) = g - exp(y) * s, s = Σ g (log_softmax backward, y the log-probabilities).</summary>
internal readonly struct LogSoftmaxBackOperator(float s) : IBinaryOperator
{
    private readonly float _s = s;

    /// <summary>g - exp(y) * s</summary>
    public float Invoke(float a, float b) => a - MathF.Exp(b) * _s;

    /// <summary>g - exp(y) * s</summary>
    public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a - Vector128.Exp(b) * Vector128.Create(_s);

    /// <summary>g - exp(y) * s</summary>
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a - Vector256.Exp(b) * Vector256.Create(_s);

    /// <summary>g - exp(y) * s</summary>
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a - Vector512.Exp(b) * Vector512.Create(_s);
}
