using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ArenaGrad.Kernels;

// Minimum along an axis, and the value-and-index reductions (max/min with indices, argmax/argmin), over the middle
// axis of a tensor viewed as [outer, dim, inner]. Min and max are exact, so any order gives the same bits; the index
// scans run in index order.
internal static unsafe partial class Reductions
{
    /// <summary>min_i x[i]; NaN if any element is NaN (like torch.min). x must not be empty.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static float Min(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty)
        {
            throw new ArgumentException("Expected at least one element, got an empty span (min of nothing is undefined).", nameof(x));
        }

        ref float r = ref MemoryMarshal.GetReference(x);
        nuint n = (nuint)x.Length;
        // Min is idempotent, so the last vector may overlap the main loop's.
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> m = Vector512.LoadUnsafe(ref r);
            for (nuint i = 16; i < n - 16; i += 16)
            {
                m = VectorCompat.Min(m, Vector512.LoadUnsafe(ref r, i));
            }

            m = VectorCompat.Min(m, Vector512.LoadUnsafe(ref r, n - 16));
            return HorizontalMin(VectorCompat.Min(m.GetLower(), m.GetUpper()));
        }

        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> m = Vector256.LoadUnsafe(ref r);
            for (nuint i = 8; i < n - 8; i += 8)
            {
                m = VectorCompat.Min(m, Vector256.LoadUnsafe(ref r, i));
            }

            return HorizontalMin(VectorCompat.Min(m, Vector256.LoadUnsafe(ref r, n - 8)));
        }

        if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            Vector128<float> m = Vector128.LoadUnsafe(ref r);
            for (nuint i = 4; i < n - 4; i += 4)
            {
                m = VectorCompat.Min(m, Vector128.LoadUnsafe(ref r, i));
            }

            return HorizontalMin(VectorCompat.Min(m, Vector128.LoadUnsafe(ref r, n - 4)));
        }

        float s = r;
        for (nuint i = 1; i < n; i++)
        {
            s = MathF.Min(s, Unsafe.Add(ref r, i));
        }

        return s;
    }

    /// <summary>y[o*inner+i] = min_d x[(o*dim+d)*inner+i], NaN if any is NaN. dim must be &gt; 0 unless there is
    /// nothing to reduce.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void MinAxis(ReadOnlySpan<float> x, int outer, int dim, int inner, Span<float> y)
    {
        CheckAxis(x.Length, outer, dim, inner, y.Length, nameof(x), nameof(y));
        if (dim == 0 && y.Length != 0)
        {
            throw new ArgumentException($"Expected dim > 0 to take a min over, got dim = 0 with {y.Length} outputs.", nameof(dim));
        }

        for (int o = 0; o < outer; o++)
        {
            ReadOnlySpan<float> block = x.Slice(o * dim * inner, dim * inner);
            if (inner == 1)
            {
                y[o] = Min(block);
                continue;
            }

            Span<float> row = y.Slice(o * inner, inner);
            block[..inner].CopyTo(row);
            for (int d = 1; d < dim; d++)
            {
                Elementwise.Binary(default(MinimumOperator), row, block.Slice(d * inner, inner), row);
            }
        }
    }

    /// <summary>indices[o*inner+i] = the first d whose x[(o*dim+d)*inner+i] is the largest (<paramref name="max"/>) or
    /// smallest, or the first NaN when the slice holds one, as torch.max(x, dim), torch.argmax and their min twins give
    /// on CPU; values (when not empty) gets that element. dim must be &gt; 0 unless there is nothing to reduce.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void ArgExtremeAxis(ReadOnlySpan<float> x, int outer, int dim, int inner, Span<float> values, Span<int> indices, bool max)
    {
        CheckAxis(x.Length, outer, dim, inner, indices.Length, nameof(x), nameof(indices));
        if (!values.IsEmpty)
        {
            Check.SameLength(indices.Length, values.Length, nameof(indices), nameof(values));
        }

        if (dim == 0 && indices.Length != 0)
        {
            throw new ArgumentException($"Expected dim > 0 to take an index over, got dim = 0 with {indices.Length} outputs.", nameof(dim));
        }

        for (int o = 0; o < outer; o++)
        {
            int start = o * dim * inner;
            for (int i = 0; i < inner; i++)
            {
                float best = x[start + i];
                int at = 0;
                for (int d = 1; d < dim && !float.IsNaN(best); d++)
                {
                    float v = x[start + d * inner + i];
                    if (float.IsNaN(v) || (max ? v > best : v < best))
                    {
                        best = v;
                        at = d;
                    }
                }

                indices[o * inner + i] = at;
                if (!values.IsEmpty)
                {
                    values[o * inner + i] = best;
                }
            }
        }
    }

    /// <summary>dx[(o*dim+indices[o*inner+i])*inner+i] += g[o*inner+i]: the gradient of a value picked by index goes to
    /// that element only (torch.max(x, dim)'s value_selecting_reduction_backward).</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void SelectedAxisGradAccumulate(ReadOnlySpan<int> indices, ReadOnlySpan<float> g, int outer, int dim, int inner, Span<float> dx)
    {
        CheckAxis(dx.Length, outer, dim, inner, g.Length, nameof(dx), nameof(g));
        Check.SameLength(g.Length, indices.Length, nameof(g), nameof(indices));
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int d = indices[o * inner + i];
                if ((uint)d >= (uint)dim)
                {
                    throw new ArgumentOutOfRangeException(nameof(indices), d, $"Expected an index in [0, {dim}).");
                }

                dx[(o * dim + d) * inner + i] += g[o * inner + i];
            }
        }
    }

    /// <summary>Min of the lanes, NaN if any lane is NaN.</summary>
    private static float HorizontalMin(Vector256<float> v) => HorizontalMin(VectorCompat.Min(v.GetLower(), v.GetUpper()));

    /// <summary>Min of the lanes, NaN if any lane is NaN.</summary>
    private static float HorizontalMin(Vector128<float> v) =>
        MathF.Min(MathF.Min(v.GetElement(0), v.GetElement(1)), MathF.Min(v.GetElement(2), v.GetElement(3)));
}

/// <summary>y = min(a, b), NaN if either is NaN (the column step of <see cref="Reductions.MinAxis"/>).</summary>
file readonly struct MinimumOperator : IBinaryOperator
{
    public float Invoke(float a, float b) => MathF.Min(a, b);

    public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => VectorCompat.Min(a, b);

    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => VectorCompat.Min(a, b);

    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => VectorCompat.Min(a, b);
}
