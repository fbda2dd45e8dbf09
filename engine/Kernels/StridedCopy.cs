using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ArenaGrad.Memory;

namespace ArenaGrad.Kernels;

/// <summary>Gathers a strided view into contiguous memory (transpose, concat, and their backward).</summary>
internal static unsafe class Layout
{
    /// <summary>dst[idx] = src[Σ idx_k*srcStrides[k]] (or += when accumulate) for every multi-index idx of
    /// shape; dst is contiguous row-major and must not overlap src. Rank 0 is one element.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void Copy(ReadOnlySpan<float> src, ReadOnlySpan<int> srcStrides, Span<float> dst, ReadOnlySpan<int> shape, bool accumulate)
    {
        int count = Check.Shape(shape);
        Check.SameLength(count, dst.Length, nameof(shape) + " element count", nameof(dst));
        Check.Strides(shape, srcStrides, src.Length, nameof(srcStrides));
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
        int step = srcStrides[rank - 1];
        ref float dr = ref MemoryMarshal.GetReference(dst);
        Span<int> idx = stackalloc int[TensorLayout.MaxRank];
        idx = idx[..rank];
        idx.Clear();
        fixed (float* sp = src)
        {
            for (int start = 0; start < count; start += row)
            {
                float* s = sp + Strided.Offset(idx, srcStrides);
                ref float d = ref Unsafe.Add(ref dr, start);
                if (step == 1)
                {
                    if (accumulate)
                    {
                        Loops.Add(new LoadSource(s), ref d, (nuint)row);
                    }
                    else
                    {
                        new ReadOnlySpan<float>(s, row).CopyTo(MemoryMarshal.CreateSpan(ref d, row));
                    }
                }
                else
                {
                    // Strided gather (e.g. a transpose's inner dim): scalar, the loads cannot be vectorised.
                    for (int j = 0; j < row; j++)
                    {
                        float v = s[(nint)j * step];
                        Unsafe.Add(ref d, j) = accumulate ? Unsafe.Add(ref d, j) + v : v;
                    }
                }

                Strided.NextRow(idx, shape);
            }
        }
    }
}
