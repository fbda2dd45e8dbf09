using System;
using System.Diagnostics;
using System.Globalization;
using ArenaGrad;

namespace ArenaGrad.Train;

/// <summary>
/// The main job: full-batch training of a Linear(2,32)-Tanh-Linear(32,32)-Tanh-Linear(32,2) classifier on a
/// two-moons data set generated from a fixed seed, with cross-entropy loss and hand-written SGD.
/// </summary>
/// <remarks>
/// Parameters are made outside any arena scope with <c>requiresGrad: true</c>; every step runs inside
/// <c>using (arena.Scope())</c>, so activations, the tape and intermediate gradients are released in O(1) at the
/// end of the step. The SGD update runs under <c>arena.NoGrad()</c>. Every <c>--print-every</c> steps it prints
/// the loss and accuracy of that step (computed on the logits before the update), the step rate over the
/// interval and the managed bytes allocated per step on this thread over the interval
/// (<see cref="GC.GetAllocatedBytesForCurrentThread"/>; printing happens outside the measured window).
/// </remarks>
internal static class Program
{
    private const int DefaultSteps = 2000;
    private const int DefaultPoints = 512;
    private const float DefaultLearningRate = 0.5f;
    private const ulong DataSeed = 20261127;
    private const ulong InitSeed = 1234;

    private const string Usage =
        "usage: ArenaGrad.Train [--steps N] [--print-every N] [--lr X] [--quiet]\n" +
        "  --steps N        training steps (full-batch SGD), default 2000\n" +
        "  --print-every N  report interval in steps, default steps/10\n" +
        "  --lr X           learning rate, default 0.5\n" +
        "  --quiet          print only the final summary line\n" +
        "  --help           show this help";

    private static int Main(string[] args)
    {
        if (!TryParse(args, out Options options, out string? error))
        {
            if (error is null)
            {
                Console.WriteLine(Usage);
                return 0;
            }
            Console.Error.WriteLine($"ArenaGrad.Train: {error}");
            Console.Error.WriteLine(Usage);
            return 2;
        }
        return Run(options);
    }

    private readonly record struct Options(int Steps, int PrintEvery, float LearningRate, bool Quiet);

    /// <summary>Parses the command line; false with a null <paramref name="error"/> means --help.</summary>
    private static bool TryParse(string[] args, out Options options, out string? error)
    {
        int steps = DefaultSteps;
        int printEvery = -1;
        float lr = DefaultLearningRate;
        bool quiet = false;
        options = default;
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "--quiet" or "-q":
                    quiet = true;
                    break;
                case "--help" or "-h":
                    return false;
                case "--steps" or "--print-every":
                    if (i + 1 >= args.Length)
                    {
                        error = $"{arg} needs a value (a positive integer).";
                        return false;
                    }
                    string text = args[++i];
                    if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value <= 0)
                    {
                        error = $"{arg} expects a positive integer, but got '{text}'.";
                        return false;
                    }
                    if (arg == "--steps") steps = value;
                    else printEvery = value;
                    break;
                case "--lr":
                    if (i + 1 >= args.Length)
                    {
                        error = "--lr needs a value (a positive number).";
                        return false;
                    }
                    string lrText = args[++i];
                    if (!float.TryParse(lrText, NumberStyles.Float, CultureInfo.InvariantCulture, out lr) || !(lr > 0f) || !float.IsFinite(lr))
                    {
                        error = $"--lr expects a positive number, but got '{lrText}'.";
                        return false;
                    }
                    break;
                default:
                    error = $"unknown argument '{arg}'.";
                    return false;
            }
        }
        if (printEvery < 0) printEvery = Math.Max(1, steps / 10);
        options = new Options(steps, printEvery, lr, quiet);
        return true;
    }

    private static int Run(Options options)
    {
        // Data: two interleaving half circles, 256 points each, Gaussian noise 0.1 (sklearn's make_moons).
        float[] points = new float[DefaultPoints * 2];
        int[] labels = new int[DefaultPoints];
        MakeMoons(points, labels, noise: 0.1f, DataSeed);

        using var arena = new Arena(new ArenaOptions { Seed = InitSeed });

        // Everything that outlives a step is made outside any scope.
        Tensor x = arena.FromData(points, [DefaultPoints, 2]);
        Tensor w1 = LinearWeight(arena, 32, 2), b1 = LinearBias(arena, 32, 2);
        Tensor w2 = LinearWeight(arena, 32, 32), b2 = LinearBias(arena, 32, 32);
        Tensor w3 = LinearWeight(arena, 2, 32), b3 = LinearBias(arena, 2, 32);
        Tensor[] parameters = [w1, b1, w2, b2, w3, b3];
        int parameterCount = 0;
        foreach (Tensor p in parameters) parameterCount += p.Count;

        if (!options.Quiet)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ArenaGrad.Train: two-moons, {DefaultPoints} points, MLP 2-32-32-2 (tanh), {parameterCount} parameters, " +
                $"full-batch SGD lr={options.LearningRate}, {options.Steps} steps"));
        }

        float lr = options.LearningRate;
        float loss = float.NaN;
        float accuracy = 0f;
        long steadyBytes = 0;
        long steadySteps = 0;
        long startTime = Stopwatch.GetTimestamp();
        long intervalTime = startTime;
        long intervalBytes = GC.GetAllocatedBytesForCurrentThread();
        int intervalStart = 0;
        bool firstInterval = true;

        for (int step = 1; step <= options.Steps; step++)
        {
            using (arena.Scope())
            {
                Tensor h1 = Functional.Linear(x, w1, b1).Tanh();
                Tensor h2 = Functional.Linear(h1, w2, b2).Tanh();
                Tensor logits = Functional.Linear(h2, w3, b3);
                Tensor lossTensor = Functional.CrossEntropy(logits, labels);
                lossTensor.Backward();
                loss = lossTensor.Item();
                accuracy = Accuracy(logits.AsSpanUnsafely(), labels);

                using (arena.NoGrad())
                {
                    foreach (Tensor p in parameters)
                    {
                        if (p.Grad is not Tensor grad)
                            throw new InvalidOperationException("A parameter received no gradient.");
                        p.AddInPlace(grad, -lr);
                        p.ZeroGrad();
                    }
                }
            }

            if (step % options.PrintEvery == 0 || step == options.Steps)
            {
                long now = Stopwatch.GetTimestamp();
                long bytes = GC.GetAllocatedBytesForCurrentThread() - intervalBytes;
                int stepsInInterval = step - intervalStart;
                double seconds = Stopwatch.GetElapsedTime(intervalTime, now).TotalSeconds;
                if (!firstInterval)
                {
                    steadyBytes += bytes;
                    steadySteps += stepsInInterval;
                }
                if (!options.Quiet)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"step {step,6}  loss {loss,9:F6}  acc {accuracy * 100,6:F2}%  steps/s {stepsInInterval / seconds,9:F1}  " +
                        $"alloc/step {(double)bytes / stepsInInterval,8:F1} B{(firstInterval ? "  (warm-up)" : "")}"));
                }
                firstInterval = false;
                intervalStart = step;
                // The next window starts after printing, so console formatting is not counted.
                intervalBytes = GC.GetAllocatedBytesForCurrentThread();
                intervalTime = Stopwatch.GetTimestamp();
            }
        }

        double total = Stopwatch.GetElapsedTime(startTime).TotalSeconds;
        string steady = steadySteps > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{(double)steadyBytes / steadySteps:F1} B/step over the {steadySteps} steps after warm-up")
            : "n/a (only one report interval)";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"done: {options.Steps} steps in {total:F2} s ({options.Steps / total:F0} steps/s), final loss {loss:F6}, " +
            $"accuracy {accuracy * 100:F2}%, managed allocation {steady}"));

        if (!float.IsFinite(loss))
        {
            Console.Error.WriteLine("ArenaGrad.Train: the loss is not finite; training diverged (try a smaller --lr).");
            return 1;
        }
        return 0;
    }

    /// <summary>PyTorch's nn.Linear weight init: U(−1/√fan_in, 1/√fan_in), shape [out, in].</summary>
    private static Tensor LinearWeight(Arena arena, int outFeatures, int inFeatures)
    {
        float bound = 1f / MathF.Sqrt(inFeatures);
        return arena.Uniform([outFeatures, inFeatures], -bound, bound, requiresGrad: true);
    }

    /// <summary>PyTorch's nn.Linear bias init: U(−1/√fan_in, 1/√fan_in), shape [out].</summary>
    private static Tensor LinearBias(Arena arena, int outFeatures, int inFeatures)
    {
        float bound = 1f / MathF.Sqrt(inFeatures);
        return arena.Uniform([outFeatures], -bound, bound, requiresGrad: true);
    }

    /// <summary>Fraction of rows whose arg-max column equals the label.</summary>
    private static float Accuracy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels)
    {
        int classes = logits.Length / labels.Length;
        int correct = 0;
        for (int n = 0; n < labels.Length; n++)
        {
            ReadOnlySpan<float> row = logits.Slice(n * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; c++)
                if (row[c] > row[best]) best = c;
            if (best == labels[n]) correct++;
        }
        return (float)correct / labels.Length;
    }

    /// <summary>Two interleaving half circles (class 0 upper, class 1 lower) with Gaussian noise, from a fixed seed.</summary>
    private static void MakeMoons(Span<float> points, Span<int> labels, float noise, ulong seed)
    {
        int n = labels.Length;
        int half = n / 2;
        var random = new SplitMix64(seed);
        for (int i = 0; i < n; i++)
        {
            bool upper = i < half;
            int k = upper ? i : i - half;
            int count = upper ? half : n - half;
            double t = Math.PI * k / Math.Max(1, count - 1);
            double px = upper ? Math.Cos(t) : 1 - Math.Cos(t);
            double py = upper ? Math.Sin(t) : 0.5 - Math.Sin(t);
            points[2 * i] = (float)(px + noise * random.NextGaussian());
            points[2 * i + 1] = (float)(py + noise * random.NextGaussian());
            labels[i] = upper ? 0 : 1;
        }
    }

    /// <summary>A small deterministic generator, so the data set is the same on every machine and runtime.</summary>
    private struct SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        private ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary>Uniform in (0, 1].</summary>
        private double NextUnit() => ((Next() >> 11) + 1) * (1.0 / (1UL << 53));

        /// <summary>Standard normal (Box–Muller).</summary>
        public double NextGaussian() => Math.Sqrt(-2.0 * Math.Log(NextUnit())) * Math.Cos(2.0 * Math.PI * NextUnit());
    }
}
