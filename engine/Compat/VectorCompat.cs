using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
#if !NET9_0_OR_GREATER
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
#endif

// In namespace ArenaGrad.Kernels (the only user) so the extension members are in scope in every kernel file.
namespace ArenaGrad.Kernels;

// The engine builds for net8.0 and net10.0 from one source. Every difference between the two runtimes' vector APIs
// is bridged here and nowhere else: kernels call the .NET 10 API by its own name, and on .NET 8 the C# 14
// extension members below supply the missing ones (CopySign, IsNegativeInfinity, FusedMultiplyAdd,
// Vector*<int>.Indices). Max and Min exist on both runtimes but mean different things on NaN and ±0, so kernels
// call VectorCompat.Max/Min, which is the runtime's own on .NET 10 and the same IEEE 754-2019 rule on .NET 8.
// All of them give identical bits on both targets. exp and log need no bridge: the engine has its own
// (Kernels/Transcendentals.cs), because the runtimes' vector Exp/Log differ from each other in the last bits.

/// <summary>Vector operations whose meaning differs between .NET 8 and .NET 10, pinned to .NET 10's.</summary>
internal static class VectorCompat
{
    /// <summary>IEEE 754-2019 maximum per lane: NaN if either lane is NaN, +0 above -0. Which
    /// payload comes out when both are NaN differs between JIT modes and instruction sets: nothing may depend on it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Max(Vector128<float> x, Vector128<float> y)
#if NET9_0_OR_GREATER
        => Vector128.Max(x, y);
#else
        => Vector128.ConditionalSelect(
            (Vector128.Equals(x, y) & IsNegative(y)) | ~Vector128.Equals(x, x) | Vector128.LessThan(y, x), x, y);
#endif

    /// <summary>IEEE 754-2019 maximum per lane, see the Vector128 overload.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Max(Vector256<float> x, Vector256<float> y)
#if NET9_0_OR_GREATER
        => Vector256.Max(x, y);
#else
        => Vector256.ConditionalSelect(
            (Vector256.Equals(x, y) & IsNegative(y)) | ~Vector256.Equals(x, x) | Vector256.LessThan(y, x), x, y);
#endif

    /// <summary>IEEE 754-2019 maximum per lane, see the Vector128 overload.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Max(Vector512<float> x, Vector512<float> y)
#if NET9_0_OR_GREATER
        => Vector512.Max(x, y);
#else
        => Vector512.ConditionalSelect(
            (Vector512.Equals(x, y) & IsNegative(y)) | ~Vector512.Equals(x, x) | Vector512.LessThan(y, x), x, y);
#endif

    /// <summary>IEEE 754-2019 minimum per lane: NaN if either lane is NaN, -0 below +0. Which
    /// payload comes out when both are NaN differs between JIT modes and instruction sets: nothing may depend on it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Min(Vector128<float> x, Vector128<float> y)
#if NET9_0_OR_GREATER
        => Vector128.Min(x, y);
#else
        => Vector128.ConditionalSelect(
            (Vector128.Equals(x, y) & IsNegative(x)) | ~Vector128.Equals(x, x) | Vector128.LessThan(x, y), x, y);
#endif

    /// <summary>IEEE 754-2019 minimum per lane, see the Vector128 overload.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Min(Vector256<float> x, Vector256<float> y)
#if NET9_0_OR_GREATER
        => Vector256.Min(x, y);
#else
        => Vector256.ConditionalSelect(
            (Vector256.Equals(x, y) & IsNegative(x)) | ~Vector256.Equals(x, x) | Vector256.LessThan(x, y), x, y);
#endif

    /// <summary>IEEE 754-2019 minimum per lane, see the Vector128 overload.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Min(Vector512<float> x, Vector512<float> y)
#if NET9_0_OR_GREATER
        => Vector512.Min(x, y);
#else
        => Vector512.ConditionalSelect(
            (Vector512.Equals(x, y) & IsNegative(x)) | ~Vector512.Equals(x, x) | Vector512.LessThan(x, y), x, y);
#endif

#if !NET9_0_OR_GREATER
    /// <summary>All ones where the sign bit is set (-0, negatives, NaNs with the sign bit).</summary>
    private static Vector128<float> IsNegative(Vector128<float> x) => Vector128.ShiftRightArithmetic(x.AsInt32(), 31).AsSingle();

    private static Vector256<float> IsNegative(Vector256<float> x) => Vector256.ShiftRightArithmetic(x.AsInt32(), 31).AsSingle();

    private static Vector512<float> IsNegative(Vector512<float> x) => Vector512.ShiftRightArithmetic(x.AsInt32(), 31).AsSingle();

    /// <summary>x·y + z per lane with one rounding.</summary>
    internal static float Fma(float x, float y, float z) => MathF.FusedMultiplyAdd(x, y, z);
#endif
}

#if !NET9_0_OR_GREATER
/// <summary>The .NET 9+ Vector128 members the engine uses, for .NET 8.</summary>
internal static class Vector128Net8Extensions
{
    extension(Vector128)
    {
        /// <summary>|x| with the sign of y per lane.</summary>
        public static Vector128<float> CopySign(Vector128<float> x, Vector128<float> y) =>
            Vector128.ConditionalSelect(Vector128.Create(-0f), y, x);

        /// <summary>All ones where x is -∞.</summary>
        public static Vector128<float> IsNegativeInfinity(Vector128<float> x) =>
            Vector128.Equals(x, Vector128.Create(float.NegativeInfinity));

        /// <summary>x·y + z per lane with one rounding.</summary>
        public static Vector128<float> FusedMultiplyAdd(Vector128<float> x, Vector128<float> y, Vector128<float> z) =>
            Fma.IsSupported ? Fma.MultiplyAdd(x, y, z) :
            AdvSimd.IsSupported ? AdvSimd.FusedMultiplyAdd(z, x, y) :
            Vector128.Create(
                VectorCompat.Fma(x.GetElement(0), y.GetElement(0), z.GetElement(0)), VectorCompat.Fma(x.GetElement(1), y.GetElement(1), z.GetElement(1)),
                VectorCompat.Fma(x.GetElement(2), y.GetElement(2), z.GetElement(2)), VectorCompat.Fma(x.GetElement(3), y.GetElement(3), z.GetElement(3)));
    }

    extension(Vector128<int>)
    {
        /// <summary>(0, 1, 2, 3).</summary>
        public static Vector128<int> Indices => Vector128.Create(0, 1, 2, 3);
    }
}

/// <summary>The .NET 9+ Vector256 members the engine uses, for .NET 8: two Vector128 halves.</summary>
internal static class Vector256Net8Extensions
{
    extension(Vector256)
    {
        /// <summary>|x| with the sign of y per lane.</summary>
        public static Vector256<float> CopySign(Vector256<float> x, Vector256<float> y) =>
            Vector256.ConditionalSelect(Vector256.Create(-0f), y, x);

        /// <summary>All ones where x is -∞.</summary>
        public static Vector256<float> IsNegativeInfinity(Vector256<float> x) =>
            Vector256.Equals(x, Vector256.Create(float.NegativeInfinity));

        /// <summary>x·y + z per lane with one rounding.</summary>
        public static Vector256<float> FusedMultiplyAdd(Vector256<float> x, Vector256<float> y, Vector256<float> z) =>
            Fma.IsSupported ? Fma.MultiplyAdd(x, y, z) :
            Vector256.Create(
                Vector128.FusedMultiplyAdd(x.GetLower(), y.GetLower(), z.GetLower()),
                Vector128.FusedMultiplyAdd(x.GetUpper(), y.GetUpper(), z.GetUpper()));
    }

    extension(Vector256<int>)
    {
        /// <summary>(0, 1, ..., 7).</summary>
        public static Vector256<int> Indices => Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
    }
}

/// <summary>The .NET 9+ Vector512 members the engine uses, for .NET 8: two Vector256 halves.</summary>
internal static class Vector512Net8Extensions
{
    extension(Vector512)
    {
        /// <summary>|x| with the sign of y per lane.</summary>
        public static Vector512<float> CopySign(Vector512<float> x, Vector512<float> y) =>
            Vector512.ConditionalSelect(Vector512.Create(-0f), y, x);

        /// <summary>All ones where x is -∞.</summary>
        public static Vector512<float> IsNegativeInfinity(Vector512<float> x) =>
            Vector512.Equals(x, Vector512.Create(float.NegativeInfinity));

        /// <summary>x·y + z per lane with one rounding.</summary>
        public static Vector512<float> FusedMultiplyAdd(Vector512<float> x, Vector512<float> y, Vector512<float> z) =>
            Avx512F.IsSupported ? Avx512F.FusedMultiplyAdd(x, y, z) :
            Vector512.Create(
                Vector256.FusedMultiplyAdd(x.GetLower(), y.GetLower(), z.GetLower()),
                Vector256.FusedMultiplyAdd(x.GetUpper(), y.GetUpper(), z.GetUpper()));
    }

    extension(Vector512<int>)
    {
        /// <summary>(0, 1, ..., 15).</summary>
        public static Vector512<int> Indices => Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    }
}
#endif
