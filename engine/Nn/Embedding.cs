using System.Globalization;

namespace ArenaGrad.Nn;

/// <summary><c>nn.Embedding</c>: a lookup table [numEmbeddings, embeddingDim] (<c>weight</c>) indexed by an Int32 tensor of
/// any shape; the output is [..., embeddingDim].</summary>
public sealed class Embedding : Module
{
    /// <summary>Makes the weight in <paramref name="arena"/>, outside any scope, N(0, 1) from the arena's seeded generator, with
    /// the padding row zeroed as PyTorch's <c>reset_parameters</c> does. A negative <paramref name="paddingIdx"/> counts from
    /// the end (−1 is the last row).</summary>
    /// <exception cref="InvalidOperationException">An arena scope is open.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="paddingIdx"/> outside [−numEmbeddings, numEmbeddings)
    /// (<c>Padding_idx must be within num_embeddings</c>).</exception>
    public Embedding(Arena arena, int numEmbeddings, int embeddingDim, int? paddingIdx = null)
    {
        ThrowIfScopeOpen(arena, nameof(Embedding));
        int padding = Functional.NormalizePaddingIndex(paddingIdx, numEmbeddings);
        using OpTransaction op = arena.BeginOp();
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        PaddingIdx = padding < 0 ? null : padding;
        Weight = RegisterParameter("weight", arena.Randn([numEmbeddings, embeddingDim], requiresGrad: true));
        if (padding >= 0) Weight.AsSpanUnsafely().Slice(padding * embeddingDim, embeddingDim).Clear();
        op.Commit();
    }

    /// <summary>Rows of the table.</summary>
    public int NumEmbeddings { get; }

    /// <summary>Length of each row.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The row that gets no gradient, wrapped to [0, numEmbeddings) (PyTorch stores it wrapped), or null.</summary>
    public int? PaddingIdx { get; }

    /// <summary>The table [numEmbeddings, embeddingDim] (<c>weight</c>).</summary>
    public Tensor Weight { get; }

    /// <summary>The rows of <see cref="Weight"/> named by <paramref name="input"/> (Int32, any shape): [..., embeddingDim]
    /// (<c>F.embedding</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index outside [0, numEmbeddings) (<c>index out of range in self</c>).</exception>
    /// <exception cref="ArgumentException">The input is not Int32.</exception>
    public override Tensor Forward(Tensor input) => Functional.Embedding(input, Weight, PaddingIdx);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        string.Create(CultureInfo.InvariantCulture, $"{NumEmbeddings}, {EmbeddingDim}{(PaddingIdx is int p ? $", padding_idx={p}" : "")}");
}
