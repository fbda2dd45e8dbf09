namespace ArenaGrad.Nn;

/// <summary><c>nn.RNNCellBase</c>: what <see cref="GRUCell"/> and <see cref="LSTMCell"/> share, PyTorch's parameters
/// <c>weight_ih</c> [G·H, I], <c>weight_hh</c> [G·H, H], <c>bias_ih</c> and <c>bias_hh</c> [G·H] (G gates stacked in
/// PyTorch's order: r, z, n for GRU; i, f, g, o for LSTM), their sizes and repr.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "PyTorch's names.")]
public abstract class RNNCellBase : Module
{
    /// <summary>Makes the parameters in <paramref name="arena"/>, outside any scope, each U(−1/√H, 1/√H) from the
    /// arena's generator in PyTorch's order, all or none.</summary>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    /// <exception cref="ArgumentException">A size PyTorch refuses.</exception>
    private protected RNNCellBase(Arena arena, string typeName, int gates, int inputSize, int hiddenSize, bool bias)
    {
        ThrowIfScopeOpen(arena, typeName);
        RecurrentChecks.CheckSizes(inputSize, hiddenSize, 1);
        using OpTransaction op = arena.BeginOp(); // every parameter or none
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        float k = RecurrentChecks.Bound(hiddenSize);
        WeightIh = RegisterParameter("weight_ih", arena.Uniform([gates * hiddenSize, inputSize], -k, k, requiresGrad: true));
        WeightHh = RegisterParameter("weight_hh", arena.Uniform([gates * hiddenSize, hiddenSize], -k, k, requiresGrad: true));
        if (bias)
        {
            BiasIh = RegisterParameter("bias_ih", arena.Uniform([gates * hiddenSize], -k, k, requiresGrad: true));
            BiasHh = RegisterParameter("bias_hh", arena.Uniform([gates * hiddenSize], -k, k, requiresGrad: true));
        }
        op.Commit();
    }

    /// <summary>I, the input's last dim.</summary>
    public int InputSize { get; }

    /// <summary>H, the state's size.</summary>
    public int HiddenSize { get; }

    /// <summary>The input weights of every gate stacked, shape [G·H, I] (<c>weight_ih</c>).</summary>
    public Tensor WeightIh { get; }

    /// <summary>The state weights of every gate stacked, shape [G·H, H] (<c>weight_hh</c>).</summary>
    public Tensor WeightHh { get; }

    /// <summary>The input biases, shape [G·H] (<c>bias_ih</c>), or null without bias.</summary>
    public Tensor? BiasIh { get; }

    /// <summary>The state biases, shape [G·H] (<c>bias_hh</c>), or null without bias.</summary>
    public Tensor? BiasHh { get; }

    /// <inheritdoc/>
    protected override string ExtraRepr() => RecurrentChecks.CellRepr(InputSize, HiddenSize, BiasIh is not null);
}
