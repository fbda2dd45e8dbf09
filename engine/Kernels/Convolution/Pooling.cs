using System.Runtime.CompilerServices;

namespace ArenaGrad.Kernels.Convolution;

/// <summary>Pooling over planes [H, W] (every leading dim is a plane): max with the flat index h·W + w of the element each
/// output took (PyTorch's indices), average with PyTorch's defaults (count_include_pad, floor mode: every window's divisor
/// is kH·kW), and the adaptive average (window i covers [⌊iH/OH⌋, ⌈(i+1)H/OH⌉)); each with its backward. Scalar loops:
/// comparisons and sums in one fixed order, the same bits on every instruction set.</summary>
internal static class Pooling
{
    /// <summary>Max pool forward of <paramref name="planes"/> planes; padding is −∞. A NaN wins its window (PyTorch's
    /// <c>val &gt; max || isnan(val)</c>), and among equal maxima the first in row-major window order.</summary>
    [MethodImpl(Kernel.Compile)]
    public static void MaxForward(ReadOnlySpan<float> x, Span<float> y, Span<int> indices, int planes, in ConvGeometry g)
    {
        int inPlane = g.Height * g.Width, outPlane = g.OutH * g.OutW;
        for (int p = 0; p < planes; p++)
        {
            ReadOnlySpan<float> plane = x.Slice(p * inPlane, inPlane);
            Span<float> outValues = y.Slice(p * outPlane, outPlane);
            Span<int> outIndices = indices.Slice(p * outPlane, outPlane);
            for (int oh = 0; oh < g.OutH; oh++)
            {
                (int h0, int h1) = WindowRows(g, oh);
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    (int w0, int w1) = WindowColumns(g, ow);
                    float best = float.NegativeInfinity;
                    int bestIndex = h0 * g.Width + w0;
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++)
                        {
                            float v = plane[h * g.Width + w];
                            if (v > best || float.IsNaN(v))
                            {
                                best = v;
                                bestIndex = h * g.Width + w;
                            }
                        }
                    outValues[oh * g.OutW + ow] = best;
                    outIndices[oh * g.OutW + ow] = bestIndex;
                }
            }
        }
    }

    /// <summary>dx[plane, index] += g for every output element (the adjoint of taking x at the saved indices).</summary>
    public static void MaxBackward(ReadOnlySpan<float> gradient, ReadOnlySpan<int> indices, Span<float> dx, int planes, int inPlane, int outPlane)
    {
        for (int p = 0; p < planes; p++)
        {
            Span<float> plane = dx.Slice(p * inPlane, inPlane);
            for (int o = 0; o < outPlane; o++) plane[indices[p * outPlane + o]] += gradient[p * outPlane + o];
        }
    }

    /// <summary>Average pool forward: the window's sum over the elements inside the input, divided by kH·kW.</summary>
    [MethodImpl(Kernel.Compile)]
    public static void AverageForward(ReadOnlySpan<float> x, Span<float> y, int planes, in ConvGeometry g)
    {
        int inPlane = g.Height * g.Width, outPlane = g.OutH * g.OutW;
        float divisor = g.KernelH * g.KernelW;
        for (int p = 0; p < planes; p++)
        {
            ReadOnlySpan<float> plane = x.Slice(p * inPlane, inPlane);
            for (int oh = 0; oh < g.OutH; oh++)
            {
                (int h0, int h1) = WindowRows(g, oh);
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    (int w0, int w1) = WindowColumns(g, ow);
                    float sum = 0f;
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++) sum += plane[h * g.Width + w];
                    y[p * outPlane + oh * g.OutW + ow] = sum / divisor;
                }
            }
        }
    }

    /// <summary>dx += g / (kH·kW) over each output's window (the adjoint of <see cref="AverageForward"/>).</summary>
    [MethodImpl(Kernel.Compile)]
    public static void AverageBackward(ReadOnlySpan<float> gradient, Span<float> dx, int planes, in ConvGeometry g)
    {
        int inPlane = g.Height * g.Width, outPlane = g.OutH * g.OutW;
        float divisor = g.KernelH * g.KernelW;
        for (int p = 0; p < planes; p++)
        {
            Span<float> plane = dx.Slice(p * inPlane, inPlane);
            for (int oh = 0; oh < g.OutH; oh++)
            {
                (int h0, int h1) = WindowRows(g, oh);
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    (int w0, int w1) = WindowColumns(g, ow);
                    float share = gradient[p * outPlane + oh * g.OutW + ow] / divisor;
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++) plane[h * g.Width + w] += share;
                }
            }
        }
    }

    /// <summary>The input rows [h0, h1) under output row <paramref name="oh"/>'s window, clipped to the input (padding
    /// holds nothing: −∞ for max, zeros that still count in the average's divisor).</summary>
    private static (int H0, int H1) WindowRows(in ConvGeometry g, int oh)
    {
        int start = oh * g.StrideH - g.PadH;
        return (Math.Max(start, 0), Math.Min(start + g.KernelH, g.Height));
    }

    /// <summary>The input columns [w0, w1) under output column <paramref name="ow"/>'s window, clipped to the input.</summary>
    private static (int W0, int W1) WindowColumns(in ConvGeometry g, int ow)
    {
        int start = ow * g.StrideW - g.PadW;
        return (Math.Max(start, 0), Math.Min(start + g.KernelW, g.Width));
    }

    /// <summary>Window i of an adaptive pool from <paramref name="size"/> to <paramref name="outSize"/>: [⌊i·size/out⌋, ⌈(i+1)·size/out⌉).</summary>
    public static void AdaptiveWindow(int i, int size, int outSize, out int start, out int end)
    {
        start = (int)((long)i * size / outSize);
        end = (int)(((long)(i + 1) * size + outSize - 1) / outSize);
    }

    /// <summary>Adaptive average pool forward of planes [H, W] to [OH, OW].</summary>
    [MethodImpl(Kernel.Compile)]
    public static void AdaptiveAverageForward(ReadOnlySpan<float> x, Span<float> y, int planes, int height, int width, int outH, int outW)
    {
        int inPlane = height * width, outPlane = outH * outW;
        for (int p = 0; p < planes; p++)
        {
            ReadOnlySpan<float> plane = x.Slice(p * inPlane, inPlane);
            for (int oh = 0; oh < outH; oh++)
            {
                AdaptiveWindow(oh, height, outH, out int h0, out int h1);
                for (int ow = 0; ow < outW; ow++)
                {
                    AdaptiveWindow(ow, width, outW, out int w0, out int w1);
                    float sum = 0f;
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++) sum += plane[h * width + w];
                    y[p * outPlane + oh * outW + ow] = sum / ((h1 - h0) * (w1 - w0));
                }
            }
        }
    }

    /// <summary>dx += g / window size over each output's window.</summary>
    [MethodImpl(Kernel.Compile)]
    public static void AdaptiveAverageBackward(ReadOnlySpan<float> gradient, Span<float> dx, int planes, int height, int width, int outH, int outW)
    {
        int inPlane = height * width, outPlane = outH * outW;
        for (int p = 0; p < planes; p++)
        {
            Span<float> plane = dx.Slice(p * inPlane, inPlane);
            for (int oh = 0; oh < outH; oh++)
            {
                AdaptiveWindow(oh, height, outH, out int h0, out int h1);
                for (int ow = 0; ow < outW; ow++)
                {
                    AdaptiveWindow(ow, width, outW, out int w0, out int w1);
                    float share = gradient[p * outPlane + oh * outW + ow] / ((h1 - h0) * (w1 - w0));
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++) plane[h * width + w] += share;
                }
            }
        }
    }
}
