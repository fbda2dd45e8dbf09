using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace ArenaGrad.Kernels.Convolution;

/// <summary>F.unfold and F.fold on one image: the [C·kH·kW, OH·OW] matrix of sliding windows (row (c·kH + i)·kW + j,
/// column oh·OW + ow holds x[c, oh·sH − pH + i·dH, ow·sW − pW + j·dW], 0 outside), and its adjoint, which adds each
/// column entry back to the input element it came from. Plain copies and adds, so every instruction set gives the same
/// bits; the convolution's arithmetic is in the GEMM.</summary>
/// <remarks>The loops index with refs: every index is inside the image by construction (the valid output range of each
/// kernel column is computed once per row, the valid rows per line), and span bounds checks in the strided inner loop
/// cost more than the copy itself.</remarks>
internal static class Im2Col
{
    /// <summary>cols = unfold(x) for one image x [C, H, W].</summary>
    public static void Unfold(ReadOnlySpan<float> x, Span<float> cols, in ConvGeometry g) => Unfold(x, cols, in g, g.Positions);

    /// <summary>cols = unfold(x) with the rows of cols <paramref name="rowStride"/> floats apart (one image's block of a
    /// batch's [rows, N·L] columns).</summary>
    [MethodImpl(Kernel.Compile)]
    public static void Unfold(ReadOnlySpan<float> x, Span<float> cols, in ConvGeometry g, int rowStride)
    {
        int height = g.Height, width = g.Width, outH = g.OutH, outW = g.OutW, kernelH = g.KernelH, kernelW = g.KernelW;
        int strideH = g.StrideH, strideW = g.StrideW, padH = g.PadH, dilationH = g.DilationH, plane = height * width;
        int positions = outH * outW;
        if (rowStride < positions || cols.Length < (g.Rows - 1L) * rowStride + positions || x.Length < g.Channels * plane)
            throw new ArgumentException("Internal error: unfold buffers smaller than the geometry.");
        ref float source = ref MemoryMarshal.GetReference(x);
        ref float target = ref MemoryMarshal.GetReference(cols);
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
            for (int i = 0; i < kernelH; i++)
                for (int j = 0; j < kernelW; j++, row++)
                {
                    int colOffset = j * g.DilationW - g.PadW;
                    ValidRange(colOffset, strideW, width, outW, out int owStart, out int owEnd);
                    for (int oh = 0; oh < outH; oh++)
                    {
                        ref float line = ref Unsafe.Add(ref target, (nint)row * rowStride + oh * outW);
                        int ih = oh * strideH - padH + i * dilationH;
                        if ((uint)ih >= (uint)height || owStart >= owEnd)
                        {
                            Clear(ref line, outW);
                            continue;
                        }
                        Clear(ref line, owStart);
                        Clear(ref Unsafe.Add(ref line, owEnd), outW - owEnd);
                        ref float from = ref Unsafe.Add(ref source, c * plane + ih * width + owStart * strideW + colOffset);
                        int count = owEnd - owStart;
                        ref float to = ref Unsafe.Add(ref line, owStart);
                        if (strideW == 1)
                            MemoryMarshal.CreateReadOnlySpan(ref from, count).CopyTo(MemoryMarshal.CreateSpan(ref to, count));
                        else
                            unsafe
                            {
                                fixed (float* fromPointer = &from, toPointer = &to) CopyStrided(fromPointer, strideW, count, toPointer);
                            }
                    }
                }
    }

    /// <summary>x += fold(cols) for one image x [C, H, W]: the adjoint of <see cref="Unfold(ReadOnlySpan{float}, Span{float}, in ConvGeometry)"/>.</summary>
    public static void FoldAdd(ReadOnlySpan<float> cols, Span<float> x, in ConvGeometry g) => FoldAdd(cols, x, in g, g.Positions);

    /// <summary>x += fold(cols) with the rows of cols <paramref name="rowStride"/> floats apart (one image's block of a
    /// batch's [rows, N·L] columns).</summary>
    [MethodImpl(Kernel.Compile)]
    public static void FoldAdd(ReadOnlySpan<float> cols, Span<float> x, in ConvGeometry g, int rowStride)
    {
        int height = g.Height, width = g.Width, outH = g.OutH, outW = g.OutW, kernelH = g.KernelH, kernelW = g.KernelW;
        int strideH = g.StrideH, strideW = g.StrideW, padH = g.PadH, dilationH = g.DilationH, plane = height * width;
        int positions = outH * outW;
        if (rowStride < positions || cols.Length < (g.Rows - 1L) * rowStride + positions || x.Length < g.Channels * plane)
            throw new ArgumentException("Internal error: fold buffers smaller than the geometry.");
        ref float source = ref MemoryMarshal.GetReference(cols);
        ref float target = ref MemoryMarshal.GetReference(x);
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
            for (int i = 0; i < kernelH; i++)
                for (int j = 0; j < kernelW; j++, row++)
                {
                    int colOffset = j * g.DilationW - g.PadW;
                    ValidRange(colOffset, strideW, width, outW, out int owStart, out int owEnd);
                    int count = owEnd - owStart;
                    if (count <= 0) continue;
                    for (int oh = 0; oh < outH; oh++)
                    {
                        int ih = oh * strideH - padH + i * dilationH;
                        if ((uint)ih >= (uint)height) continue;
                        ref float from = ref Unsafe.Add(ref source, (nint)row * rowStride + oh * outW + owStart);
                        ref float to = ref Unsafe.Add(ref target, c * plane + ih * width + owStart * strideW + colOffset);
                        for (int k = 0, s = 0; k < count; k++, s += strideW) Unsafe.Add(ref to, s) += Unsafe.Add(ref from, k);
                    }
                }
    }

    /// <summary>to[k] = from[k·stride] for k &lt; count: eight at a time for strides 1, 2 and 4 (AVX2 shuffles), one at a
    /// time otherwise. A copy, so every path gives the same values.</summary>
    /// <remarks>A block of eight reads up to stride − 1 floats past the last element it takes, so a block runs only while
    /// another element follows it: the reads stay inside the source.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void CopyStrided(float* from, int stride, int count, float* to)
    {
        int k = 0;
        if (Avx2.IsSupported)
        {
            if (stride == 1)
            {
                for (; k + 8 <= count; k += 8) Avx.Store(to + k, Avx.LoadVector256(from + k));
            }
            else if (stride == 2)
            {
                for (; k + 8 < count; k += 8)
                {
                    float* s = from + 2 * k;
                    // per 128-bit lane: elements 0 and 2 of each load, then the 64-bit pairs back in order
                    Vector256<float> evens = Avx.Shuffle(Avx.LoadVector256(s), Avx.LoadVector256(s + 8), 0b10_00_10_00);
                    Avx.Store(to + k, Avx2.Permute4x64(evens.AsDouble(), 0b11_01_10_00).AsSingle());
                }
            }
            else if (stride == 4)
            {
                Vector256<int> order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
                for (; k + 8 < count; k += 8)
                {
                    float* s = from + 4 * k;
                    // element 0 of each 128-bit lane of four loads: [0, 2, 4, 6 | 1, 3, 5, 7], then in order
                    Vector256<float> low = Avx.Shuffle(Avx.LoadVector256(s), Avx.LoadVector256(s + 8), 0);
                    Vector256<float> high = Avx.Shuffle(Avx.LoadVector256(s + 16), Avx.LoadVector256(s + 24), 0);
                    Avx.Store(to + k, Avx2.PermuteVar8x32(Avx.Shuffle(low, high, 0b10_00_10_00), order));
                }
            }
        }
        for (; k < count; k++) to[k] = from[(nint)k * stride];
    }

    private static void Clear(ref float start, int count)
    {
        if (count > 0) MemoryMarshal.CreateSpan(ref start, count).Clear();
    }

    /// <summary>The output positions [start, end) whose input index position·stride + offset lies in [0, size).</summary>
    private static void ValidRange(int offset, int stride, int size, int outSize, out int start, out int end)
    {
        // smallest ow with ow·s + offset ≥ 0, and smallest ow with ow·s + offset ≥ size
        start = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        end = size - offset <= 0 ? 0 : (size - offset + stride - 1) / stride;
        start = Math.Min(start, outSize);
        end = Math.Clamp(end, start, outSize);
    }
}
