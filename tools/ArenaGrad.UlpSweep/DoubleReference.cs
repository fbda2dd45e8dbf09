using System;

namespace ArenaGrad.Reference;

// Shared by tools/ArenaGrad.UlpSweep (the sweep over every float) and engine.tests (MathUlpTests links this file), so
// that the sweep and the committed test measure against the same reference.

/// <summary>Double-precision references for the functions .NET's Math lacks or computes with cancellation.</summary>
internal static class DoubleReference
{
    /// <summary>log(1 + x), with Kahan's correction for the rounding of 1 + x (relative error a few double ulp).</summary>
    public static double Log1p(double x)
    {
        double u = 1 + x;
        if (u == 1) return x;
        if (double.IsPositiveInfinity(x)) return x;
        return Math.Log(u) * (x / (u - 1));
    }

    /// <summary>exp(x) - 1: 2t/(1 - t), t = tanh(x/2), below 1 in magnitude (no cancellation); exp(x) - 1 beyond.</summary>
    public static double Expm1(double x)
    {
        if (Math.Abs(x) >= 1) return Math.Exp(x) - 1;
        double t = Math.Tanh(x / 2);
        return 2 * t / (1 - t);
    }

    /// <summary>erf(x) = (2/sqrt pi) exp(-x^2) sum 2^n x^(2n+1) / (1 3 5 ... (2n+1)): every term positive, so no
    /// cancellation; ±1 from |x| = 6 on (1 - erf(6) is 2e-17).</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        if (ax >= 6) return Math.Sign(x);
        double term = ax, sum = ax, z = ax * ax;
        for (int n = 1; n < 400 && term > sum * 1e-18; n++)
        {
            term *= 2 * z / (2 * n + 1);
            sum += term;
        }
        double r = 2 / Math.Sqrt(Math.PI) * Math.Exp(-z) * sum;
        return x < 0 ? -r : r;
    }
}
