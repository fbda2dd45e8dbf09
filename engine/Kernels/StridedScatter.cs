using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ArenaGrad.Memory;

namespace ArenaGrad.Kernels;

/// <summary>Writes a contiguous block into a strided window of a larger buffer: the converse of <see cref="Layout.Copy"/>
/// (slice, select and split backward; repeat's tiles).</summary>
internal static unsafe class StridedScatter
{
    /// <summary>dst[Σ idx_k*dstStrides[k]] = src[idx] (or += when accumulate) for every multi-index idx of shape; src is
    /// contiguous row-major and must not overlap dst. Rank 0 is one element. Each destination element is written once
    /// per call (the strides of a window never alias), so the result does not depend on the order.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void Copy(ReadOnlySpan<float> src, Span<float> dst, ReadOnlySpan<int> dstStrides, ReadOnlySpan<int> shape, bool accumulate)
    {
        int count = Check.Shape(shape);
        Check.SameLength(count, src.Length, nameof(shape) + " element count", nameof(src));
        Check.Strides(shape, dstStrides, dst.Length, nameof(dstStrides));
        if (count == 0)
        {
            return;
        }

        int rank = shape.Length;
        if (rank == 0)
        {
            dst[0] = accumulate ? dst[0] + src[0] : src[0];
            return;
        }

        int row = shape[rank - 1];
        int step = dstStrides[rank - 1];
        ref float sr = ref MemoryMarshal.GetReference(src);
        Span<int> idx = stackalloc int[TensorLayout.MaxRank];
        idx = idx[..rank];
        idx.Clear();
        fixed (float* dp = dst)
        {
            for (int start = 0; start < count; start += row)
            {
                float* d = dp + Strided.Offset(idx, dstStrides);
                ref float s = ref Unsafe.Add(ref sr, start);
                if (step == 1)
                {
                    if (accumulate)
                    {
                        fixed (float* sp = &s)
                        {
                            Loops.Add(new LoadSource(sp), ref *d, (nuint)row);
                        }
                    }
                    else
                    {
                        MemoryMarshal.CreateReadOnlySpan(ref s, row).CopyTo(new Span<float>(d, row));
                    }
                }
                else
                {
                    // Strided scatter (a sliced dim with a step): scalar, the stores cannot be vectorised.
                    for (int j = 0; j < row; j++)
                    {
                        float v = Unsafe.Add(ref s, j);
                        d[(nint)j * step] = accumulate ? d[(nint)j * step] + v : v;
                    }
                }

                Strided.NextRow(idx, shape);
            }
        }
    }
}
