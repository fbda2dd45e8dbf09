namespace ArenaGrad.Nn;

/// <summary>A 1-d convolution over [N, C, L] (or unbatched [C, L]) inputs (<c>nn.Conv1d</c>): weight
/// [outChannels, inChannels / groups, kernelSize], bias [outChannels]. See <see cref="Functional.Conv1d"/>.</summary>
public sealed class Conv1d : Module
{
    /// <summary>Makes the weight and bias in <paramref name="arena"/>, outside any scope, initialized as PyTorch 1.13
    /// does: the weight by <c>kaiming_uniform_(a=√5)</c>, which is U(±1/√fan_in) with fan_in = inChannels / groups · kernelSize,
    /// then the bias from U(±1/√fan_in), both from the arena's seeded generator.</summary>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    /// <exception cref="ArgumentException">Non-positive groups, or channels not divisible by them (PyTorch's messages),
    /// or a non-positive kernel, stride or dilation, or a negative padding.</exception>
    public Conv1d(Arena arena, int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1,
        int groups = 1, bool bias = true)
    {
        ThrowIfScopeOpen(arena, nameof(Conv1d));
        ConvInit.CheckGroups(inChannels, outChannels, groups);
        ConvInit.CheckWindow(1, kernelSize, 1, stride, 0, padding, 1, dilation);
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        Groups = groups;
        using OpTransaction op = arena.BeginOp(); // weight and bias, or neither
        (Tensor w, Tensor? b) = ConvInit.Make(arena, [outChannels, inChannels / groups, kernelSize], bias);
        Weight = RegisterParameter("weight", w);
        if (b is Tensor bt) Bias = RegisterParameter("bias", bt);
        op.Commit();
    }

    /// <summary>Input channels C.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Kernel length.</summary>
    public int KernelSize { get; }

    /// <summary>Stride.</summary>
    public int Stride { get; }

    /// <summary>Zero padding on each side.</summary>
    public int Padding { get; }

    /// <summary>Dilation.</summary>
    public int Dilation { get; }

    /// <summary>Groups: input and output channels are split into this many independent convolutions.</summary>
    public int Groups { get; }

    /// <summary>The weight [outChannels, inChannels / groups, kernelSize] (<c>weight</c>).</summary>
    public Tensor Weight { get; }

    /// <summary>The bias [outChannels] (<c>bias</c>), or null when made with <c>bias: false</c>.</summary>
    public Tensor? Bias { get; }

    /// <summary><c>F.conv1d(input, weight, bias, stride, padding, dilation, groups)</c>.</summary>
    /// <exception cref="ArgumentException">A wrong rank or channel count, or an input shorter than the kernel (PyTorch's messages).</exception>
    public override Tensor Forward(Tensor input) => Functional.Conv1d(input, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    protected override string ExtraRepr() => ConvInit.Repr(InChannels, OutChannels, [KernelSize], [Stride], [Padding], [Dilation], Groups, Bias is not null);
}
