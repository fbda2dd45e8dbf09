using System.Globalization;
using ArenaGrad.Memory;
using ArenaGrad.Nn;

namespace ArenaGrad.Distributions;

/// <summary>torch.distributions' argument validation (<c>validate_args=True</c>, PyTorch's default): its constraint
/// checks and its messages, word for word, as <see cref="ArgumentException"/>s.</summary>
/// <remarks>Checks read values through the arena's internal spans rather than <c>AsSpanUnsafely</c>, so a step that
/// builds a distribution can still be captured; a replay does not check again (it repeats the captured ops only).</remarks>
internal static class Validation
{
    /// <summary>Whether any element of a Float32 tensor is NaN (<c>constraints.real</c> fails).</summary>
    public static bool AnyNaN(Tensor t)
    {
        Arena arena = t.Arena;
        foreach (float v in arena.Values(t.Slot)) if (float.IsNaN(v)) return true;
        return false;
    }

    /// <summary>Whether any element is not &gt; 0 (<c>constraints.positive</c> fails; NaN fails too).</summary>
    public static bool AnyNotPositive(Tensor t)
    {
        Arena arena = t.Arena;
        foreach (float v in arena.Values(t.Slot)) if (!(v > 0f)) return true;
        return false;
    }

    /// <summary>Distribution._validate_sample's shape check: from the right, every dim of the value and of the batch
    /// shape must be equal or 1 (the event shape is () for the three distributions here).</summary>
    public static void CheckBroadcastable(ReadOnlySpan<int> valueShape, ReadOnlySpan<int> batch, string paramName)
    {
        for (int i = 1; i <= Math.Min(valueShape.Length, batch.Length); i++)
        {
            int a = valueShape[^i], b = batch[^i];
            if (a != 1 && b != 1 && a != b)
                throw new ArgumentException(
                    $"Value is not broadcastable with batch_shape+event_shape: {ShapeMath.TorchSize(valueShape)} vs {ShapeMath.TorchSize(batch)}.", paramName);
        }
    }

    /// <summary>PyTorch's message for a parameter outside its constraint: its shape as a Python tuple, the
    /// distribution's repr, the constraint's repr and the offending tensor as printed.</summary>
    public static ArgumentException InvalidParameter(string name, Tensor value, string distribution, string constraint) =>
        new($"Expected parameter {name} (Tensor of shape {PythonShape(value.Shape)}) of distribution {distribution} " +
            $"to satisfy the constraint {constraint}, but found invalid values:\n{Formatted(value)}", name);

    /// <summary>PyTorch's message for a value outside the support.</summary>
    public static ArgumentException OutsideSupport(Tensor outside, string support, string distribution, string paramName) =>
        new($"Expected value argument (Tensor of shape {PythonShape(outside.Shape)}) to be within the support ({support}) " +
            $"of the distribution {distribution}, but found invalid values:\n{Formatted(outside)}", paramName);

    /// <summary>How <c>Distribution.__repr__</c> shows a parameter: its value when it has one element (a 0-d tensor
    /// formats as a Python number), otherwise its torch.Size.</summary>
    public static string ParameterRepr(Tensor t) => t.Count == 1 ? Formatted(t) : ShapeMath.TorchSize(t.Shape);

    /// <summary>A tensor as an f-string shows it: a 0-d tensor as its Python number (<c>0.0</c>, <c>nan</c>, <c>3</c>),
    /// any other as its repr.</summary>
    private static string Formatted(Tensor t)
    {
        if (t.Rank != 0) return t.ToString();
        Arena arena = t.Arena;
        int slot = t.Slot;
        return arena.DTypeOf(slot) switch
        {
            DType.Float32 => PythonFloat.Repr(arena.Values(slot)[0]),
            DType.Bool => arena.IntValues(slot)[0] != 0 ? "True" : "False",
            _ => arena.IntValues(slot)[0].ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>A shape as a Python tuple: <c>()</c>, <c>(3,)</c>, <c>(2, 3)</c>.</summary>
    private static string PythonShape(ReadOnlySpan<int> shape) =>
        shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape.ToArray()) + ")";

    /// <summary>Shapes <paramref name="a"/> and <paramref name="b"/> broadcast into <paramref name="result"/> (length
    /// <see cref="TensorLayout.MaxRank"/>); PyTorch's message when they do not broadcast.</summary>
    public static int Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> result)
    {
        if (a.Length > TensorLayout.MaxRank || b.Length > TensorLayout.MaxRank)
            throw new ArgumentException($"Expected a shape of rank at most {TensorLayout.MaxRank}.");
        return ShapeMath.BroadcastShape(a, b, result);
    }

    /// <summary><paramref name="t"/> itself when it already has <paramref name="shape"/>, else <c>t.Expand(shape)</c>
    /// (as <c>torch.broadcast_tensors</c>, which returns a same-shaped input unchanged).</summary>
    public static Tensor ExpandTo(Tensor t, ReadOnlySpan<int> shape) => t.Shape.SequenceEqual(shape) ? t : t.Expand(shape);
}
