using System.Runtime.CompilerServices;

namespace ArenaGrad.Kernels.Convolution;

/// <summary>F.unfold and F.fold on one image: the [C·kH·kW, OH·OW] matrix of sliding windows (row (c·kH + i)·kW + j,
/// column oh·OW + ow holds x[c, oh·sH − pH + i·dH, ow·sW − pW + j·dW], 0 outside), and its adjoint, which adds each
/// column entry back to the input element it came from. Plain copies and adds, so every instruction set gives the same
/// bits; the convolution's arithmetic is in the GEMM.</summary>
internal static class Im2Col
{
    /// <summary>cols = unfold(x) for one image x [C, H, W].</summary>
    [MethodImpl(Kernel.Compile)]
    public static void Unfold(ReadOnlySpan<float> x, Span<float> cols, in ConvGeometry g)
    {
        int positions = g.Positions;
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            ReadOnlySpan<float> plane = x.Slice(c * g.Height * g.Width, g.Height * g.Width);
            for (int i = 0; i < g.KernelH; i++)
                for (int j = 0; j < g.KernelW; j++, row++)
                {
                    Span<float> target = cols.Slice(row * positions, positions);
                    int colOffset = j * g.DilationW - g.PadW;
                    // the output columns whose input column is inside [0, W): ow in [owStart, owEnd)
                    ValidRange(colOffset, g.StrideW, g.Width, g.OutW, out int owStart, out int owEnd);
                    for (int oh = 0; oh < g.OutH; oh++)
                    {
                        Span<float> line = target.Slice(oh * g.OutW, g.OutW);
                        int ih = oh * g.StrideH - g.PadH + i * g.DilationH;
                        if ((uint)ih >= (uint)g.Height || owStart >= owEnd)
                        {
                            line.Clear();
                            continue;
                        }
                        line[..owStart].Clear();
                        line[owEnd..].Clear();
                        ReadOnlySpan<float> source = plane.Slice(ih * g.Width, g.Width);
                        if (g.StrideW == 1)
                            source.Slice(owStart + colOffset, owEnd - owStart).CopyTo(line[owStart..owEnd]);
                        else
                            for (int ow = owStart, iw = owStart * g.StrideW + colOffset; ow < owEnd; ow++, iw += g.StrideW)
                                line[ow] = source[iw];
                    }
                }
        }
    }

    /// <summary>x += fold(cols) for one image x [C, H, W]: the adjoint of <see cref="Unfold"/>.</summary>
    [MethodImpl(Kernel.Compile)]
    public static void FoldAdd(ReadOnlySpan<float> cols, Span<float> x, in ConvGeometry g)
    {
        int positions = g.Positions;
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            Span<float> plane = x.Slice(c * g.Height * g.Width, g.Height * g.Width);
            for (int i = 0; i < g.KernelH; i++)
                for (int j = 0; j < g.KernelW; j++, row++)
                {
                    ReadOnlySpan<float> source = cols.Slice(row * positions, positions);
                    int colOffset = j * g.DilationW - g.PadW;
                    ValidRange(colOffset, g.StrideW, g.Width, g.OutW, out int owStart, out int owEnd);
                    if (owStart >= owEnd) continue;
                    for (int oh = 0; oh < g.OutH; oh++)
                    {
                        int ih = oh * g.StrideH - g.PadH + i * g.DilationH;
                        if ((uint)ih >= (uint)g.Height) continue;
                        ReadOnlySpan<float> line = source.Slice(oh * g.OutW, g.OutW);
                        Span<float> target = plane.Slice(ih * g.Width, g.Width);
                        for (int ow = owStart, iw = owStart * g.StrideW + colOffset; ow < owEnd; ow++, iw += g.StrideW)
                            target[iw] += line[ow];
                    }
                }
        }
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
