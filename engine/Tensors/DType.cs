namespace ArenaGrad;

/// <summary>The element type of a tensor (<c>torch.dtype</c>). Float32 is the default everywhere.</summary>
/// <remarks>Every dtype is stored in 4-byte elements, so views, copies, reshapes and gathers move any dtype with the
/// same code (a Bool is a 32-bit 0 or 1). Narrower types (fp16, bf16, int8) would add members with their own
/// <see cref="DTypes.ElementBytes"/>.</remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name",
    Justification = "The names are the dtypes' own (torch.float32, torch.int32), pinned by the public API.")]
public enum DType : byte
{
    /// <summary>32-bit IEEE float (<c>torch.float32</c>); the only dtype that can require grad.</summary>
    Float32,

    /// <summary>32-bit signed integer (<c>torch.int32</c>): indices, class targets, counts.</summary>
    Int32,

    /// <summary>Boolean (<c>torch.bool</c>): masks and comparison results.</summary>
    Bool,
}

/// <summary>Facts about each <see cref="DType"/>: names and element size.</summary>
internal static class DTypes
{
    /// <summary>Bytes of storage per element.</summary>
    public static int ElementBytes(DType dtype) => 4;

    /// <summary>PyTorch's name, as printed: <c>torch.int32</c>.</summary>
    public static string TorchName(DType dtype) => dtype switch
    {
        DType.Float32 => "torch.float32",
        DType.Int32 => "torch.int32",
        DType.Bool => "torch.bool",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Expected Float32, Int32 or Bool."),
    };

    /// <summary>Whether <paramref name="dtype"/> is a defined member (a cast from a byte may not be).</summary>
    public static bool IsDefined(DType dtype) => dtype is DType.Float32 or DType.Int32 or DType.Bool;

    /// <summary>PyTorch's wording for a tensor of the wrong dtype, in our dtype names.</summary>
    public static string Expected(DType expected, DType found) => $"expected scalar type {expected} but found {found}";
}
