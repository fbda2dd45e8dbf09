using System;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace ArenaGrad.FirstCall;

/// <summary>
/// Time to the first result and to steady state, in a fresh process: W1 (MLP 32-64-64-4 with tanh, batch 1, no grad,
/// one arena scope per call; the workload of perf/ArenaGrad.Benchmarks' InferenceBenchmarks) is called once, then
/// back to back for the rest of the measured window, each call timed. With <c>--warmup</c>, <see cref="Arena.WarmUp()"/>
/// runs first (as a game would while loading); with <c>--warmup-step</c>, <see cref="Arena.WarmUp(Action)"/> with the W1
/// call as the step, so that the caller's own method is compiled too. Run it once per setting: a process can be fresh only once.
/// </summary>
/// <remarks>Usage: <c>ArenaGrad.FirstCall [--warmup | --warmup-step] [--ms N]</c> (default window 500 ms). Prints the warm-up time,
/// the first call, the steady state (median of the last 100 ms), the slowest call after the first, how many calls took
/// more than 2x steady state and when the last of them came, and the median per 50 ms window. The argument list is
/// three flags, so it is read directly (no parser: its own start-up would be measured in the NativeAOT and
/// ReadyToRun builds' process start).</remarks>
internal static class Program
{
    private const int MaxCalls = 2_000_000;

    private static int Main(string[] args)
    {
        bool warmUp = false, warmUpStep = false;
        double windowMs = 500;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--warmup") warmUp = true;
            else if (args[i] == "--warmup-step") warmUp = warmUpStep = true;
            else if (args[i] == "--ms" && i + 1 < args.Length && double.TryParse(args[++i], NumberStyles.Float, CultureInfo.InvariantCulture, out double ms) && ms > 0) windowMs = ms;
            else
            {
                Console.Error.WriteLine("usage: ArenaGrad.FirstCall [--warmup | --warmup-step] [--ms N]   (--warmup-step: WarmUp(step) with the W1 call as the step; N: measured window in ms, default 500)");
                return 2;
            }
        }

        long processStart = Process.GetCurrentProcess().StartTime.ToUniversalTime().Ticks;
        using var arena = new Arena(new ArenaOptions { Seed = 42 });
        var model = new W1Model(arena);
        Tensor x = arena.Randn([1, 32]);

        // Every sample array is made (and its pages touched) before the warm-up, so the window allocates nothing and
        // the first call follows the warm-up directly, as it would in a game that loads, warms up, then starts its loop;
        // made between the two, these 32 MB would evict every cache and charge the first call for the tool's own memory.
        var durations = new long[MaxCalls];
        var startedAt = new long[MaxCalls];
        durations.AsSpan().Fill(1);
        startedAt.AsSpan().Fill(1);

        TimeSpan warmUpTime = warmUpStep ? arena.WarmUp(() => model.Run(x)) : warmUp ? arena.WarmUp() : TimeSpan.Zero;
        long compiledBefore = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
        long windowTicks = (long)(windowMs * Stopwatch.Frequency / 1000);
        float sink = 0;
        long first = Stopwatch.GetTimestamp();
        int calls = 0;
        long compiledByFirstCall = 0;
        long now = first;
        while (calls < MaxCalls && now - first < windowTicks)
        {
            long before = Stopwatch.GetTimestamp();
            sink += model.Run(x);
            now = Stopwatch.GetTimestamp();
            durations[calls] = now - before;
            startedAt[calls] = before - first;
            calls++;
            if (calls == 1) compiledByFirstCall = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false) - compiledBefore;
        }
        long compiledInWindow = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false) - compiledBefore;
        double sinceProcessStartMs = (DateTime.UtcNow.Ticks - processStart) / 1e4;

        Report(durations.AsSpan(0, calls), startedAt.AsSpan(0, calls), warmUp ? (warmUpStep ? "with Arena.WarmUp(step)" : "with Arena.WarmUp()") : "without warm-up",
            warmUp, warmUpTime, sinceProcessStartMs);
        Console.WriteLine($"methods compiled (JIT, process-wide): {compiledByFirstCall} by the first call, {compiledInWindow} in the whole window");
        return float.IsNaN(sink) ? 1 : 0;
    }

    private static double Micros(long ticks) => ticks * 1e6 / Stopwatch.Frequency;

    private static void Report(ReadOnlySpan<long> durations, ReadOnlySpan<long> startedAt, string mode, bool warmUp, TimeSpan warmUpTime, double totalMs)
    {
        string build = RuntimeFeature.IsDynamicCodeCompiled ? "JIT" : "NativeAOT";
        if (RuntimeFeature.IsDynamicCodeCompiled && IsReadyToRun()) build = "JIT + ReadyToRun";
        Console.WriteLine($"ArenaGrad.FirstCall: W1 (MLP 32-64-64-4, tanh, batch 1, no grad), {build}, " +
            $"{mode}, .NET {Environment.Version}, {Environment.ProcessorCount} cores");
        if (warmUp) Console.WriteLine($"warm-up:            {warmUpTime.TotalMilliseconds,10:F1} ms");
        long windowEnd = startedAt[^1];
        long lastTicks = (long)(0.1 * Stopwatch.Frequency);
        var tail = new System.Collections.Generic.List<long>();
        for (int i = 0; i < durations.Length; i++)
            if (startedAt[i] >= windowEnd - lastTicks) tail.Add(durations[i]);
        tail.Sort();
        double steady = Micros(tail[tail.Count / 2]);
        double firstCall = Micros(durations[0]);
        double slowest = 0, slowestAt = 0, lastSlowAt = -1;
        int slowCalls = 0;
        for (int i = 1; i < durations.Length; i++)
        {
            double us = Micros(durations[i]);
            if (us > slowest) { slowest = us; slowestAt = Micros(startedAt[i]) / 1000; }
            if (us > 2 * steady) { slowCalls++; lastSlowAt = Micros(startedAt[i]) / 1000; }
        }
        Console.WriteLine($"first call:         {firstCall,10:F1} us  ({firstCall / steady:F1}x steady state)");
        Console.WriteLine($"steady state:       {steady,10:F2} us  (median of the last 100 ms)");
        Console.WriteLine($"calls measured:     {durations.Length,10}  over {Micros(windowEnd) / 1000:F0} ms");
        Console.WriteLine($"slowest after 1st:  {slowest,10:F1} us  at {slowestAt:F1} ms");
        Console.WriteLine($"calls > 2x steady:  {slowCalls,10}  (after the first; last at {(lastSlowAt < 0 ? "-" : lastSlowAt.ToString("F1", CultureInfo.InvariantCulture) + " ms")})");
        Console.WriteLine($"process start to end of window: {totalMs:F0} ms");
        Console.Write("median per 50 ms window (us):");
        long window = (long)(0.05 * Stopwatch.Frequency);
        var bucket = new System.Collections.Generic.List<long>();
        int next = 0;
        for (long from = 0; from <= windowEnd; from += window)
        {
            bucket.Clear();
            while (next < durations.Length && startedAt[next] < from + window) bucket.Add(durations[next++]);
            if (bucket.Count == 0) { Console.Write(" -"); continue; }
            bucket.Sort();
            Console.Write(string.Create(CultureInfo.InvariantCulture, $" {Micros(bucket[bucket.Count / 2]):F2}"));
        }
        Console.WriteLine();
    }

    /// <summary>Whether the engine's assembly carries ReadyToRun code (a published R2R build).</summary>
    private static bool IsReadyToRun()
    {
        try
        {
            // Beside the program (AppContext.BaseDirectory; Assembly.Location is empty in single-file and AOT builds).
            string path = System.IO.Path.Combine(AppContext.BaseDirectory, "ArenaGrad.dll");
            if (!System.IO.File.Exists(path)) return false;
            using var stream = System.IO.File.OpenRead(path);
            using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
            return pe.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
        }
        catch (System.IO.IOException)
        {
            return false;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}

/// <summary>W1's network, as perf/ArenaGrad.Benchmarks builds it: three <see cref="Functional.Linear"/> layers with
/// bias and tanh between, parameters made outside any scope with PyTorch's uniform init and requiring grad.</summary>
internal sealed class W1Model
{
    private readonly Tensor _w1, _b1, _w2, _b2, _w3, _b3;
    private readonly Arena _arena;

    public W1Model(Arena arena)
    {
        _arena = arena;
        (_w1, _b1) = Layer(arena, 32, 64);
        (_w2, _b2) = Layer(arena, 64, 64);
        (_w3, _b3) = Layer(arena, 64, 4);
    }

    /// <summary>One forward pass in a scope under no-grad; the first logit.</summary>
    public float Run(Tensor x)
    {
        using (_arena.Scope())
        using (_arena.NoGrad())
        {
            Tensor h1 = Functional.Linear(x, _w1, _b1).Tanh();
            Tensor h2 = Functional.Linear(h1, _w2, _b2).Tanh();
            return Functional.Linear(h2, _w3, _b3).AsSpanUnsafely()[0];
        }
    }

    private static (Tensor Weight, Tensor Bias) Layer(Arena arena, int inFeatures, int outFeatures)
    {
        float bound = 1f / MathF.Sqrt(inFeatures);
        return (arena.Uniform([outFeatures, inFeatures], -bound, bound, requiresGrad: true),
                arena.Uniform([outFeatures], -bound, bound, requiresGrad: true));
    }
}
