using System.Globalization;

namespace ArenaGrad.Nn;

/// <summary>A 2-d convolution over [N, C, H, W] (or unbatched [C, H, W]) inputs (<c>nn.Conv2d</c>): weight
/// [outChannels, inChannels / groups, kH, kW], bias [outChannels]. See <see cref="Functional.Conv2d(Tensor, Tensor, Tensor?, ValueTuple{int, int}?, ValueTuple{int, int}?, ValueTuple{int, int}?, int)"/>.</summary>
public sealed class Conv2d : Module
{
    /// <summary>Makes the weight and bias in <paramref name="arena"/>, outside any scope, initialized as PyTorch 1.13
    /// does: the weight by <c>kaiming_uniform_(a=√5)</c>, which is U(±1/√fan_in) with fan_in = inChannels / groups · kH · kW,
    /// then the bias from U(±1/√fan_in), both from the arena's seeded generator.</summary>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    /// <exception cref="ArgumentException">Non-positive groups, or channels not divisible by them (PyTorch's messages),
    /// or a non-positive kernel, stride or dilation, or a negative padding.</exception>
    public Conv2d(Arena arena, int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W)? padding = null,
        (int H, int W)? dilation = null, int groups = 1, bool bias = true)
    {
        ThrowIfScopeOpen(arena, nameof(Conv2d));
        ConvInit.CheckGroups(inChannels, outChannels, groups);
        KernelSize = kernelSize;
        Stride = stride ?? (1, 1);
        Padding = padding ?? (0, 0);
        Dilation = dilation ?? (1, 1);
        ConvInit.CheckWindow(KernelSize.H, KernelSize.W, Stride.H, Stride.W, Padding.H, Padding.W, Dilation.H, Dilation.W);
        InChannels = inChannels;
        OutChannels = outChannels;
        Groups = groups;
        using OpTransaction op = arena.BeginOp(); // weight and bias, or neither
        (Tensor w, Tensor? b) = ConvInit.Make(arena, [outChannels, inChannels / groups, kernelSize.H, kernelSize.W], bias);
        Weight = RegisterParameter("weight", w);
        if (b is Tensor bt) Bias = RegisterParameter("bias", bt);
        op.Commit();
    }

    /// <summary>A square kernel, stride, padding and dilation (<c>nn.Conv2d(in, out, k, s, p, d, groups, bias)</c>).</summary>
    /// <inheritdoc cref="Conv2d(Arena, int, int, ValueTuple{int, int}, ValueTuple{int, int}?, ValueTuple{int, int}?, ValueTuple{int, int}?, int, bool)"/>
    public Conv2d(Arena arena, int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true)
        : this(arena, inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias)
    {
    }

    /// <summary>Input channels C.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Kernel (kH, kW).</summary>
    public (int H, int W) KernelSize { get; }

    /// <summary>Stride (sH, sW).</summary>
    public (int H, int W) Stride { get; }

    /// <summary>Zero padding on each side (pH, pW).</summary>
    public (int H, int W) Padding { get; }

    /// <summary>Dilation (dH, dW).</summary>
    public (int H, int W) Dilation { get; }

    /// <summary>Groups: input and output channels are split into this many independent convolutions.</summary>
    public int Groups { get; }

    /// <summary>The weight [outChannels, inChannels / groups, kH, kW] (<c>weight</c>).</summary>
    public Tensor Weight { get; }

    /// <summary>The bias [outChannels] (<c>bias</c>), or null when made with <c>bias: false</c>.</summary>
    public Tensor? Bias { get; }

    /// <summary><c>F.conv2d(input, weight, bias, stride, padding, dilation, groups)</c>.</summary>
    /// <exception cref="ArgumentException">A wrong rank or channel count, or an input smaller than the kernel (PyTorch's messages).</exception>
    public override Tensor Forward(Tensor input) => Functional.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    protected override string ExtraRepr() => ConvInit.Repr(InChannels, OutChannels,
        [KernelSize.H, KernelSize.W], [Stride.H, Stride.W], [Padding.H, Padding.W], [Dilation.H, Dilation.W], Groups, Bias is not null);
}
