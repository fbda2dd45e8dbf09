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
    internal static float Min(ReadOnlySpan<float> x) => Extreme(default(MinOperator), x);

    /// <summary>y[o*inner+i] = min_d x[(o*dim+d)*inner+i], NaN if any is NaN. dim must be &gt; 0 unless there is
    /// nothing to reduce.</summary>
    internal static void MinAxis(ReadOnlySpan<float> x, int outer, int dim, int inner, Span<float> y) =>
        ExtremeAxis(default(MinOperator), x, outer, dim, inner, y);

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
}
