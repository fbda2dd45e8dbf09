using System.Runtime.InteropServices;

namespace ArenaGrad.Kernels;

/// <summary>Element conversions between dtypes, all stored in 4-byte elements (a Bool is 0 or 1).</summary>
/// <remarks>Scalar loops with every rule spelled out, so that .NET 8 (whose float-to-int conversion does not saturate)
/// and .NET 10 give the same result: a float becomes an Int32 by truncation toward zero, saturating at the Int32
/// range, NaN becoming 0 (C++ leaves these undefined; PyTorch's result on x86 is int.MinValue); a float or Int32 becomes
/// a Bool by != 0 (so NaN is True, as in PyTorch).</remarks>
internal static class Conversions
{
    /// <summary>Converts <paramref name="source"/> (of <paramref name="from"/>) into <paramref name="destination"/> (of
    /// <paramref name="to"/>); both are the 4-byte storage as floats.</summary>
    public static void Convert(DType from, DType to, ReadOnlySpan<float> source, Span<float> destination)
    {
        ReadOnlySpan<int> sourceInts = MemoryMarshal.Cast<float, int>(source);
        Span<int> destinationInts = MemoryMarshal.Cast<float, int>(destination);
        switch (from, to)
        {
            case (DType.Float32, DType.Int32):
                for (int i = 0; i < source.Length; i++) destinationInts[i] = ToInt32(source[i]);
                break;
            case (DType.Float32, DType.Bool):
                for (int i = 0; i < source.Length; i++) destinationInts[i] = source[i] != 0f ? 1 : 0;
                break;
            case (DType.Int32 or DType.Bool, DType.Float32):
                for (int i = 0; i < source.Length; i++) destination[i] = sourceInts[i];
                break;
            case (DType.Int32, DType.Bool):
                for (int i = 0; i < source.Length; i++) destinationInts[i] = sourceInts[i] != 0 ? 1 : 0;
                break;
            default: // Bool to Int32, and any dtype to itself: the same 4-byte values
                source.CopyTo(destination);
                break;
        }
    }

    /// <summary>Truncation toward zero, saturating, NaN to 0.</summary>
    public static int ToInt32(float value) =>
        float.IsNaN(value) ? 0 : value >= 2147483648f ? int.MaxValue : value <= -2147483648f ? int.MinValue : (int)value;
}
