using System.Text;
using ArenaGrad.Memory;

namespace ArenaGrad;

/// <summary>Shape arithmetic shared by the ops: element counts, broadcasting, dims, and PyTorch's
/// way of writing shapes in messages.</summary>
internal static class ShapeMath
{
    /// <summary>Product of the dims, checked: rank at most <see cref="TensorLayout.MaxRank"/>, no negative dims,
    /// fewer than 2³¹ elements, and, for an empty tensor, a product of its non-zero dims below 2³¹ too (strides
    /// are 32-bit, so [0, 46341, 46341] would overflow them; PyTorch allows such shapes, this engine refuses them).</summary>
    public static long CheckedNumel(ReadOnlySpan<int> shape)
    {
        if (shape.Length > TensorLayout.MaxRank)
            throw new ArgumentException($"Expected a shape of rank at most {TensorLayout.MaxRank}, but got rank {shape.Length}: {Format(shape)}.");
        long numel = 1, nonZero = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"Trying to create tensor with negative dimension {d}: {Format(shape)}");
            numel *= d;
            if (numel > int.MaxValue)
                throw new ArgumentException($"Expected fewer than 2^31 elements, but shape {Format(shape)} has more.");
            if (d != 0) nonZero = Math.Min(nonZero * d, 1L << 32);
        }
        if (nonZero > int.MaxValue)
            throw new ArgumentException(
                $"Expected the product of the non-zero dims to be below 2^31 (strides are 32-bit), but shape {Format(shape)} has {nonZero}{(nonZero == 1L << 32 ? " or more" : "")}.");
        return numel;
    }

    /// <summary>A dim for <c>size(dim)</c>: as <see cref="NormalizeDim"/>, but a scalar has no dims (PyTorch's message).</summary>
    public static int NormalizeSizeDim(int dim, int rank)
    {
        if (rank == 0)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"Dimension specified as {dim} but tensor has no dimensions");
        return NormalizeDim(dim, rank);
    }

    /// <summary>A float as PyTorch's C++ messages print a double: nan, inf, -inf, 0.5, 1e+20.</summary>
    public static string FormatScalar(double value) =>
        double.IsNaN(value) ? "nan"
        : double.IsPositiveInfinity(value) ? "inf"
        : double.IsNegativeInfinity(value) ? "-inf"
        : value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture).Replace("E+", "e+").Replace("E-", "e-");

    /// <summary>Row-major strides of a contiguous tensor.</summary>
    public static void ContiguousStrides(ReadOnlySpan<int> shape, Span<int> strides)
    {
        int stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= shape[d];
        }
    }

    /// <summary>NumPy broadcasting of two shapes into <paramref name="result"/> (length max rank); returns the rank.
    /// PyTorch's message when a dim differs and neither is 1.</summary>
    public static int BroadcastShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> result)
    {
        int rank = Math.Max(a.Length, b.Length);
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException(
                    $"The size of tensor a ({da}) must match the size of tensor b ({db}) at non-singleton dimension {i}");
            result[i] = da == 1 ? db : da;
        }
        return rank;
    }

    /// <summary>Strides that read a contiguous tensor of <paramref name="inShape"/> as if broadcast to
    /// <paramref name="outShape"/>: right-aligned, 0 along every broadcast dim.</summary>
    public static void BroadcastStrides(ReadOnlySpan<int> inShape, ReadOnlySpan<int> outShape, Span<int> strides)
    {
        int offset = outShape.Length - inShape.Length;
        int stride = 1;
        for (int d = outShape.Length - 1; d >= 0; d--)
        {
            int i = d - offset;
            if (i < 0 || inShape[i] == 1) strides[d] = 0;
            else strides[d] = stride;
            if (i >= 0) stride *= inShape[i];
        }
    }

    /// <summary>A possibly negative dim turned into 0..rank-1, with PyTorch's message when out of range.</summary>
    public static int NormalizeDim(int dim, int rank)
    {
        int effectiveRank = Math.Max(rank, 1); // PyTorch lets a scalar be indexed by dim 0 or -1
        if (dim < -effectiveRank || dim >= effectiveRank)
            throw new ArgumentOutOfRangeException(nameof(dim), dim,
                $"Dimension out of range (expected to be in range of [{-effectiveRank}, {effectiveRank - 1}], but got {dim})");
        return dim < 0 ? dim + effectiveRank : dim;
    }

    /// <summary>Views a shape as [outer, dim, inner] around axis <paramref name="axis"/> (-1: the whole tensor as one axis).</summary>
    public static void SplitAxis(ReadOnlySpan<int> shape, int axis, out int outer, out int dim, out int inner)
    {
        if (axis < 0 || shape.Length == 0)
        {
            outer = 1; inner = 1; dim = 1;
            foreach (int d in shape) dim *= d;
            return;
        }
        outer = 1; inner = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        for (int d = axis + 1; d < shape.Length; d++) inner *= shape[d];
        dim = shape[axis];
    }

    /// <summary>"[2, 3]"</summary>
    public static string Format(ReadOnlySpan<int> shape)
    {
        var text = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++) text.Append(i == 0 ? "" : ", ").Append(shape[i]);
        return text.Append(']').ToString();
    }

    /// <summary>"torch.Size([2, 3])"</summary>
    public static string TorchSize(ReadOnlySpan<int> shape) => $"torch.Size({Format(shape)})";

    /// <summary>"[torch.FloatTensor [2, 3]]"</summary>
    public static string TorchTypeAndShape(ReadOnlySpan<int> shape) => $"[torch.FloatTensor {Format(shape)}]";

    /// <summary>"2x3", as PyTorch writes matrices in matmul errors.</summary>
    public static string Matrix(int rows, int columns) => $"{rows}x{columns}";
}
