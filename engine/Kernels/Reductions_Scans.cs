using System;
using System.Runtime.CompilerServices;

namespace ArenaGrad.Kernels;

// Cumulative sums and products over the middle axis of a tensor viewed as [outer, dim, inner], and their backward
// passes. Each runs in index order along the axis, one element at a time (columns side by side), so no vector width
// can change a bit.
internal static unsafe partial class Reductions
{
    /// <summary>y[.., d, ..] = Σ_{k ≤ d} x[.., k, ..], added in index order k = 0, 1, ... into a double and rounded once
    /// per output, as PyTorch's CPU cumsum kernel does (so the bits match it). y may be the same memory as x.</summary>
    [MethodImpl(Kernel.Compile)]
    [SkipLocalsInit]
    internal static void CumSumAxis(ReadOnlySpan<float> x, int outer, int dim, int inner, Span<float> y)
    {
        CheckAxis(x.Length, outer, dim, inner, outer * inner, nameof(x), "outer*inner");
        Check.SameLength(x.Length, y.Length, nameof(x), nameof(y));
        Span<double> running = stackalloc double[PairwiseSum.TileWidth];
        for (int o = 0; o < outer; o++)
        {
            int start = o * dim * inner;
            for (int c0 = 0; c0 < inner; c0 += PairwiseSum.TileWidth)
            {
                int width = Math.Min(PairwiseSum.TileWidth, inner - c0);
                Span<double> acc = running[..width];
                acc.Clear();
                for (int d = 0; d < dim; d++)
                {
                    int row = start + d * inner + c0;
                    for (int j = 0; j < width; j++)
                    {
                        acc[j] += x[row + j];
                        y[row + j] = (float)acc[j];
                    }
                }
            }
        }
    }

    /// <summary>Backward of <see cref="CumSumAxis"/>: dx[.., d, ..] += Σ_{k ≥ d} g[.., k, ..], the cumulative sum of g
    /// from the last index down (PyTorch's flip(cumsum(flip(g)))), in a double rounded once per element.</summary>
    [MethodImpl(Kernel.Compile)]
    [SkipLocalsInit]
    internal static void ReverseCumSumAxisAccumulate(ReadOnlySpan<float> g, int outer, int dim, int inner, Span<float> dx)
    {
        CheckAxis(g.Length, outer, dim, inner, outer * inner, nameof(g), "outer*inner");
        Check.SameLength(g.Length, dx.Length, nameof(g), nameof(dx));
        Span<double> running = stackalloc double[PairwiseSum.TileWidth];
        for (int o = 0; o < outer; o++)
        {
            int start = o * dim * inner;
            for (int c0 = 0; c0 < inner; c0 += PairwiseSum.TileWidth)
            {
                int width = Math.Min(PairwiseSum.TileWidth, inner - c0);
                Span<double> acc = running[..width];
                acc.Clear();
                for (int d = dim - 1; d >= 0; d--)
                {
                    int row = start + d * inner + c0;
                    for (int j = 0; j < width; j++)
                    {
                        acc[j] += g[row + j];
                        dx[row + j] += (float)acc[j];
                    }
                }
            }
        }
    }

    /// <summary>y[o*inner+i] = Π_d x[(o*dim+d)*inner+i], multiplied in index order in float (1 for an empty slice).</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void ProdAxis(ReadOnlySpan<float> x, int outer, int dim, int inner, Span<float> y)
    {
        CheckAxis(x.Length, outer, dim, inner, y.Length, nameof(x), nameof(y));
        for (int o = 0; o < outer; o++)
        {
            ReadOnlySpan<float> block = x.Slice(o * dim * inner, dim * inner);
            Span<float> row = y.Slice(o * inner, inner);
            if (dim == 0)
            {
                row.Fill(1f);
                continue;
            }

            if (inner == 1)
            {
                float p = block[0];
                for (int d = 1; d < dim; d++)
                {
                    p *= block[d];
                }

                row[0] = p;
                continue;
            }

            block[..inner].CopyTo(row);
            for (int d = 1; d < dim; d++)
            {
                Elementwise.Binary(new MultiplyOperator(), row, block.Slice(d * inner, inner), row);
            }
        }
    }

    /// <summary>Backward of <see cref="ProdAxis"/> without dividing by x: dx[d] += g · ((float)Π_{k&lt;d} x_k · (float)Π_{k&gt;d} x_k),
    /// the exclusive products taken in index order in double (PyTorch's prod_safe_zeros_backward, whose cumprods
    /// accumulate in double on the CPU). So one zero in a slice gives the product of the others at it and 0 elsewhere,
    /// two or more give 0 everywhere (unless an infinity or NaN meets a zero). <paramref name="prefix"/> is scratch of x's length.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void ProdAxisGradAccumulate(ReadOnlySpan<float> x, ReadOnlySpan<float> g, int outer, int dim, int inner, Span<float> dx, Span<float> prefix)
    {
        CheckAxis(x.Length, outer, dim, inner, g.Length, nameof(x), nameof(g));
        Check.SameLength(x.Length, dx.Length, nameof(x), nameof(dx));
        Check.SameLength(x.Length, prefix.Length, nameof(x), nameof(prefix));
        for (int o = 0; o < outer; o++)
        {
            int start = o * dim * inner;
            for (int i = 0; i < inner; i++)
            {
                double before = 1.0;
                for (int d = 0; d < dim; d++)
                {
                    int k = start + d * inner + i;
                    prefix[k] = (float)before;
                    before *= x[k];
                }

                double after = 1.0;
                float gs = g[o * inner + i];
                for (int d = dim - 1; d >= 0; d--)
                {
                    int k = start + d * inner + i;
                    dx[k] += gs * (prefix[k] * (float)after);
                    after *= x[k];
                }
            }
        }
    }

    /// <summary>How many elements of x are exactly zero (±0).</summary>
    [MethodImpl(Kernel.Compile)]
    internal static int CountZeros(ReadOnlySpan<float> x)
    {
        int count = 0;
        foreach (float v in x)
        {
            count += v == 0f ? 1 : 0;
        }

        return count;
    }
}
