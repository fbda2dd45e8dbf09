using System.Numerics;
using System.Runtime.InteropServices;

namespace ArenaGrad.Kernels;

/// <summary>A comparison of two elements of one dtype (the results are Bool: 0 or 1).</summary>
internal interface IComparison
{
    static abstract bool Test(float a, float b);
    static abstract bool Test(int a, int b);

    /// <summary>Lanes all ones where the comparison holds (IEEE: NaN compares unequal), zero elsewhere.</summary>
    static abstract Vector<int> Test(Vector<float> a, Vector<float> b);
}

internal readonly struct EqualComparison : IComparison
{
    public static bool Test(float a, float b) => a == b;
    public static bool Test(int a, int b) => a == b;
    public static Vector<int> Test(Vector<float> a, Vector<float> b) => Vector.Equals(a, b);
}

internal readonly struct NotEqualComparison : IComparison
{
    public static bool Test(float a, float b) => a != b; // true for NaN, as IEEE and PyTorch have it
    public static bool Test(int a, int b) => a != b;
    public static Vector<int> Test(Vector<float> a, Vector<float> b) => ~Vector.Equals(a, b);
}

internal readonly struct LessComparison : IComparison
{
    public static bool Test(float a, float b) => a < b;
    public static bool Test(int a, int b) => a < b;
    public static Vector<int> Test(Vector<float> a, Vector<float> b) => Vector.LessThan(a, b);
}

internal readonly struct LessEqualComparison : IComparison
{
    public static bool Test(float a, float b) => a <= b;
    public static bool Test(int a, int b) => a <= b;
    public static Vector<int> Test(Vector<float> a, Vector<float> b) => Vector.LessThanOrEqual(a, b);
}

internal readonly struct GreaterComparison : IComparison
{
    public static bool Test(float a, float b) => a > b;
    public static bool Test(int a, int b) => a > b;
    public static Vector<int> Test(Vector<float> a, Vector<float> b) => Vector.GreaterThan(a, b);
}

internal readonly struct GreaterEqualComparison : IComparison
{
    public static bool Test(float a, float b) => a >= b;
    public static bool Test(int a, int b) => a >= b;
    public static Vector<int> Test(Vector<float> a, Vector<float> b) => Vector.GreaterThanOrEqual(a, b);
}

/// <summary>A logical operation of two truth values.</summary>
internal interface ILogical
{
    static abstract bool Apply(bool a, bool b);
}

internal readonly struct AndLogical : ILogical { public static bool Apply(bool a, bool b) => a & b; }
internal readonly struct OrLogical : ILogical { public static bool Apply(bool a, bool b) => a | b; }
internal readonly struct XorLogical : ILogical { public static bool Apply(bool a, bool b) => a ^ b; }

/// <summary>Comparisons, logical ops, where and masked_fill over 4-byte elements with broadcasting (strides 0 along a
/// broadcast dim). Each element is computed alone by an exact operation (a comparison or a copy), so the result is the
/// same on every instruction set: operands of the result's own shape (no broadcasting: the common case, a mask made from
/// the same tensor) take a flat loop over <see cref="Vector{T}"/> lanes, the rest a scalar walk by
/// <see cref="BroadcastCursor"/>.</summary>
internal static class MaskKernels
{
    /// <summary>y = a op b (1 or 0) over <paramref name="shape"/>; a and b hold one dtype, compared as floats when
    /// <paramref name="floats"/>, else as Int32 (Bool: 0 &lt; 1).</summary>
    public static void Compare<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<int> aStrides, ReadOnlySpan<float> b, ReadOnlySpan<int> bStrides,
        ReadOnlySpan<int> shape, bool floats, Span<int> y) where TOp : struct, IComparison
    {
        if (floats && IsDense(aStrides, shape) && IsDense(bStrides, shape))
        {
            int i = 0;
            for (; i <= y.Length - Vector<int>.Count; i += Vector<int>.Count)
                (TOp.Test(new Vector<float>(a[i..]), new Vector<float>(b[i..])) & Vector<int>.One).CopyTo(y[i..]);
            for (; i < y.Length; i++) y[i] = TOp.Test(a[i], b[i]) ? 1 : 0;
            return;
        }
        Span<int> walk = stackalloc int[Math.Max(shape.Length, 1)];
        var cursor = new BroadcastCursor(shape, aStrides, bStrides, bStrides, walk);
        if (floats)
            for (int i = 0; i < y.Length; i++, cursor.Next()) y[i] = TOp.Test(a[cursor.Offset0], b[cursor.Offset1]) ? 1 : 0;
        else
        {
            ReadOnlySpan<int> ai = MemoryMarshal.Cast<float, int>(a), bi = MemoryMarshal.Cast<float, int>(b);
            for (int i = 0; i < y.Length; i++, cursor.Next()) y[i] = TOp.Test(ai[cursor.Offset0], bi[cursor.Offset1]) ? 1 : 0;
        }
    }

    /// <summary>y = x op s (1 or 0); an Int32 or Bool x is converted to float first, as PyTorch promotes an integer
    /// tensor compared with a float scalar to float32.</summary>
    public static void CompareScalar<TOp>(ReadOnlySpan<float> x, bool floats, float s, Span<int> y) where TOp : struct, IComparison
    {
        if (floats)
        {
            int i = 0;
            var scalar = new Vector<float>(s);
            for (; i <= y.Length - Vector<int>.Count; i += Vector<int>.Count)
                (TOp.Test(new Vector<float>(x[i..]), scalar) & Vector<int>.One).CopyTo(y[i..]);
            for (; i < y.Length; i++) y[i] = TOp.Test(x[i], s) ? 1 : 0;
        }
        else
        {
            ReadOnlySpan<int> xi = MemoryMarshal.Cast<float, int>(x);
            for (int i = 0; i < y.Length; i++) y[i] = TOp.Test((float)xi[i], s) ? 1 : 0;
        }
    }

    /// <summary>Whether element i of a tensor is true: != 0 (a float −0 is false, NaN true, as PyTorch's bool()).</summary>
    private static bool Truth(ReadOnlySpan<float> values, int i, bool floats) =>
        floats ? values[i] != 0f : BitConverter.SingleToInt32Bits(values[i]) != 0;

    /// <summary>y = !x (1 or 0).</summary>
    public static void Not(ReadOnlySpan<float> x, bool floats, Span<int> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = Truth(x, i, floats) ? 0 : 1;
    }

    /// <summary>y = a op b on truth values (1 or 0) over <paramref name="shape"/>.</summary>
    public static void Logical<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<int> aStrides, bool aFloats, ReadOnlySpan<float> b,
        ReadOnlySpan<int> bStrides, bool bFloats, ReadOnlySpan<int> shape, Span<int> y) where TOp : struct, ILogical
    {
        Span<int> walk = stackalloc int[Math.Max(shape.Length, 1)];
        var cursor = new BroadcastCursor(shape, aStrides, bStrides, bStrides, walk);
        for (int i = 0; i < y.Length; i++, cursor.Next())
            y[i] = TOp.Apply(Truth(a, cursor.Offset0, aFloats), Truth(b, cursor.Offset1, bFloats)) ? 1 : 0;
    }

    /// <summary>torch.where: y = condition ? a : b over <paramref name="shape"/>, copying 4-byte elements as they are.</summary>
    public static void Where(ReadOnlySpan<int> condition, ReadOnlySpan<int> cStrides, ReadOnlySpan<float> a, ReadOnlySpan<int> aStrides,
        ReadOnlySpan<float> b, ReadOnlySpan<int> bStrides, ReadOnlySpan<int> shape, Span<float> y)
    {
        ReadOnlySpan<int> ai = MemoryMarshal.Cast<float, int>(a), bi = MemoryMarshal.Cast<float, int>(b);
        Span<int> yi = MemoryMarshal.Cast<float, int>(y);
        if (IsDense(cStrides, shape) && IsDense(aStrides, shape) && IsDense(bStrides, shape))
        {
            Select(condition, ai, bi, default, yi);
            return;
        }
        Span<int> walk = stackalloc int[Math.Max(shape.Length, 1)];
        var cursor = new BroadcastCursor(shape, cStrides, aStrides, bStrides, walk);
        for (int i = 0; i < yi.Length; i++, cursor.Next())
            yi[i] = condition[cursor.Offset0] != 0 ? ai[cursor.Offset1] : bi[cursor.Offset2];
    }

    /// <summary>torch.where with a float b: y = condition ? a : b.</summary>
    public static void WhereScalar(ReadOnlySpan<int> condition, ReadOnlySpan<int> cStrides, ReadOnlySpan<float> a, ReadOnlySpan<int> aStrides,
        float b, ReadOnlySpan<int> shape, Span<float> y)
    {
        ReadOnlySpan<int> ai = MemoryMarshal.Cast<float, int>(a);
        Span<int> yi = MemoryMarshal.Cast<float, int>(y);
        int bBits = BitConverter.SingleToInt32Bits(b);
        if (IsDense(cStrides, shape) && IsDense(aStrides, shape))
        {
            Select(condition, ai, default, bBits, yi);
            return;
        }
        Span<int> walk = stackalloc int[Math.Max(shape.Length, 1)];
        var cursor = new BroadcastCursor(shape, cStrides, aStrides, aStrides, walk);
        for (int i = 0; i < yi.Length; i++, cursor.Next())
            yi[i] = condition[cursor.Offset0] != 0 ? ai[cursor.Offset1] : bBits;
    }

    /// <summary>masked_fill: y = mask ? value : x over <paramref name="shape"/> (x and the mask broadcast).</summary>
    public static void MaskedFill(ReadOnlySpan<float> x, ReadOnlySpan<int> xStrides, ReadOnlySpan<int> mask, ReadOnlySpan<int> mStrides,
        float value, ReadOnlySpan<int> shape, Span<float> y)
    {
        ReadOnlySpan<int> xi = MemoryMarshal.Cast<float, int>(x);
        Span<int> yi = MemoryMarshal.Cast<float, int>(y);
        int valueBits = BitConverter.SingleToInt32Bits(value);
        if (IsDense(xStrides, shape) && IsDense(mStrides, shape))
        {
            Select(mask, default, xi, valueBits, yi, whereTrueIsScalar: true);
            return;
        }
        Span<int> walk = stackalloc int[Math.Max(shape.Length, 1)];
        var cursor = new BroadcastCursor(shape, xStrides, mStrides, mStrides, walk);
        for (int i = 0; i < yi.Length; i++, cursor.Next())
            yi[i] = mask[cursor.Offset1] != 0 ? valueBits : xi[cursor.Offset0];
    }

    /// <summary>dst (= or +=) g where (condition != 0) == <paramref name="select"/>, 0 elsewhere; g and dst are
    /// contiguous of <paramref name="shape"/>, the condition broadcast by <paramref name="cStrides"/>.</summary>
    public static void MaskedGradient(ReadOnlySpan<float> g, ReadOnlySpan<int> condition, ReadOnlySpan<int> cStrides, ReadOnlySpan<int> shape,
        bool select, Span<float> dst, bool accumulate)
    {
        if (IsDense(cStrides, shape))
        {
            int i = 0;
            Vector<int> want = select ? Vector<int>.Zero : Vector<int>.AllBitsSet; // lanes where condition == 0 pass iff !select
            for (; i <= dst.Length - Vector<int>.Count; i += Vector<int>.Count)
            {
                Vector<int> pass = ~(Vector.Equals(new Vector<int>(condition[i..]), Vector<int>.Zero) ^ want);
                Vector<float> value = Vector.ConditionalSelect(pass, new Vector<float>(g[i..]), Vector<float>.Zero);
                (accumulate ? new Vector<float>(dst[i..]) + value : value).CopyTo(dst[i..]);
            }
            for (; i < dst.Length; i++)
            {
                float value = (condition[i] != 0) == select ? g[i] : 0f;
                dst[i] = accumulate ? dst[i] + value : value;
            }
            return;
        }
        Span<int> walk = stackalloc int[Math.Max(shape.Length, 1)];
        var cursor = new BroadcastCursor(shape, cStrides, cStrides, cStrides, walk);
        for (int i = 0; i < dst.Length; i++, cursor.Next())
        {
            bool pass = (condition[cursor.Offset0] != 0) == select;
            float value = pass ? g[i] : 0f;
            if (accumulate) dst[i] += value;
            else dst[i] = value;
        }
    }

    /// <summary>Whether an operand with these broadcast strides is laid out exactly as the result of <paramref name="shape"/>
    /// (dims of size 1 aside): then element i of it is element i of the result.</summary>
    private static bool IsDense(ReadOnlySpan<int> strides, ReadOnlySpan<int> shape)
    {
        int expected = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] != 1 && strides[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    /// <summary>y[i] = condition[i] != 0 ? a[i] : b[i] over flat spans, with a scalar for the true side
    /// (<paramref name="whereTrueIsScalar"/>) or, when <paramref name="b"/> is empty, for the false side.</summary>
    private static void Select(ReadOnlySpan<int> condition, ReadOnlySpan<int> a, ReadOnlySpan<int> b, int scalar, Span<int> y,
        bool whereTrueIsScalar = false)
    {
        int i = 0;
        var constant = new Vector<int>(scalar);
        for (; i <= y.Length - Vector<int>.Count; i += Vector<int>.Count)
        {
            Vector<int> isFalse = Vector.Equals(new Vector<int>(condition[i..]), Vector<int>.Zero);
            Vector<int> whenTrue = whereTrueIsScalar ? constant : new Vector<int>(a[i..]);
            Vector<int> whenFalse = whereTrueIsScalar || b.Length != 0 ? new Vector<int>(b[i..]) : constant;
            Vector.ConditionalSelect(isFalse, whenFalse, whenTrue).CopyTo(y[i..]);
        }
        for (; i < y.Length; i++)
        {
            int whenTrue = whereTrueIsScalar ? scalar : a[i];
            int whenFalse = whereTrueIsScalar || b.Length != 0 ? b[i] : scalar;
            y[i] = condition[i] != 0 ? whenTrue : whenFalse;
        }
    }
}
