namespace ArenaGrad.Nn;

/// <summary><c>nn.RNNBase</c>: what <see cref="GRU"/> and <see cref="LSTM"/> share, a stack of L recurrent layers with
/// PyTorch's parameters <c>weight_ih_l{k}</c> [G·H, I or H], <c>weight_hh_l{k}</c> [G·H, H], <c>bias_ih_l{k}</c> and
/// <c>bias_hh_l{k}</c> [G·H] (G gates: 3 for GRU, 4 for LSTM), their sizes and repr.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "PyTorch's names.")]
public abstract class RNNBase : Module
{
    /// <summary>Per layer: weight_ih, weight_hh, bias_ih, bias_hh (the biases default when absent).</summary>
    private protected readonly Tensor[] Weights;

    /// <summary>Makes every layer's parameters in <paramref name="arena"/>, outside any scope, each U(−1/√H, 1/√H) from the
    /// arena's generator in PyTorch's order, all or none.</summary>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    /// <exception cref="ArgumentException">A size PyTorch refuses.</exception>
    private protected RNNBase(Arena arena, string typeName, int gates, int inputSize, int hiddenSize, int numLayers, bool bias, bool batchFirst)
    {
        ThrowIfScopeOpen(arena, typeName);
        RecurrentChecks.CheckSizes(inputSize, hiddenSize, numLayers);
        using OpTransaction op = arena.BeginOp(); // every parameter or none
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        Bias = bias;
        BatchFirst = batchFirst;
        Weights = new Tensor[4 * numLayers];
        float k = RecurrentChecks.Bound(hiddenSize);
        for (int l = 0; l < numLayers; l++)
        {
            int layerInput = l == 0 ? inputSize : hiddenSize;
            Weights[4 * l] = RegisterParameter($"weight_ih_l{l}", arena.Uniform([gates * hiddenSize, layerInput], -k, k, requiresGrad: true));
            Weights[4 * l + 1] = RegisterParameter($"weight_hh_l{l}", arena.Uniform([gates * hiddenSize, hiddenSize], -k, k, requiresGrad: true));
            if (!bias) continue;
            Weights[4 * l + 2] = RegisterParameter($"bias_ih_l{l}", arena.Uniform([gates * hiddenSize], -k, k, requiresGrad: true));
            Weights[4 * l + 3] = RegisterParameter($"bias_hh_l{l}", arena.Uniform([gates * hiddenSize], -k, k, requiresGrad: true));
        }
        op.Commit();
    }

    /// <summary>I, the input's last dim.</summary>
    public int InputSize { get; }

    /// <summary>H, each layer's state size.</summary>
    public int HiddenSize { get; }

    /// <summary>L, the number of stacked layers.</summary>
    public int NumLayers { get; }

    /// <summary>Whether the layers have biases.</summary>
    public bool Bias { get; }

    /// <summary>Whether a batched input and output are [B, T, ·] rather than [T, B, ·] (the states are [L, B, H] either way).</summary>
    public bool BatchFirst { get; }

    /// <summary>Layer <paramref name="layer"/>'s <c>weight_ih_l{layer}</c>.</summary>
    public Tensor WeightIh(int layer) => Weights[4 * CheckLayer(layer)];

    /// <summary>Layer <paramref name="layer"/>'s <c>weight_hh_l{layer}</c>.</summary>
    public Tensor WeightHh(int layer) => Weights[4 * CheckLayer(layer) + 1];

    /// <summary>Layer <paramref name="layer"/>'s <c>bias_ih_l{layer}</c>, or null without bias.</summary>
    public Tensor? BiasIh(int layer) => Bias ? Weights[4 * CheckLayer(layer) + 2] : null;

    /// <summary>Layer <paramref name="layer"/>'s <c>bias_hh_l{layer}</c>, or null without bias.</summary>
    public Tensor? BiasHh(int layer) => Bias ? Weights[4 * CheckLayer(layer) + 3] : null;

    /// <inheritdoc/>
    protected override string ExtraRepr() => RecurrentChecks.LayerRepr(InputSize, HiddenSize, NumLayers, Bias, BatchFirst);

    private int CheckLayer(int layer) =>
        (uint)layer < (uint)NumLayers ? layer : throw new ArgumentOutOfRangeException(nameof(layer), layer, $"The module has {NumLayers} layers.");
}
