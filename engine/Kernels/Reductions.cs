using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ArenaGrad.Memory;

namespace ArenaGrad.Kernels;

/// <summary>Reductions over the middle axis of a tensor viewed as [outer, dim, inner] row-major, their
/// backward passes, softmax, and SumToShape (the one place broadcast gradients are reduced).</summary>
internal static unsafe partial class Reductions
{
    /// <summary>Σ x[i] as a fixed-order cascade (see <see cref="PairwiseSum.Sum{TSrc}"/>): the result
    /// does not depend on which vector width ran, and the error grows with log n, not n.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static float Sum(ReadOnlySpan<float> x) => PairwiseSum.Sum(x);

    /// <summary>Σ a[i]*b[i], in the same fixed order as <see cref="Sum"/>.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Check.SameLength(a.Length, b.Length, nameof(a), nameof(b));
        fixed (float* pa = a, pb = b)
        {
            return PairwiseSum.Sum(new BinarySource<MultiplyOperator>(default, pa, pb), (nuint)a.Length);
        }
    }

    /// <summary>max_i x[i]; NaN if any element is NaN (like torch.max). x must not be empty.</summary>
    internal static float Max(ReadOnlySpan<float> x) => Extreme(default(MaxOperator), x);

    /// <summary>op over every element, for an exact, idempotent op (max, min): NaN if any element is NaN. x must not be
    /// empty. Any grouping gives the same bits, so the last vector may overlap the main loop's.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static float Extreme<TOp>(TOp op, ReadOnlySpan<float> x) where TOp : struct, IBinaryOperator
    {
        if (x.IsEmpty)
        {
            throw new ArgumentException("Expected at least one element, got an empty span (the max or min of nothing is undefined).", nameof(x));
        }

        ref float r = ref MemoryMarshal.GetReference(x);
        nuint n = (nuint)x.Length;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> m = Vector512.LoadUnsafe(ref r);
            for (nuint i = 16; i < n - 16; i += 16)
            {
                m = op.Invoke(m, Vector512.LoadUnsafe(ref r, i));
            }

            m = op.Invoke(m, Vector512.LoadUnsafe(ref r, n - 16));
            return Horizontal(op, op.Invoke(m.GetLower(), m.GetUpper()));
        }

        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> m = Vector256.LoadUnsafe(ref r);
            for (nuint i = 8; i < n - 8; i += 8)
            {
                m = op.Invoke(m, Vector256.LoadUnsafe(ref r, i));
            }

            return Horizontal(op, op.Invoke(m, Vector256.LoadUnsafe(ref r, n - 8)));
        }

        if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            Vector128<float> m = Vector128.LoadUnsafe(ref r);
            for (nuint i = 4; i < n - 4; i += 4)
            {
                m = op.Invoke(m, Vector128.LoadUnsafe(ref r, i));
            }

            return Horizontal(op, op.Invoke(m, Vector128.LoadUnsafe(ref r, n - 4)));
        }

        float s = r;
        for (nuint i = 1; i < n; i++)
        {
            s = op.Invoke(s, Unsafe.Add(ref r, i));
        }

        return s;
    }

    /// <summary>y[o*inner+i] = Σ_d x[(o*dim+d)*inner+i], as cascade sums: for inner == 1 each row is one
    /// <see cref="Sum"/>; otherwise rows are added column by column in leaves that join pairwise
    /// (<see cref="PairwiseSum.Columns{TRows}"/>). Both are width-independent.</summary>
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

            fixed (float* pb = block)
            {
                PairwiseSum.Columns(new StridedRows(pb, inner, 1f), dim, y.Slice(o * inner, inner), accumulate: false);
            }
        }
    }

    /// <summary>y[o*inner+i] = max_d x[(o*dim+d)*inner+i], NaN if any is NaN. dim must be &gt; 0 unless
    /// there is nothing to reduce.</summary>
    internal static void MaxAxis(ReadOnlySpan<float> x, int outer, int dim, int inner, Span<float> y) =>
        ExtremeAxis(default(MaxOperator), x, outer, dim, inner, y);

    /// <summary>y[o*inner+i] = op over d of x[(o*dim+d)*inner+i] for an exact, idempotent op (max, min), NaN if any is
    /// NaN: each row whole when inner is 1, else column by column. dim must be &gt; 0 unless there is nothing to reduce.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void ExtremeAxis<TOp>(TOp op, ReadOnlySpan<float> x, int outer, int dim, int inner, Span<float> y) where TOp : struct, IBinaryOperator
    {
        CheckAxis(x.Length, outer, dim, inner, y.Length, nameof(x), nameof(y));
        if (dim == 0 && y.Length != 0)
        {
            throw new ArgumentException($"Expected dim > 0 to take a max or min over, got dim = 0 with {y.Length} outputs.", nameof(dim));
        }

        for (int o = 0; o < outer; o++)
        {
            ReadOnlySpan<float> block = x.Slice(o * dim * inner, dim * inner);
            if (inner == 1)
            {
                y[o] = Extreme(op, block);
                continue;
            }

            Span<float> row = y.Slice(o * inner, inner);
            block[..inner].CopyTo(row);
            for (int d = 1; d < dim; d++)
            {
                Elementwise.Binary(op, row, block.Slice(d * inner, inner), row);
            }
        }
    }

    /// <summary>Backward of max along the middle axis, as PyTorch 1.13. The positions that hold the max are
    /// those equal to it, or, when the max is NaN, those holding NaN. torch.max() (<paramref name="amax"/>
    /// false, evenly_distribute_backward): each such position gets g / count, the others nothing.
    /// torch.amax (true, scale_grad_by_count): every position gets (g / count) * mask, so a NaN max, which
    /// amax compares with ==, matches nothing and gives NaN to the whole slice, and an infinite g gives NaN
    /// (0 * inf) off the max.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void MaxAxisGrad(ReadOnlySpan<float> x, ReadOnlySpan<float> max, ReadOnlySpan<float> g, int outer, int dim, int inner, Span<float> dx, bool amax)
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
                bool nanMax = float.IsNaN(m) && !amax;
                int count = 0;
                for (int d = 0; d < dim; d++)
                {
                    float v = x[baseX + d * inner + i];
                    count += (nanMax ? float.IsNaN(v) : v == m) ? 1 : 0;
                }

                float share = g[o * inner + i] / count;
                for (int d = 0; d < dim; d++)
                {
                    float v = x[baseX + d * inner + i];
                    if (nanMax ? float.IsNaN(v) : v == m)
                    {
                        dx[baseX + d * inner + i] += share;
                    }
                    else if (amax)
                    {
                        dx[baseX + d * inner + i] += 0f * share;
                    }
                }
            }
        }
    }

    /// <summary>dx[(o*dim+d)*inner+i] += g[o*inner+i] / divisor (backward of sum with divisor 1, of mean
    /// with divisor n: PyTorch divides by n rather than multiplying by 1/n).</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void BroadcastAxisAccumulate(ReadOnlySpan<float> g, int outer, int dim, int inner, float divisor, Span<float> dx)
    {
        CheckAxis(dx.Length, outer, dim, inner, g.Length, nameof(dx), nameof(g));
        for (int o = 0; o < outer; o++)
        {
            Span<float> block = dx.Slice(o * dim * inner, dim * inner);
            if (inner == 1)
            {
                Elementwise.AccumulateConstant(g[o] / divisor, block);
                continue;
            }

            fixed (float* row = g.Slice(o * inner, inner))
            {
                for (int d = 0; d < dim; d++)
                {
                    Loops.Add(new ScalarRightSource<DivideOperator>(default, row, divisor),
                        ref MemoryMarshal.GetReference(block.Slice(d * inner, inner)), (nuint)inner);
                }
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

        Span<float> max = stackalloc float[PairwiseSum.TileWidth];
        Span<float> sum = stackalloc float[PairwiseSum.TileWidth];
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
                    float s;
                    fixed (float* pr = row)
                    {
                        s = PairwiseSum.Sum(new UnarySource<ExpShiftOperator>(new(m), pr), (nuint)dim);
                    }

                    Elementwise.Unary(new LogSoftmaxOperator(m, Transcendentals.Log(s)), row, dst);
                }
                else
                {
                    Elementwise.Unary(new ExpShiftOperator(m), row, dst);
                    Elementwise.Unary(new DivideScalarOperator(Sum(dst)), dst, dst);
                }

                continue;
            }

            // Strided axis: tiles of columns; the max, the cascade Σ exp(x - max) and the output of a tile
            // are done before the next, so the stack holds a tile's max and sum and y may alias x.
            for (int c0 = 0; c0 < inner; c0 += PairwiseSum.TileWidth)
            {
                int width = Math.Min(PairwiseSum.TileWidth, inner - c0);
                Span<float> m = max[..width], s = sum[..width];
                x.Slice(start + c0, width).CopyTo(m);
                for (int d = 1; d < dim; d++)
                {
                    ReadOnlySpan<float> xr = x.Slice(start + d * inner + c0, width);
                    if (width < 16)
                    {
                        for (int j = 0; j < width; j++) m[j] = MathF.Max(m[j], xr[j]); // a kernel call per element costs more
                    }
                    else
                    {
                        Elementwise.Binary(default(MaxOperator), m, xr, m);
                    }
                }

                fixed (float* px = x.Slice(start + c0), pm = m)
                {
                    PairwiseSum.Columns(new BinaryRows<ExpDifferenceOperator>(default, px, inner, pm, 0), dim, s, accumulate: false);
                }
                if (log)
                {
                    Elementwise.Unary(new LogOperator(), s, s);
                }

                for (int d = 0; d < dim; d++)
                {
                    int at = start + d * inner + c0;
                    ReadOnlySpan<float> xr = x.Slice(at, width);
                    Span<float> yr = y.Slice(at, width);
                    if (width < 16)
                    {
                        for (int j = 0; j < width; j++) yr[j] = log ? (xr[j] - m[j]) - s[j] : Transcendentals.Exp(xr[j] - m[j]) / s[j];
                    }
                    else if (log)
                    {
                        // (x - m) - lse
                        Elementwise.Binary(new SubtractOperator(), xr, m, yr);
                        Elementwise.Binary(new SubtractOperator(), yr, s, yr);
                    }
                    else
                    {
                        // exp(x - m) / Σ
                        Elementwise.Binary(default(ExpDifferenceOperator), xr, m, yr);
                        Elementwise.Binary(new DivideOperator(), yr, s, yr);
                    }
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
        if (dim == 0)
        {
            return; // an empty axis: no element to differentiate
        }

        Span<float> sum = stackalloc float[PairwiseSum.TileWidth];
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

            // Strided axis: per tile of columns, s = cascade Σ_d (log ? g : g*y), then the update.
            for (int c0 = 0; c0 < inner; c0 += PairwiseSum.TileWidth)
            {
                int width = Math.Min(PairwiseSum.TileWidth, inner - c0);
                Span<float> s = sum[..width];
                fixed (float* g0 = g.Slice(start + c0), y0 = y.Slice(start + c0))
                {
                    if (log)
                    {
                        PairwiseSum.Columns(new StridedRows(g0, inner, 1f), dim, s, accumulate: false);
                    }
                    else
                    {
                        PairwiseSum.Columns(new BinaryRows<MultiplyOperator>(default, g0, inner, y0, inner), dim, s, accumulate: false);
                    }
                }

                for (int d = 0; d < dim; d++)
                {
                    int at = start + d * inner + c0;
                    ReadOnlySpan<float> gr = g.Slice(at, width), yr = y.Slice(at, width);
                    Span<float> dr = dx.Slice(at, width);
                    for (int j = 0; j < width; j++)
                    {
                        dr[j] += log ? gr[j] - Transcendentals.Exp(yr[j]) * s[j] : yr[j] * (gr[j] - s[j]);
                    }
                }
            }
        }
    }

    /// <summary>dst[Σ idx_k*dstStrides[k]] += Σ scale * g[i] over every element i (multi-index idx) of the
    /// contiguous g of shape gShape; dstStrides is 0 where dst was broadcast. The one place broadcast
    /// gradients are reduced. Each dst element gets one cascade sum over the g elements that map to it
    /// (the reduced dims flattened in g's order): rows of the last dim are summed with
    /// <see cref="Sum"/> when the last dim is reduced, or added column by column with
    /// <see cref="PairwiseSum.Columns{TRows}"/> when it is kept; rows then join pairwise. The order
    /// depends only on the shapes, so every vector width gives the same bits.</summary>
    [MethodImpl(Kernel.Compile)]
    [SkipLocalsInit]
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

        // The dims before the last, split into kept (dst stride != 0) and reduced ones, with g's strides.
        int row = gShape[rank - 1];
        int step = dstStrides[rank - 1];
        Span<int> keptSizes = stackalloc int[TensorLayout.MaxRank], keptG = stackalloc int[TensorLayout.MaxRank], keptDst = stackalloc int[TensorLayout.MaxRank];
        Span<int> reducedSizes = stackalloc int[TensorLayout.MaxRank], reducedG = stackalloc int[TensorLayout.MaxRank];
        int kept = 0, reduced = 0, keptCount = 1, reducedCount = 1, gStride = row;
        for (int d = rank - 2; d >= 0; d--)
        {
            if (dstStrides[d] != 0)
            {
                keptSizes[kept] = gShape[d]; keptG[kept] = gStride; keptDst[kept] = dstStrides[d]; kept++;
                keptCount *= gShape[d];
            }
            else if (gShape[d] != 1)
            {
                reducedSizes[reduced] = gShape[d]; reducedG[reduced] = gStride; reduced++;
                reducedCount *= gShape[d];
            }

            gStride *= gShape[d];
        }

        fixed (float* pg = g)
        fixed (int* sizes = reducedSizes, strides = reducedG)
        {
            var rows = new ReducedRows(pg, sizes, strides, reduced, row, scale);
            Span<float> column = stackalloc float[PairwiseSum.TileWidth];
            for (int k = 0; k < keptCount; k++)
            {
                // Offsets of the k-th kept combination (innermost kept dim fastest).
                nint gBase = 0, dBase = 0;
                for (int j = 0, rest = k; j < kept; j++)
                {
                    int index = rest % keptSizes[j];
                    rest /= keptSizes[j];
                    gBase += (nint)index * keptG[j];
                    dBase += (nint)index * keptDst[j];
                }

                ReducedRows at = rows.At(gBase);
                if (step == 0)
                {
                    dst[(int)dBase] += at.SumOfRowSums(reducedCount);
                }
                else if (step == 1)
                {
                    PairwiseSum.Columns(at, reducedCount, dst.Slice((int)dBase, row), accumulate: true);
                }
                else
                {
                    for (int c0 = 0; c0 < row; c0 += PairwiseSum.TileWidth)
                    {
                        int width = Math.Min(PairwiseSum.TileWidth, row - c0);
                        Span<float> tile = column[..width];
                        PairwiseSum.Columns(at.From(c0), reducedCount, tile, accumulate: false);
                        for (int j = 0; j < width; j++)
                        {
                            dst[(int)(dBase + (nint)(c0 + j) * step)] += tile[j];
                        }
                    }
                }
            }
        }
    }

    /// <summary>op over the lanes (max or min: NaN if any lane is NaN).</summary>
    private static float Horizontal<TOp>(TOp op, Vector256<float> v) where TOp : struct, IBinaryOperator =>
        Horizontal(op, op.Invoke(v.GetLower(), v.GetUpper()));

    /// <summary>op over the lanes (max or min: NaN if any lane is NaN).</summary>
    private static float Horizontal<TOp>(TOp op, Vector128<float> v) where TOp : struct, IBinaryOperator =>
        op.Invoke(op.Invoke(v.GetElement(0), v.GetElement(1)), op.Invoke(v.GetElement(2), v.GetElement(3)));

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

/// <summary>The rows of g that SumToShape adds into one kept position: row r (r counts the reduced dims'
/// combinations, innermost fastest) starts at base + Σ index_k * stride_k and holds scale * g.</summary>
internal readonly unsafe struct ReducedRows : IRowSource
{
    private readonly float* _g;
    private readonly int* _sizes;
    private readonly int* _strides;
    private readonly int _reduced;
    private readonly int _row;
    private readonly float _scale;
    private readonly nint _base;

    /// <summary>Rows of g over the <paramref name="reduced"/> reduced dims (<paramref name="sizes"/> innermost first),
    /// each <paramref name="row"/> long, scaled by <paramref name="scale"/>. The memory must not move while in use.</summary>
    public ReducedRows(float* g, int* sizes, int* strides, int reduced, int row, float scale)
        : this(g, sizes, strides, reduced, row, scale, 0)
    {
    }

    private ReducedRows(float* g, int* sizes, int* strides, int reduced, int row, float scale, nint offset)
    {
        _g = g;
        _sizes = sizes;
        _strides = strides;
        _reduced = reduced;
        _row = row;
        _scale = scale;
        _base = offset;
    }

    /// <summary>The same rows, starting <paramref name="offset"/> elements further into g.</summary>
    public ReducedRows At(nint offset) => new(_g, _sizes, _strides, _reduced, _row, _scale, offset);

    /// <summary>The same rows from column <paramref name="c0"/> on.</summary>
    public ReducedRows From(int c0) => new(_g, _sizes, _strides, _reduced, _row - c0, _scale, _base + c0);

    // Store, Add and Offset run once per row of a bias gradient (a row is often 2 to 64 floats): inlined, because
    // NativeAOT, compiling without a profile, left them as calls that the JIT inlines.

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(int d, int c0, ref float dst, nuint n) =>
        Loops.Store(new ScalarLeftSource<MultiplyOperator>(default, _scale, _g + Offset(d) + c0), ref dst, n);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(int d, int c0, ref float dst, nuint n) =>
        Loops.Add(new ScalarLeftSource<MultiplyOperator>(default, _scale, _g + Offset(d) + c0), ref dst, n);

    /// <summary>Σ over rows of (cascade Σ of the row), the rows joined as <see cref="PairwiseSum.Columns{TRows}"/>
    /// joins them (one column).</summary>
    public float SumOfRowSums(int rows)
    {
        var sums = new RowSums(this);
        float total = 0f;
        PairwiseSum.Columns(sums, rows, new Span<float>(ref total), accumulate: false);
        return total;
    }

    /// <summary>Start of row <paramref name="r"/> in g.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private nint Offset(int r)
    {
        nint offset = _base;
        for (int j = 0; j < _reduced && r != 0; j++)
        {
            offset += (nint)(r % _sizes[j]) * _strides[j];
            r /= _sizes[j];
        }

        return offset;
    }

    /// <summary>Row r as one column: its cascade sum of scale * g.</summary>
    private readonly struct RowSums(ReducedRows rows) : IRowSource
    {
        private readonly ReducedRows _rows = rows;

        public void Store(int d, int c0, ref float dst, nuint n) => dst = _rows.RowSum(d);

        public void Add(int d, int c0, ref float dst, nuint n) => dst += _rows.RowSum(d);
    }

    private float RowSum(int r) =>
        PairwiseSum.Sum(new ScalarLeftSource<MultiplyOperator>(default, _scale, _g + Offset(r)), (nuint)_row);
}

/// <summary>y = exp(a - b) (softmax numerator with a per-column shift b).</summary>
internal readonly struct ExpDifferenceOperator : IBinaryOperator
{
    /// <summary>exp(a - b)</summary>
    public float Invoke(float a, float b) => Transcendentals.Exp(a - b);

    /// <summary>exp(a - b)</summary>
    public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Transcendentals.Exp(a - b);

    /// <summary>exp(a - b)</summary>
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Transcendentals.Exp(a - b);

    /// <summary>exp(a - b)</summary>
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => Transcendentals.Exp(a - b);
}

/// <summary>y = exp(x - shift) (softmax numerator, shift = row max).</summary>
internal readonly struct ExpShiftOperator(float shift) : IUnaryOperator
{
    private readonly float _shift = shift;

    /// <summary>exp(x - shift)</summary>
    public float Invoke(float x) => Transcendentals.Exp(x - _shift);

    /// <summary>exp(x - shift)</summary>
    public Vector128<float> Invoke(Vector128<float> x) => Transcendentals.Exp(x - Vector128.Create(_shift));

    /// <summary>exp(x - shift)</summary>
    public Vector256<float> Invoke(Vector256<float> x) => Transcendentals.Exp(x - Vector256.Create(_shift));

    /// <summary>exp(x - shift)</summary>
    public Vector512<float> Invoke(Vector512<float> x) => Transcendentals.Exp(x - Vector512.Create(_shift));
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
    public float Invoke(float a, float b) => a - Transcendentals.Exp(b) * _s;

    /// <summary>g - exp(y) * s</summary>
    public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a - Transcendentals.Exp(b) * Vector128.Create(_s);

    /// <summary>g - exp(y) * s</summary>
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a - Transcendentals.Exp(b) * Vector256.Create(_s);

    /// <summary>g - exp(y) * s</summary>
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a - Transcendentals.Exp(b) * Vector512.Create(_s);
}
