using System;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ArenaGrad.Memory;

namespace ArenaGrad.Kernels;

/// <summary>Elementwise loop drivers: one per shape of operator, all running on the shared loops in
/// <see cref="Loops"/> (Vector512 -> Vector256 -> Vector128 -> scalar).</summary>
internal static unsafe class Elementwise
{
    /// <summary>y[i] = op(x[i]), one vector at a time. y may be exactly the same memory as x (in place). Long tanh and
    /// sigmoid take the staged loops instead: their rows' kernels (<c>ForwardRules.Tanh</c>, <c>Sigmoid</c>) choose.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void Unary<TOp>(TOp op, ReadOnlySpan<float> x, Span<float> y)
        where TOp : struct, IUnaryOperator
    {
        Check.SameLength(x.Length, y.Length, nameof(x), nameof(y));
        fixed (float* px = x)
        {
            Loops.Store(new UnarySource<TOp>(op, px), ref MemoryMarshal.GetReference(y), (nuint)y.Length);
        }
    }

    /// <summary>y[i] = op(a[i], b[i]). y may be exactly the same memory as a or b.</summary>
    internal static void Binary<TOp>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
        where TOp : struct, IBinaryOperator => Binary(op, a, b, y, accumulate: false);

    /// <summary>y[i] = op(a[i], b). y may be exactly the same memory as a.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void BinaryScalarRight<TOp>(TOp op, ReadOnlySpan<float> a, float b, Span<float> y)
        where TOp : struct, IBinaryOperator
    {
        Check.SameLength(a.Length, y.Length, nameof(a), nameof(y));
        fixed (float* pa = a)
        {
            Loops.Store(new ScalarRightSource<TOp>(op, pa, b), ref MemoryMarshal.GetReference(y), (nuint)y.Length);
        }
    }

    /// <summary>y[i] = op(a, b[i]). y may be exactly the same memory as b.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void BinaryScalarLeft<TOp>(TOp op, float a, ReadOnlySpan<float> b, Span<float> y)
        where TOp : struct, IBinaryOperator
    {
        Check.SameLength(b.Length, y.Length, nameof(b), nameof(y));
        fixed (float* pb = b)
        {
            Loops.Store(new ScalarLeftSource<TOp>(op, a, pb), ref MemoryMarshal.GetReference(y), (nuint)y.Length);
        }
    }

    /// <summary>y[idx] = op(a[Σ idx_k*aStrides[k]], b[Σ idx_k*bStrides[k]]) for every multi-index idx of
    /// outShape; y is contiguous row-major. Broadcasting is already resolved: a stride is 0 along a
    /// broadcast dim, and the last-dim strides are 0 or 1. Rank 0 is one element.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void BinaryBroadcast<TOp>(
        TOp op,
        ReadOnlySpan<float> a,
        ReadOnlySpan<int> aStrides,
        ReadOnlySpan<float> b,
        ReadOnlySpan<int> bStrides,
        Span<float> y,
        ReadOnlySpan<int> outShape)
        where TOp : struct, IBinaryOperator
    {
        int count = Check.Shape(outShape);
        Check.SameLength(count, y.Length, nameof(outShape) + " element count", nameof(y));
        Check.Strides(outShape, aStrides, a.Length, nameof(aStrides));
        Check.Strides(outShape, bStrides, b.Length, nameof(bStrides));
        if (count == 0)
        {
            return;
        }

        int rank = outShape.Length;
        if (rank == 0)
        {
            y[0] = op.Invoke(a[0], b[0]);
            return;
        }

        int row = outShape[rank - 1];
        int sa = aStrides[rank - 1];
        int sb = bStrides[rank - 1];
        if ((uint)sa > 1 || (uint)sb > 1)
        {
            throw new ArgumentException($"Last-dim strides must be 0 or 1, got a: {sa}, b: {sb}.");
        }

        ref float yr = ref MemoryMarshal.GetReference(y);
        fixed (float* ar = a, br = b)
        {
            Span<int> idx = stackalloc int[TensorLayout.MaxRank];
            idx = idx[..rank];
            idx.Clear();
            for (int start = 0; start < count; start += row)
            {
                nint ao = Strided.Offset(idx, aStrides);
                nint bo = Strided.Offset(idx, bStrides);
                float* ai = ar + ao;
                float* bi = br + bo;
                ref float yi = ref Unsafe.Add(ref yr, start);
                switch (sa, sb)
                {
                    case (1, 1):
                        Loops.Store(new BinarySource<TOp>(op, ai, bi), ref yi, (nuint)row);
                        break;
                    case (0, 1):
                        Loops.Store(new ScalarLeftSource<TOp>(op, *ai, bi), ref yi, (nuint)row);
                        break;
                    case (1, 0):
                        Loops.Store(new ScalarRightSource<TOp>(op, ai, *bi), ref yi, (nuint)row);
                        break;
                    default:
                        Loops.Store(new ConstantSource(op.Invoke(*ai, *bi)), ref yi, (nuint)row);
                        break;
                }

                Strided.NextRow(idx, outShape);
            }
        }
    }

    /// <summary>dst[i] += g[i]. dst must not alias g.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void Accumulate(ReadOnlySpan<float> g, Span<float> dst)
    {
        Check.SameLength(g.Length, dst.Length, nameof(g), nameof(dst));
        fixed (float* pg = g)
        {
            Loops.Add(new LoadSource(pg), ref MemoryMarshal.GetReference(dst), (nuint)dst.Length);
        }
    }

    /// <summary>dst[i] += scale * g[i]. dst must not alias g.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void AccumulateScaled(ReadOnlySpan<float> g, float scale, Span<float> dst)
    {
        Check.SameLength(g.Length, dst.Length, nameof(g), nameof(dst));
        fixed (float* pg = g)
        {
            Loops.Add(new ScalarLeftSource<MultiplyOperator>(default, scale, pg), ref MemoryMarshal.GetReference(dst), (nuint)dst.Length);
        }
    }

    /// <summary>dst[i] += c.</summary>
    [MethodImpl(Kernel.Compile)]
    internal static void AccumulateConstant(float c, Span<float> dst) =>
        Loops.Add(new ConstantSource(c), ref MemoryMarshal.GetReference(dst), (nuint)dst.Length);

    /// <summary>dst[i] += op(a[i], b[i]). dst must not alias a or b.</summary>
    internal static void AccumulateBinary<TOp>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dst)
        where TOp : struct, IBinaryOperator => Binary(op, a, b, dst, accumulate: true);

    [MethodImpl(Kernel.Compile)]
    private static void Binary<TOp>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dst, bool accumulate)
        where TOp : struct, IBinaryOperator
    {
        Check.SameLength(a.Length, dst.Length, nameof(a), nameof(dst));
        Check.SameLength(b.Length, dst.Length, nameof(b), nameof(dst));
        fixed (float* pa = a, pb = b)
        {
            var source = new BinarySource<TOp>(op, pa, pb);
            if (accumulate) Loops.Add(source, ref MemoryMarshal.GetReference(dst), (nuint)dst.Length);
            else Loops.Store(source, ref MemoryMarshal.GetReference(dst), (nuint)dst.Length);
        }
    }

    /// <summary>dst[i] = op(g[i], x[i], y[i]) (backward of y = f(x), first contribution). dst must not alias the inputs.</summary>
    internal static void UnaryGrad<TOp>(TOp op, ReadOnlySpan<float> g, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst)
        where TOp : struct, IUnaryGradOperator => UnaryGrad(op, g, x, y, dst, accumulate: false);

    /// <summary>dst[i] += op(g[i], x[i], y[i]) (backward of y = f(x)). dst must not alias the inputs.</summary>
    internal static void AccumulateUnaryGrad<TOp>(TOp op, ReadOnlySpan<float> g, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst)
        where TOp : struct, IUnaryGradOperator => UnaryGrad(op, g, x, y, dst, accumulate: true);

    [MethodImpl(Kernel.Compile)]
    private static void UnaryGrad<TOp>(TOp op, ReadOnlySpan<float> g, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst, bool accumulate)
        where TOp : struct, IUnaryGradOperator
    {
        Check.SameLength(g.Length, dst.Length, nameof(g), nameof(dst));
        Check.SameLength(x.Length, dst.Length, nameof(x), nameof(dst));
        Check.SameLength(y.Length, dst.Length, nameof(y), nameof(dst));
        fixed (float* pg = g, px = x, py = y)
        {
            var source = new UnaryGradSource<TOp>(op, pg, px, py);
            if (accumulate) Loops.Add(source, ref MemoryMarshal.GetReference(dst), (nuint)dst.Length);
            else Loops.Store(source, ref MemoryMarshal.GetReference(dst), (nuint)dst.Length);
        }
    }
}

/// <summary>Argument checks shared by the kernels; messages say what was expected and what came.</summary>
internal static class Check
{
    /// <summary>Throws unless got == expected.</summary>
    /// <remarks>Inlined: every kernel call makes one to three of these, so the compare stays in the caller and
    /// only a mismatch pays for a call (the names are constants, passed only on the throwing path).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void SameLength(int expected, int got, string expectedName, string gotName)
    {
        if (expected != got)
        {
            ThrowLengthMismatch(expected, got, expectedName, gotName);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    [DoesNotReturn]
    private static void ThrowLengthMismatch(int expected, int got, string expectedName, string gotName) =>
        throw new ArgumentException($"Length mismatch: expected {gotName}.Length == {expectedName} ({expected}), got {got}.", gotName);

    /// <summary>Throws unless got &gt;= 0.</summary>
    internal static void NonNegative(int got, string name)
    {
        if (got < 0)
        {
            throw new ArgumentOutOfRangeException(name, got, $"Expected {name} >= 0, got {got}.");
        }
    }

    /// <summary>Validates rank and dims (0..8, non-negative) and returns Π shape (1 for rank 0).</summary>
    internal static int Shape(ReadOnlySpan<int> shape)
    {
        if (shape.Length > TensorLayout.MaxRank)
        {
            throw new ArgumentException($"Rank must be at most {TensorLayout.MaxRank}, got {shape.Length}.", nameof(shape));
        }

        long count = 1;
        foreach (int d in shape)
        {
            NonNegative(d, nameof(shape));
            count *= d;
            if (count > int.MaxValue)
            {
                throw new ArgumentException($"Element count must fit in an int, got more than {int.MaxValue}.", nameof(shape));
            }
        }

        return (int)count;
    }

    /// <summary>Checks strides has one non-negative entry per dim and that the farthest element
    /// Σ (shape_k - 1) * strides_k lies inside a span of the given length (when shape is not empty).</summary>
    internal static void Strides(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, int length, string name)
    {
        if (strides.Length != shape.Length)
        {
            throw new ArgumentException($"Expected {name} to have {shape.Length} entries (one per dim), got {strides.Length}.", name);
        }

        long farthest = 0;
        for (int k = 0; k < shape.Length; k++)
        {
            NonNegative(strides[k], name);
            if (shape[k] == 0)
            {
                return;
            }

            farthest += (long)(shape[k] - 1) * strides[k];
        }

        if (farthest >= length)
        {
            throw new ArgumentException($"Strided view reaches element {farthest} but the span has {length} elements.", name);
        }
    }
}

/// <summary>Odometer over the rows (all dims but the last) of a row-major shape.</summary>
internal static class Strided
{
    /// <summary>Σ idx_k * strides_k (the last entry of idx stays 0, so the row's first element).</summary>
    internal static nint Offset(ReadOnlySpan<int> idx, ReadOnlySpan<int> strides)
    {
        nint o = 0;
        for (int k = 0; k < idx.Length; k++)
        {
            o += (nint)idx[k] * strides[k];
        }

        return o;
    }

    /// <summary>Advances idx to the next row: increments dim rank-2 with carry into the outer dims.</summary>
    internal static void NextRow(Span<int> idx, ReadOnlySpan<int> shape)
    {
        Debug.Assert(idx.Length == shape.Length, "one counter per dim");
        for (int k = shape.Length - 2; k >= 0; k--)
        {
            if (++idx[k] < shape[k])
            {
                return;
            }

            idx[k] = 0;
        }
    }
}
