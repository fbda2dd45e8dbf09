namespace ArenaGrad.Kernels.Convolution;

/// <summary>One image plane's sliding-window geometry: the [C, H, W] input, the kernel, stride, padding and dilation, and
/// the [OH, OW] grid of window positions (PyTorch's (H + 2p − d(k − 1) − 1) / s + 1, rounded down). A 1-d signal is the
/// H = 1, kernel height 1 case.</summary>
internal readonly struct ConvGeometry
{
    public readonly int Channels, Height, Width;
    public readonly int KernelH, KernelW, StrideH, StrideW, PadH, PadW, DilationH, DilationW;
    public readonly int OutH, OutW;

    public ConvGeometry(int channels, int height, int width, int kernelH, int kernelW, int strideH, int strideW,
        int padH, int padW, int dilationH, int dilationW)
    {
        Channels = channels; Height = height; Width = width;
        KernelH = kernelH; KernelW = kernelW; StrideH = strideH; StrideW = strideW;
        PadH = padH; PadW = padW; DilationH = dilationH; DilationW = dilationW;
        OutH = OutputSize(height, kernelH, strideH, padH, dilationH);
        OutW = OutputSize(width, kernelW, strideW, padW, dilationW);
    }

    /// <summary>Window positions along one dim (may be ≤ 0 when the kernel does not fit: the caller refuses that).</summary>
    public static int OutputSize(int size, int kernel, int stride, int pad, int dilation) =>
        (int)(FloorDivide(size + 2L * pad - (long)dilation * (kernel - 1) - 1, stride) + 1);

    /// <summary>a / b rounded toward −∞ (PyTorch's div_rtn; C# rounds toward 0), for b &gt; 0.</summary>
    public static long FloorDivide(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    /// <summary>Elements of one input plane stack [C, H, W].</summary>
    public int InputLength => Channels * Height * Width;

    /// <summary>Window positions, the columns of the unfolded matrix.</summary>
    public int Positions => OutH * OutW;

    /// <summary>Rows of the unfolded matrix: C·kH·kW.</summary>
    public int Rows => Channels * KernelH * KernelW;
}
