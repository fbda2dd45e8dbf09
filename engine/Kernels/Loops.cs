using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ArenaGrad.Kernels;

// Every elementwise kernel is "dst[i] (=|+=) source(i)" or "Σ source(i)". The *source* is a struct
// that loads its inputs and applies the operator at one width; the three loops below are written once
// and pick Vector512 -> Vector256 -> Vector128 -> scalar. Sources are structs (the JIT specialises and inlines per
// source type, nothing is allocated) holding pointers, not refs: a ref struct cannot be a generic argument before
// .NET 9, and the engine also targets .NET 8. So a source's memory must not move while it is used: native (the
// arena's), on the stack, or pinned with `fixed` by the kernel that takes a span.

/// <summary>Element i of a fused elementwise expression, evaluated at every vector width.</summary>
/// <remarks>Implementations mark every member AggressiveInlining. The JIT inlines them anyway; NativeAOT compiles
/// without a profile, and its inliner left the overlapping tail's call out of line (a Vector512 returned through
/// memory, the source spilled to the stack and reloaded in the main loop).</remarks>
internal interface IElementSource
{
    /// <summary>source(i) for one element.</summary>
    float At(nuint i);

    /// <summary>source(i .. i+3).</summary>
    Vector128<float> At128(nuint i);

    /// <summary>source(i .. i+7).</summary>
    Vector256<float> At256(nuint i);

    /// <summary>source(i .. i+15).</summary>
    Vector512<float> At512(nuint i);
}

/// <summary>The three loop shapes shared by all elementwise kernels and sums.</summary>
internal static class Loops
{
    /// <summary>dst[i] = src(i) for i in [0, n). dst may be the very same memory as any input of src:
    /// the overlapping last vector is computed before the main loop writes anything.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store<TSrc>(TSrc src, ref float dst, nuint n)
        where TSrc : IElementSource
    {
        if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<float>.Count)
        {
            nuint last = n - (nuint)Vector512<float>.Count;
            Vector512<float> tail = src.At512(last);
            nuint i = 0;
            for (; i < last; i += (nuint)Vector512<float>.Count)
            {
                src.At512(i).StoreUnsafe(ref dst, i);
            }

            tail.StoreUnsafe(ref dst, last);
        }
        else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<float>.Count)
        {
            nuint last = n - (nuint)Vector256<float>.Count;
            Vector256<float> tail = src.At256(last);
            for (nuint i = 0; i < last; i += (nuint)Vector256<float>.Count)
            {
                src.At256(i).StoreUnsafe(ref dst, i);
            }

            tail.StoreUnsafe(ref dst, last);
        }
        else if (Vector128.IsHardwareAccelerated && n >= (nuint)Vector128<float>.Count)
        {
            nuint last = n - (nuint)Vector128<float>.Count;
            Vector128<float> tail = src.At128(last);
            for (nuint i = 0; i < last; i += (nuint)Vector128<float>.Count)
            {
                src.At128(i).StoreUnsafe(ref dst, i);
            }

            tail.StoreUnsafe(ref dst, last);
        }
        else
        {
            for (nuint i = 0; i < n; i++)
            {
                Unsafe.Add(ref dst, i) = src.At(i);
            }
        }
    }

    /// <summary>dst[i] += src(i) for i in [0, n). dst must not alias the inputs of src. The last,
    /// overlapping vector only adds into lanes the main loop did not reach, so nothing is added twice.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Add<TSrc>(TSrc src, ref float dst, nuint n)
        where TSrc : IElementSource
    {
        if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<float>.Count)
        {
            nuint i = 0;
            for (; i + (nuint)Vector512<float>.Count <= n; i += (nuint)Vector512<float>.Count)
            {
                (Vector512.LoadUnsafe(ref dst, i) + src.At512(i)).StoreUnsafe(ref dst, i);
            }

            if (i != n)
            {
                nuint last = n - (nuint)Vector512<float>.Count;
                Vector512<float> old = Vector512.LoadUnsafe(ref dst, last);
                // Lanes below i - last belong to the main loop; keep them as they are (select, not "+0",
                // so a -0 already in dst keeps its sign).
                Vector512<float> fresh = Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create((int)(i - last))).AsSingle();
                Vector512.ConditionalSelect(fresh, old + src.At512(last), old).StoreUnsafe(ref dst, last);
            }
        }
        else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<float>.Count)
        {
            nuint i = 0;
            for (; i + (nuint)Vector256<float>.Count <= n; i += (nuint)Vector256<float>.Count)
            {
                (Vector256.LoadUnsafe(ref dst, i) + src.At256(i)).StoreUnsafe(ref dst, i);
            }

            if (i != n)
            {
                nuint last = n - (nuint)Vector256<float>.Count;
                Vector256<float> old = Vector256.LoadUnsafe(ref dst, last);
                Vector256<float> fresh = Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create((int)(i - last))).AsSingle();
                Vector256.ConditionalSelect(fresh, old + src.At256(last), old).StoreUnsafe(ref dst, last);
            }
        }
        else if (Vector128.IsHardwareAccelerated && n >= (nuint)Vector128<float>.Count)
        {
            nuint i = 0;
            for (; i + (nuint)Vector128<float>.Count <= n; i += (nuint)Vector128<float>.Count)
            {
                (Vector128.LoadUnsafe(ref dst, i) + src.At128(i)).StoreUnsafe(ref dst, i);
            }

            if (i != n)
            {
                nuint last = n - (nuint)Vector128<float>.Count;
                Vector128<float> old = Vector128.LoadUnsafe(ref dst, last);
                Vector128<float> fresh = Vector128.GreaterThanOrEqual(Vector128<int>.Indices, Vector128.Create((int)(i - last))).AsSingle();
                Vector128.ConditionalSelect(fresh, old + src.At128(last), old).StoreUnsafe(ref dst, last);
            }
        }
        else
        {
            for (nuint i = 0; i < n; i++)
            {
                Unsafe.Add(ref dst, i) += src.At(i);
            }
        }
    }

    /// <summary>Σ src(i) for i in [0, n), in an order that does not depend on the vector width: 16 lane
    /// partial sums s[j] = Σ_t src(16t + j) (one Vector512, two Vector256, four Vector128 or 16 scalars),
    /// combined as ((s[j] + s[j+8]) + (s[j+4] + s[j+12])) pairwise down to one, then the n mod 16 tail
    /// added in index order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Sum<TSrc>(TSrc src, nuint n)
        where TSrc : IElementSource
    {
        nuint blocks = n & ~(nuint)15;
        Vector128<float> quarter;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> s = Vector512<float>.Zero;
            for (nuint i = 0; i < blocks; i += 16)
            {
                s += src.At512(i);
            }

            Vector256<float> half = s.GetLower() + s.GetUpper();
            quarter = half.GetLower() + half.GetUpper();
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> s0 = Vector256<float>.Zero, s1 = Vector256<float>.Zero;
            for (nuint i = 0; i < blocks; i += 16)
            {
                s0 += src.At256(i);
                s1 += src.At256(i + 8);
            }

            Vector256<float> half = s0 + s1;
            quarter = half.GetLower() + half.GetUpper();
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            Vector128<float> s0 = Vector128<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
            for (nuint i = 0; i < blocks; i += 16)
            {
                s0 += src.At128(i);
                s1 += src.At128(i + 4);
                s2 += src.At128(i + 8);
                s3 += src.At128(i + 12);
            }

            quarter = (s0 + s2) + (s1 + s3);
        }
        else
        {
            Span<float> s = stackalloc float[16];
            s.Clear();
            for (nuint i = 0; i < blocks; i += 16)
            {
                for (int j = 0; j < 16; j++)
                {
                    s[j] += src.At(i + (nuint)j);
                }
            }

            quarter = Vector128.Create(
                (s[0] + s[8]) + (s[4] + s[12]),
                (s[1] + s[9]) + (s[5] + s[13]),
                (s[2] + s[10]) + (s[6] + s[14]),
                (s[3] + s[11]) + (s[7] + s[15]));
        }

        float total = (quarter.GetElement(0) + quarter.GetElement(2)) + (quarter.GetElement(1) + quarter.GetElement(3));
        for (nuint i = blocks; i < n; i++)
        {
            total += src.At(i);
        }

        return total;
    }
}

/// <summary>source(i) = op(x[i]).</summary>
internal readonly unsafe struct UnarySource<TOp>(TOp op, float* x) : IElementSource
    where TOp : struct, IUnaryOperator
{
    private readonly TOp _op = op;
    private readonly float* _x = x;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float At(nuint i) => _op.Invoke(_x[i]);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> At128(nuint i) => _op.Invoke(Vector128.Load(_x + i));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> At256(nuint i) => _op.Invoke(Vector256.Load(_x + i));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> At512(nuint i) => _op.Invoke(Vector512.Load(_x + i));
}

/// <summary>source(i) = op(a[i], b[i]).</summary>
internal readonly unsafe struct BinarySource<TOp>(TOp op, float* a, float* b) : IElementSource
    where TOp : struct, IBinaryOperator
{
    private readonly TOp _op = op;
    private readonly float* _a = a;
    private readonly float* _b = b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float At(nuint i) => _op.Invoke(_a[i], _b[i]);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> At128(nuint i) => _op.Invoke(Vector128.Load(_a + i), Vector128.Load(_b + i));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> At256(nuint i) => _op.Invoke(Vector256.Load(_a + i), Vector256.Load(_b + i));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> At512(nuint i) => _op.Invoke(Vector512.Load(_a + i), Vector512.Load(_b + i));
}

/// <summary>source(i) = op(a[i], b) with b one scalar.</summary>
internal readonly unsafe struct ScalarRightSource<TOp>(TOp op, float* a, float b) : IElementSource
    where TOp : struct, IBinaryOperator
{
    private readonly TOp _op = op;
    private readonly float* _a = a;
    private readonly float _b = b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float At(nuint i) => _op.Invoke(_a[i], _b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> At128(nuint i) => _op.Invoke(Vector128.Load(_a + i), Vector128.Create(_b));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> At256(nuint i) => _op.Invoke(Vector256.Load(_a + i), Vector256.Create(_b));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> At512(nuint i) => _op.Invoke(Vector512.Load(_a + i), Vector512.Create(_b));
}

/// <summary>source(i) = op(a, b[i]) with a one scalar.</summary>
internal readonly unsafe struct ScalarLeftSource<TOp>(TOp op, float a, float* b) : IElementSource
    where TOp : struct, IBinaryOperator
{
    private readonly TOp _op = op;
    private readonly float _a = a;
    private readonly float* _b = b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float At(nuint i) => _op.Invoke(_a, _b[i]);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> At128(nuint i) => _op.Invoke(Vector128.Create(_a), Vector128.Load(_b + i));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> At256(nuint i) => _op.Invoke(Vector256.Create(_a), Vector256.Load(_b + i));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> At512(nuint i) => _op.Invoke(Vector512.Create(_a), Vector512.Load(_b + i));
}

/// <summary>source(i) = op(g[i], x[i], y[i]).</summary>
internal readonly unsafe struct UnaryGradSource<TOp>(TOp op, float* g, float* x, float* y) : IElementSource
    where TOp : struct, IUnaryGradOperator
{
    private readonly TOp _op = op;
    private readonly float* _g = g;
    private readonly float* _x = x;
    private readonly float* _y = y;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float At(nuint i) => _op.Invoke(_g[i], TOp.ReadsInput ? _x[i] : 0f, _y[i]);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> At128(nuint i) =>
        _op.Invoke(Vector128.Load(_g + i), TOp.ReadsInput ? Vector128.Load(_x + i) : default, Vector128.Load(_y + i));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> At256(nuint i) =>
        _op.Invoke(Vector256.Load(_g + i), TOp.ReadsInput ? Vector256.Load(_x + i) : default, Vector256.Load(_y + i));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> At512(nuint i) =>
        _op.Invoke(Vector512.Load(_g + i), TOp.ReadsInput ? Vector512.Load(_x + i) : default, Vector512.Load(_y + i));
}

/// <summary>source(i) = x[i].</summary>
internal readonly unsafe struct LoadSource(float* x) : IElementSource
{
    private readonly float* _x = x;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float At(nuint i) => _x[i];

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> At128(nuint i) => Vector128.Load(_x + i);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> At256(nuint i) => Vector256.Load(_x + i);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> At512(nuint i) => Vector512.Load(_x + i);
}

/// <summary>source(i) = c, one constant.</summary>
internal readonly unsafe struct ConstantSource(float c) : IElementSource
{
    private readonly float _c = c;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float At(nuint i) => _c;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> At128(nuint i) => Vector128.Create(_c);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> At256(nuint i) => Vector256.Create(_c);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> At512(nuint i) => Vector512.Create(_c);
}
