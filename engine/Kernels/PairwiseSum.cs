using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ArenaGrad.Kernels;

// Cascade (blocked pairwise) summation, in the spirit of PyTorch's cascade_sum: a run is cut into leaves,
// each leaf is summed in sequence, and the leaf sums are combined pairwise as a binary counter would
// (leaf 2k+1 joins leaf 2k, that pair joins the pair before it, ...). The rounding error grows with
// leaf length + log2(leaf count) instead of with the run's length, and the order of every addition is
// a function of the element count alone, so all vector widths and the scalar path give the same bits.

/// <summary>Fixed-order, width-independent cascade sums: of one contiguous run (16 lanes, see
/// <see cref="Sum{TSrc}"/>) and of many rows, column by column (see <see cref="Columns{TRows}"/>).</summary>
/// <remarks>Locals are not zeroed: every stack slot is written before it is read (a level of the counter is
/// read only while its bit is set).</remarks>
[SkipLocalsInit]
internal static unsafe class PairwiseSum
{
    /// <summary>16-lane blocks added in sequence into one leaf of <see cref="Sum{TSrc}"/>: 256 elements.</summary>
    internal const int LeafBlocks = 16;

    /// <summary>Rows added in sequence into one leaf of <see cref="Columns{TRows}"/>.</summary>
    internal const int LeafRows = 16;

    /// <summary>Columns callers hand to <see cref="Columns{TRows}"/> at a time when they keep per-column
    /// state of their own (softmax's max and sum).</summary>
    internal const int TileWidth = 256;

    /// <summary>Widest tile <see cref="Columns{TRows}"/> works on.</summary>
    private const int MaxTileWidth = 1024;

    /// <summary>Floats of pending leaf sums <see cref="Columns{TRows}"/> keeps on the stack (32 KiB).</summary>
    private const int PendingFloats = 8192;

    /// <summary>Levels of the binary counter: enough for 2³¹ leaves.</summary>
    private const int Levels = 32;

    /// <summary>Σ src(i) for i in [0, n). Lane j of 16 sums src(16t + j) over the t of one leaf
    /// (<see cref="LeafBlocks"/> blocks, one Vector512, two Vector256, four Vector128 or 16 scalars);
    /// the n mod 16 tail, zero-padded to 16 lanes, is one more leaf; leaves join pairwise lane by lane;
    /// the 16 lanes end as ((s[j] + s[j+8]) + (s[j+4] + s[j+12])) pairwise down to one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Sum<TSrc>(TSrc src, nuint n)
        where TSrc : IElementSource
    {
        if (n <= 16)
        {
            return n == 0 ? 0f : TailOnly(src, n);
        }

        // Leaf sums waiting for a partner, one 16-lane value per level. Vector512 stores the 16 lanes on
        // every width; only the joins (one per leaf) use it, the leaf loops use the widest fast vector.
        Span<Vector512<float>> pending = stackalloc Vector512<float>[Levels];
        nuint blocks = n & ~(nuint)15;
        const nuint leafLength = 16 * LeafBlocks;
        uint leaves = 0;
        for (nuint start = 0; start < blocks; start += leafLength)
        {
            nuint end = blocks - start > leafLength ? start + leafLength : blocks;
            Join(pending, ref leaves, Leaf(src, start, end));
        }

        if (blocks != n)
        {
            Span<float> tail = stackalloc float[16];
            tail.Clear();
            for (nuint i = blocks; i < n; i++)
            {
                tail[(int)(i - blocks)] = src.At(i);
            }

            Join(pending, ref leaves, Vector512.Create((ReadOnlySpan<float>)tail));
        }

        if (leaves == 0)
        {
            return 0f;
        }

        Vector512<float> s = Combine(pending, leaves);
        Vector256<float> half = s.GetLower() + s.GetUpper();
        Vector128<float> quarter = half.GetLower() + half.GetUpper();
        return (quarter.GetElement(0) + quarter.GetElement(2)) + (quarter.GetElement(1) + quarter.GetElement(3));
    }

    /// <summary><see cref="Sum{TSrc}"/> of 1 to 16 elements, which are one zero-padded tail leaf: the same lane
    /// additions in scalars (the zeros included, so a −0 total comes out as the vector path gives it), without the
    /// level stack. Softmax and log-sum-exp over a few classes call this once per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float TailOnly<TSrc>(TSrc src, nuint n)
        where TSrc : IElementSource
    {
        Span<float> t = stackalloc float[16];
        t.Clear();
        for (nuint i = 0; i < n; i++)
        {
            t[(int)i] = src.At(i);
        }

        // Lanes j and j + 8, then j and j + 4, then (0 + 2) + (1 + 3): Sum's 512 → 256 → 128 → scalar steps.
        float h0 = t[0] + t[8], h1 = t[1] + t[9], h2 = t[2] + t[10], h3 = t[3] + t[11];
        float h4 = t[4] + t[12], h5 = t[5] + t[13], h6 = t[6] + t[14], h7 = t[7] + t[15];
        float q0 = h0 + h4, q1 = h1 + h5, q2 = h2 + h6, q3 = h3 + h7;
        return (q0 + q2) + (q1 + q3);
    }

    /// <summary>result[c] = Σ_d row_d[c] (or += when <paramref name="accumulate"/>) for c in [0, result.Length),
    /// d in [0, rows): per column, rows are added in sequence within leaves of <see cref="LeafRows"/>, and
    /// leaves join pairwise. Every column runs the same additions, so neither the vector width nor the tile
    /// width (columns handled together, chosen from the row count) can change a bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Columns<TRows>(in TRows source, int rows, Span<float> result, bool accumulate)
        where TRows : IRowSource
    {
        if (rows == 0)
        {
            if (!accumulate)
            {
                result.Clear();
            }

            return;
        }

        // Levels the counter needs for this many leaves; the tile is as wide as PendingFloats allows.
        int leafCount = (rows - 1) / LeafRows + 1;
        int levels = 32 - BitOperations.LeadingZeroCount((uint)leafCount) + 1;
        int tile = Math.Clamp(PendingFloats / levels / 16 * 16, 16, MaxTileWidth);
        // On the stack, so the sources' pointers into them stay valid.
        float* pending = stackalloc float[levels * tile];
        float* total = stackalloc float[tile];
        for (int c0 = 0; c0 < result.Length; c0 += tile)
        {
            int width = Math.Min(tile, result.Length - c0);
            uint leaves = 0;
            for (int d0 = 0; d0 < rows; d0 += LeafRows)
            {
                // The leaf is built in the level it will rest at (the count's trailing ones), then the lower
                // levels, earlier leaves, join it: pending[level] = pending[k] + ... + leaf, k ascending.
                int level = BitOperations.TrailingZeroCount(~leaves);
                ref float leaf = ref pending[level * tile];
                int d1 = Math.Min(d0 + LeafRows, rows);
                source.Store(d0, c0, ref leaf, (nuint)width);
                for (int d = d0 + 1; d < d1; d++)
                {
                    source.Add(d, c0, ref leaf, (nuint)width);
                }

                for (int k = 0; k < level; k++)
                {
                    Loops.Add(new LoadSource(pending + k * tile), ref leaf, (nuint)width);
                }

                leaves++;
            }

            // The unpaired leaf sums, lowest level first (same order as Sum's Combine).
            bool started = false;
            for (int level = 0; level < levels; level++)
            {
                if ((leaves & (1u << level)) == 0)
                {
                    continue;
                }

                if (!started)
                {
                    new ReadOnlySpan<float>(pending + level * tile, width).CopyTo(new Span<float>(total, width));
                    started = true;
                }
                else
                {
                    Loops.Add(new LoadSource(pending + level * tile), ref *total, (nuint)width);
                }
            }

            ref float output = ref Unsafe.Add(ref MemoryMarshal.GetReference(result), c0);
            if (accumulate)
            {
                Loops.Add(new LoadSource(total), ref output, (nuint)width);
            }
            else
            {
                Loops.Store(new LoadSource(total), ref output, (nuint)width);
            }
        }
    }

    /// <summary>Σ x[i] over one contiguous run (see <see cref="Sum{TSrc}"/>).</summary>
    [MethodImpl(Kernel.Compile)]
    internal static float Sum(ReadOnlySpan<float> x)
    {
        fixed (float* px = x)
        {
            return Sum(new LoadSource(px), (nuint)x.Length);
        }
    }

    /// <summary>Adds one leaf to the binary counter of pending leaves: while the lowest levels are taken,
    /// the leaf joins them (earlier leaves on the left) and moves up.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Join(Span<Vector512<float>> pending, ref uint leaves, Vector512<float> leaf)
    {
        int level = 0;
        for (uint carry = leaves; (carry & 1) != 0; carry >>= 1, level++)
        {
            leaf = pending[level] + leaf;
        }

        pending[level] = leaf;
        leaves++;
    }

    /// <summary>Joins the unpaired leaf sums, lowest level first. <paramref name="leaves"/> must be &gt; 0.</summary>
    [MethodImpl(Kernel.Compile)] // not inlined into its callers: without this the first calls would run tier-0 code
    private static Vector512<float> Combine(ReadOnlySpan<Vector512<float>> pending, uint leaves)
    {
        // Only the set bits of the count hold a sum: visit those, lowest level first.
        Vector512<float> s = pending[BitOperations.TrailingZeroCount(leaves)];
        for (uint rest = leaves & (leaves - 1); rest != 0; rest &= rest - 1)
        {
            s = pending[BitOperations.TrailingZeroCount(rest)] + s;
        }

        return s;
    }

    /// <summary>Lane j = Σ src(t + j) for t = start, start+16, ... below end, added in that order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Leaf<TSrc>(TSrc src, nuint start, nuint end)
        where TSrc : IElementSource
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> s = src.At512(start);
            for (nuint i = start + 16; i < end; i += 16)
            {
                s += src.At512(i);
            }

            return s;
        }

        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> s0 = src.At256(start), s1 = src.At256(start + 8);
            for (nuint i = start + 16; i < end; i += 16)
            {
                s0 += src.At256(i);
                s1 += src.At256(i + 8);
            }

            return Vector512.Create(s0, s1);
        }

        if (Vector128.IsHardwareAccelerated)
        {
            Vector128<float> s0 = src.At128(start), s1 = src.At128(start + 4), s2 = src.At128(start + 8), s3 = src.At128(start + 12);
            for (nuint i = start + 16; i < end; i += 16)
            {
                s0 += src.At128(i);
                s1 += src.At128(i + 4);
                s2 += src.At128(i + 8);
                s3 += src.At128(i + 12);
            }

            return Vector512.Create(Vector256.Create(s0, s1), Vector256.Create(s2, s3));
        }

        Span<float> lanes = stackalloc float[16];
        for (int j = 0; j < 16; j++)
        {
            lanes[j] = src.At(start + (nuint)j);
        }

        for (nuint i = start + 16; i < end; i += 16)
        {
            for (int j = 0; j < 16; j++)
            {
                lanes[j] += src.At(i + (nuint)j);
            }
        }

        return Vector512.Create((ReadOnlySpan<float>)lanes);
    }
}

/// <summary>Rows of equal width that <see cref="PairwiseSum.Columns{TRows}"/> adds up column by column.</summary>
internal interface IRowSource
{
    /// <summary>dst[j] = row_d[c0 + j] for j in [0, n).</summary>
    void Store(int d, int c0, ref float dst, nuint n);

    /// <summary>dst[j] += row_d[c0 + j] for j in [0, n).</summary>
    void Add(int d, int c0, ref float dst, nuint n);
}

/// <summary>row_d[c] = scale * x[d*stride + c] (scale 1 leaves x unchanged).</summary>
internal readonly unsafe struct StridedRows(float* x, nint stride, float scale) : IRowSource
{
    private readonly float* _x = x;
    private readonly nint _stride = stride;
    private readonly float _scale = scale;

    /// <inheritdoc/>
    public void Store(int d, int c0, ref float dst, nuint n)
    {
        float* row = _x + d * _stride + c0;
        if (_scale == 1f) Loops.Store(new LoadSource(row), ref dst, n);
        else Loops.Store(new ScalarLeftSource<MultiplyOperator>(default, _scale, row), ref dst, n);
    }

    /// <inheritdoc/>
    public void Add(int d, int c0, ref float dst, nuint n)
    {
        float* row = _x + d * _stride + c0;
        if (_scale == 1f) Loops.Add(new LoadSource(row), ref dst, n);
        else Loops.Add(new ScalarLeftSource<MultiplyOperator>(default, _scale, row), ref dst, n);
    }
}

/// <summary>row_d[c] = op(a[d*stride + c], b[d*bStride + c]); bStride 0 repeats one row of b for every d.</summary>
internal readonly unsafe struct BinaryRows<TOp>(TOp op, float* a, nint stride, float* b, nint bStride) : IRowSource
    where TOp : struct, IBinaryOperator
{
    private readonly TOp _op = op;
    private readonly float* _a = a;
    private readonly float* _b = b;
    private readonly nint _stride = stride;
    private readonly nint _bStride = bStride;

    /// <inheritdoc/>
    public void Store(int d, int c0, ref float dst, nuint n) =>
        Loops.Store(new BinarySource<TOp>(_op, _a + d * _stride + c0, _b + d * _bStride + c0), ref dst, n);

    /// <inheritdoc/>
    public void Add(int d, int c0, ref float dst, nuint n) =>
        Loops.Add(new BinarySource<TOp>(_op, _a + d * _stride + c0, _b + d * _bStride + c0), ref dst, n);
}
