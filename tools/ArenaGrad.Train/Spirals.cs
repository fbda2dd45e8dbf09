using System;
using ArenaGrad.Tools;

namespace ArenaGrad.Train;

/// <summary>
/// Two interleaved spirals, one per class: point i of class c sits at radius r = 0.05 + 0.95·i/n and angle
/// θ = 2π·turns·i/n + π·c, plus Gaussian noise on both coordinates. Inside the unit disc, so no scaling is needed.
/// </summary>
internal static class Spirals
{
    /// <summary>Spiral turns: 1.75 makes classes wind past each other several times (two moons is about a half turn).</summary>
    public const double Turns = 1.75;

    /// <summary>Fills <paramref name="points"/> (row-major [n, 2]) and <paramref name="labels"/> ([n], 0 or 1); n must be even.</summary>
    public static void Generate(Span<float> points, Span<int> labels, double noise, ulong seed)
    {
        int n = labels.Length;
        if (n % 2 != 0 || points.Length != 2 * n)
            throw new ArgumentException($"Expected an even point count and points of length 2n, but got n = {n} and {points.Length} coordinates.");
        int perClass = n / 2;
        var random = new SplitMix64(seed);
        for (int i = 0; i < n; i++)
        {
            int label = i % 2;                  // classes alternate, so any prefix is balanced
            double t = (double)(i / 2) / perClass;
            double radius = 0.05 + 0.95 * t;
            double angle = 2 * Math.PI * Turns * t + Math.PI * label;
            points[2 * i] = (float)(radius * Math.Cos(angle) + noise * random.NextGaussian());
            points[2 * i + 1] = (float)(radius * Math.Sin(angle) + noise * random.NextGaussian());
            labels[i] = label;
        }
    }
}
