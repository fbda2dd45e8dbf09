using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ArenaGrad.Reference;

namespace ArenaGrad.UlpSweep;

/// <summary>
/// Largest error in ulp of the engine's exp, log, tanh and sigmoid, and of the math family's sin, cos, log1p, expm1 and
/// erf (issue 16), over every float input (2^32 bit patterns, NaNs included), against a double-precision result
/// (<see cref="Math"/>, or <see cref="DoubleReference"/> where Math has none): the harness behind the figures in README.md.
/// A function may name a limit on |x| above which inputs are counted but not measured (none of the nine does now).
/// </summary>
/// <remarks>
/// The inputs go through the public API (<c>Tensor.Exp()</c> and so on, in chunks of 2^20 floats), so what is measured
/// is what users get; the engine gives the same bits on every vector width, so one path stands for all. The error of
/// a finite result y against the reference r is |y - r| / ulp(r), where ulp(r) is the spacing of floats at |r|
/// (2^-149 below the normal range). A result whose class differs from the reference's rounded to float (NaN, an
/// infinity, a finite value) is counted as a mismatch and its first input printed. <c>--stride k</c> takes every
/// k-th bit pattern for a quick look (the figures come from <c>--stride 1</c>).
/// </remarks>
internal static class Program
{
    private const int ChunkLength = 1 << 20;

    private static int Main(string[] args)
    {
        var stride = new Option<int>("--stride") { Description = "Take every k-th bit pattern (1: all 2^32)", DefaultValueFactory = _ => 1 };
        var only = new Option<string?>("--function") { Description = "exp, log, tanh, sigmoid, sin, cos, log1p, expm1 or erf (default: all nine)" };
        var root = new RootCommand("ArenaGrad ulp sweep: the engine's exp, log, tanh, sigmoid, sin, cos, log1p, expm1 and erf over every float input, against double precision.")
        {
            stride, only,
        };
        root.SetAction(parsed =>
        {
            int k = parsed.GetValue(stride);
            string? name = parsed.GetValue(only);
            if (k < 1)
            {
                Console.Error.WriteLine("ArenaGrad.UlpSweep: --stride expects a positive integer.");
                return 2;
            }
            int failures = 0;
            foreach (Function function in Function.All)
            {
                if (name is not null && !string.Equals(name, function.Name, StringComparison.OrdinalIgnoreCase)) continue;
                failures += Sweep(function, k);
            }
            return failures == 0 ? 0 : 1;
        });
        return root.Parse(args).Invoke();
    }

    /// <summary>Sweeps one function and prints its line; returns the number of class mismatches.</summary>
    private static int Sweep(Function function, int stride)
    {
        var clock = Stopwatch.StartNew();
        using var arena = new Arena();
        float[] inputs = new float[ChunkLength], outputs = new float[ChunkLength];
        double worst = 0;
        float worstInput = 0;
        long inputsSeen = 0, mismatches = 0, skipped = 0;
        float firstMismatch = 0;
        ulong bits = 0;
        const ulong End = 1UL << 32;
        while (bits < End)
        {
            int count = 0;
            for (; count < ChunkLength && bits < End; count++, bits += (ulong)stride)
                inputs[count] = BitConverter.UInt32BitsToSingle((uint)bits);
            using (arena.Scope())
            using (arena.NoGrad())
            {
                Tensor x = arena.FromData(inputs.AsSpan(0, count), [count]);
                function.Engine(x).CopyTo(outputs.AsSpan(0, count));
            }
            for (int i = 0; i < count; i++)
            {
                float x = inputs[i], y = outputs[i];
                if (float.IsFinite(function.Limit) && MathF.Abs(x) >= function.Limit)
                {
                    skipped++;
                    continue;
                }
                double r = function.Reference(x);
                float rounded = (float)r;
                if (float.IsNaN(rounded) || float.IsInfinity(rounded) || float.IsNaN(y) || float.IsInfinity(y))
                {
                    bool same = float.IsNaN(rounded) ? float.IsNaN(y) : y == rounded;
                    if (!same && mismatches++ == 0) firstMismatch = x;
                    continue;
                }
                double error = Math.Abs(y - r) / Ulp(r);
                if (error > worst) (worst, worstInput) = (error, x);
            }
            inputsSeen += count;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{function.Name,-8} max {worst:0.000} ulp at x = {worstInput:R} (0x{BitConverter.SingleToUInt32Bits(worstInput):X8}); " +
            $"{inputsSeen - skipped:N0} inputs{(skipped > 0 ? $" ({skipped:N0} above |x| = {function.Limit:R} not measured)" : "")}, {mismatches} class mismatches{(mismatches > 0 ? $" (first at x = {firstMismatch:R})" : "")}; {clock.Elapsed.TotalSeconds:0} s"));
        return (int)Math.Min(mismatches, int.MaxValue);
    }

    /// <summary>The spacing of floats at |r|: 2^(e - 23) for r in [2^e, 2^(e+1)), 2^-149 below 2^-126.</summary>
    private static double Ulp(double r)
    {
        double magnitude = Math.Abs(r);
        return Math.ScaleB(1.0, Math.Max(Math.ILogB(magnitude), -126) - 23);
    }

    /// <summary>A function under test: the engine's, and the double-precision reference.</summary>
    private sealed record Function(string Name, Func<Tensor, Tensor> Engine, Func<double, double> Reference, float Limit = float.PositiveInfinity)
    {
        public static readonly Function[] All =
        [
            new("exp", static x => x.Exp(), Math.Exp),
            new("log", static x => x.Log(), Math.Log),
            new("tanh", static x => x.Tanh(), Math.Tanh),
            new("sigmoid", static x => x.Sigmoid(), static x => 1.0 / (1.0 + Math.Exp(-x))),
            // math (issue 16)
            new("sin", static x => x.Sin(), Math.Sin),
            new("cos", static x => x.Cos(), Math.Cos),
            new("log1p", static x => x.Log1p(), DoubleReference.Log1p),
            new("expm1", static x => x.Expm1(), DoubleReference.Expm1),
            new("erf", static x => x.Erf(), DoubleReference.Erf),
        ];
    }
}
