using System;
using NUnit.Framework;

namespace ArenaGrad.Tests.Kernels;

/// <summary>Data and comparison helpers for the kernel tests.</summary>
internal static class KernelAssert
{
    /// <summary>Values every unary op must handle: NaN, ±inf, ±0, saturating and tiny magnitudes.</summary>
    internal static readonly float[] Specials =
    [
        float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 1f, -1f, 20f, -20f, 100f, -100f,
        0.06f, -0.06f, 0.0625f, 1e-30f, -1e-30f, 88f, -88f, 0.5f, 3f, -3f,
    ];

    /// <summary>n uniform floats in [lo, hi) from a fixed-seed generator.</summary>
    internal static float[] Random(Random rng, int n, float lo, float hi)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = lo + (float)rng.NextDouble() * (hi - lo);
        }

        return a;
    }

    /// <summary>Fails unless actual matches expected: NaN with NaN, ±inf exactly when expected rounds to
    /// ±inf in float, otherwise |actual - expected| &lt;= abs + rel*|expected|.</summary>
    internal static void Close(float actual, double expected, double rel, double abs, string context)
    {
        float expectedF = (float)expected;
        bool ok;
        if (double.IsNaN(expected))
        {
            ok = float.IsNaN(actual);
        }
        else if (float.IsInfinity(expectedF))
        {
            ok = actual == expectedF;
        }
        else
        {
            ok = !float.IsNaN(actual) && Math.Abs(actual - expected) <= abs + rel * Math.Abs(expected);
        }

        if (!ok)
        {
            Assert.Fail($"{context}: expected {expected:R}, got {actual:R} (rel {rel}, abs {abs})");
        }
    }

    /// <summary>Fails unless the two floats are bit-for-bit equal (NaN equals NaN).</summary>
    internal static void Same(float actual, float expected, string context)
    {
        if (BitConverter.SingleToInt32Bits(actual) != BitConverter.SingleToInt32Bits(expected) && !(float.IsNaN(actual) && float.IsNaN(expected)))
        {
            Assert.Fail($"{context}: expected {expected:R}, got {actual:R}");
        }
    }

    /// <summary>Row-major contiguous strides of shape.</summary>
    internal static int[] Contiguous(int[] shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int k = shape.Length - 1; k >= 0; k--)
        {
            s[k] = acc;
            acc *= shape[k];
        }

        return s;
    }

    /// <summary>Π shape.</summary>
    internal static int Count(int[] shape)
    {
        int c = 1;
        foreach (int d in shape)
        {
            c *= d;
        }

        return c;
    }

    /// <summary>Σ idx_k * strides_k for the flat row-major index flat of shape.</summary>
    internal static int Offset(int flat, int[] shape, int[] strides)
    {
        int o = 0;
        for (int k = shape.Length - 1; k >= 0; k--)
        {
            o += flat % shape[k] * strides[k];
            flat /= shape[k];
        }

        return o;
    }
}
