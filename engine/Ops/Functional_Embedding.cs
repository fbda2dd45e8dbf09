using ArenaGrad.Memory;
using ArenaGrad.Tape;

namespace ArenaGrad;

// Embedding lookup (issue 18). Forward and backward: OpCode.Embedding in Tape/OpTable.cs (Tape/*_Embedding.cs, kernels
// in Kernels/Indexing/EmbeddingKernels.cs).
public static partial class Functional
{
    /// <summary><c>F.embedding(input, weight, padding_idx)</c>: y[..., :] = weight[input[...], :] for an Int32 index of any
    /// shape (0-d included) and a weight [numEmbeddings, embeddingDim]; y is [..., embeddingDim]. The row
    /// <paramref name="paddingIdx"/> (negative counts from the end, as in PyTorch) gets no gradient; its values are used as
    /// they are. grad_fn <c>EmbeddingBackward0</c>: dweight[input[i]] += g[i], repeated indices accumulate.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index outside [0, numEmbeddings) (PyTorch's <c>index out of range in
    /// self</c>; negative indices included), or a padding index outside [−numEmbeddings, numEmbeddings) (<c>Padding_idx must be
    /// within num_embeddings</c>).</exception>
    /// <exception cref="ArgumentException">The index is not Int32, or the weight is not a Float32 matrix.</exception>
    public static Tensor Embedding(Tensor input, Tensor weight, int? paddingIdx = null)
    {
        Arena arena = weight.Arena;
        int w = weight.Slot, i = arena.OwnSlot(input);
        arena.RequireFloat(w);
        if (arena.DTypeOf(i) != DType.Int32)
            throw new ArgumentException(
                $"Expected tensor for argument #1 'indices' to have one of the following scalar types: Int32; but got {arena.DTypeOf(i)} instead (while checking arguments for embedding)",
                nameof(input));
        ReadOnlySpan<int> weightShape = arena.ShapeOf(w);
        if (weightShape.Length != 2) throw new ArgumentException($"'weight' must be 2-D, got {weightShape.Length}-D (shape {ShapeMath.Format(weightShape)})", nameof(weight));
        int num = weightShape[0], dim = weightShape[1];
        int padding = NormalizePaddingIndex(paddingIdx, num);
        foreach (int v in arena.IntValues(i)) Kernels.IndexKernels.CheckIndexSelect(v, num);
        ReadOnlySpan<int> indexShape = arena.ShapeOf(i);
        if (indexShape.Length + 1 > TensorLayout.MaxRank)
            throw new ArgumentException($"embedding adds a dim to the index, which has {indexShape.Length}, the most a tensor can have", nameof(input));
        Span<int> outShape = stackalloc int[indexShape.Length + 1];
        indexShape.CopyTo(outShape);
        outShape[^1] = dim;
        bool record = arena.ShouldRecord(w);
        int y = arena.NewSlot(outShape, record);
        var instruction = new Instruction(OpCode.Embedding, y, w, i) { Int0 = padding };
        ForwardRules.Embedding(arena, in instruction);
        arena.Record(in instruction, record);
        return arena.Handle(y);
    }

    /// <summary>PyTorch's padding index check and wrap: −num ≤ index &lt; num, negative counted from the end; -1 for none.</summary>
    internal static int NormalizePaddingIndex(int? paddingIdx, int num)
    {
        if (paddingIdx is not int padding) return -1;
        if (padding >= num || padding < -num)
            throw new ArgumentOutOfRangeException(nameof(paddingIdx), padding, "Padding_idx must be within num_embeddings");
        return padding < 0 ? padding + num : padding;
    }
}
