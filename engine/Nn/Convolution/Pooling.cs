using System.Globalization;

namespace ArenaGrad.Nn;

/// <summary>2-d max pooling (<c>nn.MaxPool2d</c>, dilation 1, ceil_mode false) over [N, C, H, W] or [C, H, W].
/// See <see cref="Functional.MaxPool2d(Tensor, ValueTuple{int, int}, ValueTuple{int, int}?, ValueTuple{int, int}?)"/>.</summary>
public sealed class MaxPool2d : Module
{
    private readonly string _repr;

    /// <summary>A square window; the stride defaults to the kernel size, as in PyTorch.</summary>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0)
    {
        KernelSize = (kernelSize, kernelSize);
        Stride = stride is int s ? (s, s) : KernelSize;
        Padding = (padding, padding);
        _repr = string.Create(CultureInfo.InvariantCulture,
            $"kernel_size={kernelSize}, stride={stride ?? kernelSize}, padding={padding}, dilation=1, ceil_mode=False");
    }

    /// <summary>A (kH, kW) window; the stride defaults to the kernel size.</summary>
    public MaxPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding ?? (0, 0);
        _repr = $"kernel_size={PoolRepr.Pair(KernelSize)}, stride={PoolRepr.Pair(Stride)}, " +
            $"padding={(padding is null ? "0" : PoolRepr.Pair(Padding))}, dilation=1, ceil_mode=False";
    }

    /// <summary>Window (kH, kW).</summary>
    public (int H, int W) KernelSize { get; }

    /// <summary>Stride (sH, sW).</summary>
    public (int H, int W) Stride { get; }

    /// <summary>Padding (pH, pW), counted as −∞.</summary>
    public (int H, int W) Padding { get; }

    /// <summary><c>F.max_pool2d(input, kernel_size, stride, padding)</c>.</summary>
    /// <exception cref="ArgumentException">A wrong rank, a padding above half the kernel or an input smaller than the window (PyTorch's messages).</exception>
    public override Tensor Forward(Tensor input) => Functional.MaxPool2d(input, KernelSize, Stride, Padding);

    /// <inheritdoc/>
    protected override string ExtraRepr() => _repr;
}

/// <summary>2-d average pooling (<c>nn.AvgPool2d</c> with ceil_mode false and count_include_pad true: every window is
/// divided by kH·kW) over [N, C, H, W] or [C, H, W]. See
/// <see cref="Functional.AvgPool2d(Tensor, ValueTuple{int, int}, ValueTuple{int, int}?, ValueTuple{int, int}?)"/>.</summary>
public sealed class AvgPool2d : Module
{
    private readonly string _repr;

    /// <summary>A square window; the stride defaults to the kernel size, as in PyTorch.</summary>
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0)
    {
        KernelSize = (kernelSize, kernelSize);
        Stride = stride is int s ? (s, s) : KernelSize;
        Padding = (padding, padding);
        _repr = string.Create(CultureInfo.InvariantCulture, $"kernel_size={kernelSize}, stride={stride ?? kernelSize}, padding={padding}");
    }

    /// <summary>A (kH, kW) window; the stride defaults to the kernel size.</summary>
    public AvgPool2d((int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding ?? (0, 0);
        _repr = $"kernel_size={PoolRepr.Pair(KernelSize)}, stride={PoolRepr.Pair(Stride)}, padding={(padding is null ? "0" : PoolRepr.Pair(Padding))}";
    }

    /// <summary>Window (kH, kW).</summary>
    public (int H, int W) KernelSize { get; }

    /// <summary>Stride (sH, sW).</summary>
    public (int H, int W) Stride { get; }

    /// <summary>Zero padding (pH, pW), counted in the divisor.</summary>
    public (int H, int W) Padding { get; }

    /// <summary><c>F.avg_pool2d(input, kernel_size, stride, padding)</c>.</summary>
    /// <exception cref="ArgumentException">A wrong rank, a padding above half the kernel or an input smaller than the window (PyTorch's messages).</exception>
    public override Tensor Forward(Tensor input) => Functional.AvgPool2d(input, KernelSize, Stride, Padding);

    /// <inheritdoc/>
    protected override string ExtraRepr() => _repr;
}

/// <summary>Adaptive 2-d average pooling to a fixed output size (<c>nn.AdaptiveAvgPool2d</c>) over [N, C, H, W] or
/// [C, H, W]. See <see cref="Functional.AdaptiveAvgPool2d"/>.</summary>
/// <param name="outputSize">(OH, OW).</param>
public sealed class AdaptiveAvgPool2d((int H, int W) outputSize) : Module
{
    /// <summary>A square output size (<c>nn.AdaptiveAvgPool2d(5)</c>).</summary>
    public AdaptiveAvgPool2d(int outputSize) : this((outputSize, outputSize)) => _square = true;

    private readonly bool _square;

    /// <summary>(OH, OW).</summary>
    public (int H, int W) OutputSize { get; } = outputSize;

    /// <summary><c>F.adaptive_avg_pool2d(input, output_size)</c>.</summary>
    /// <exception cref="ArgumentException">A wrong rank or an empty non-batch dim (PyTorch's messages).</exception>
    public override Tensor Forward(Tensor input) => Functional.AdaptiveAvgPool2d(input, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        "output_size=" + (_square ? OutputSize.H.ToString(CultureInfo.InvariantCulture) : PoolRepr.Pair(OutputSize));
}

internal static class PoolRepr
{
    /// <summary>A Python pair: (2, 3).</summary>
    public static string Pair((int H, int W) value) => string.Create(CultureInfo.InvariantCulture, $"({value.H}, {value.W})");
}
