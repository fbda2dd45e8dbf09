using System.Globalization;
using System.Text;

namespace ArenaGrad.Nn;

/// <summary>What Conv1d and Conv2d share: PyTorch's constructor checks, initialization and repr.</summary>
internal static class ConvInit
{
    /// <summary>_ConvNd's checks, in its order.</summary>
    public static void CheckGroups(int inChannels, int outChannels, int groups)
    {
        if (groups <= 0) throw new ArgumentException("groups must be a positive integer", nameof(groups));
        if (inChannels % groups != 0) throw new ArgumentException("in_channels must be divisible by groups", nameof(inChannels));
        if (outChannels % groups != 0) throw new ArgumentException("out_channels must be divisible by groups", nameof(outChannels));
    }

    /// <summary>Refuses at construction the window attributes every forward would refuse (PyTorch refuses them at the
    /// first forward, with these messages).</summary>
    public static void CheckWindow(int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
    {
        if (kh <= 0 || kw <= 0) throw new ArgumentException($"kernel size should be greater than zero, but got ({kh}, {kw})");
        if (ph < 0 || pw < 0) throw new ArgumentException("negative padding is not supported");
        if (sh <= 0 || sw <= 0) throw new ArgumentException("non-positive stride is not supported");
        if (dh <= 0 || dw <= 0) throw new ArgumentException("non-positive dilation is not supported");
    }

    /// <summary>The weight of <paramref name="shape"/> by kaiming_uniform_(a=√5), then the bias, as _ConvNd.reset_parameters.</summary>
    public static (Tensor Weight, Tensor? Bias) Make(Arena arena, ReadOnlySpan<int> shape, bool bias)
    {
        long fanIn = 1;
        for (int d = 1; d < shape.Length; d++) fanIn *= shape[d];
        // PyTorch's arithmetic, in double: gain = √(2 / (1 + a²)), std = gain / √fan_in, bound = √3 · std.
        double gain = Math.Sqrt(2.0 / (1 + 5.0));
        float weightBound = fanIn > 0 ? (float)(Math.Sqrt(3.0) * (gain / Math.Sqrt(fanIn))) : 0f;
        float biasBound = fanIn > 0 ? (float)(1 / Math.Sqrt(fanIn)) : 0f;
        Tensor weight = arena.Uniform(shape, -weightBound, weightBound, requiresGrad: true);
        Tensor? b = bias ? arena.Uniform([shape[0]], -biasBound, biasBound, requiresGrad: true) : null;
        return (weight, b);
    }

    /// <summary>_ConvNd.extra_repr: <c>4, 32, kernel_size=(8, 8), stride=(4, 4)</c>, then padding, dilation, groups and
    /// bias where they differ from the defaults.</summary>
    public static string Repr(int inChannels, int outChannels, ReadOnlySpan<int> kernel, ReadOnlySpan<int> stride, ReadOnlySpan<int> padding,
        ReadOnlySpan<int> dilation, int groups, bool bias)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{inChannels}, {outChannels}, kernel_size={Tuple(kernel)}, stride={Tuple(stride)}");
        if (padding.ContainsAnyExcept(0)) text.Append(", padding=").Append(Tuple(padding));
        if (dilation.ContainsAnyExcept(1)) text.Append(", dilation=").Append(Tuple(dilation));
        if (groups != 1) text.Append(CultureInfo.InvariantCulture, $", groups={groups}");
        if (!bias) text.Append(", bias=False");
        return text.ToString();
    }

    /// <summary>A Python tuple: (3,) or (3, 5).</summary>
    public static string Tuple(ReadOnlySpan<int> values) =>
        values.Length == 1 ? string.Create(CultureInfo.InvariantCulture, $"({values[0]},)")
            : "(" + string.Join(", ", Array.ConvertAll(values.ToArray(), v => v.ToString(CultureInfo.InvariantCulture))) + ")";
}
